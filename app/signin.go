package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
)

// AWSCLIInstallURL is where the menu sends a user who has no AWS CLI.
const AWSCLIInstallURL = "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"

// signInTimeout bounds one `aws sso login`: the CLI's own device code
// expires after about ten minutes, so a run past this is stuck.
const signInTimeout = 15 * time.Minute

// SignInState is a profile's sign-in from the tray.
type SignInState struct {
	// Running is set while `aws sso login` runs for the profile's SSO
	// session (started for this profile or another of the same session).
	Running bool
	// Failed is the CLI's own message when the last sign-in failed.
	Failed string
}

// signIns runs `aws sso login`, at most one at a time per SSO session, and
// remembers how the last one of each session ended. Its methods may be
// called from any goroutine.
type signIns struct {
	// lookPath finds the AWS CLI (exec.LookPath, or a test's).
	lookPath func(string) (string, error)
	// changed is called when a sign-in starts or ends; done after it ended,
	// to check the profiles again.
	changed, done func()

	mu      sync.Mutex
	running map[string]bool   // by SSO session
	failed  map[string]string // by SSO session: the CLI's message
}

func newSignIns(changed, done func()) *signIns {
	return &signIns{lookPath: exec.LookPath, changed: changed, done: done, running: map[string]bool{}, failed: map[string]string{}}
}

// haveCLI reports whether the AWS CLI is on PATH.
func (s *signIns) haveCLI() bool {
	_, err := s.lookPath("aws")
	return err == nil
}

// session is what one sign-in covers: the profile's SSO session, or the
// profile itself when health has not named one.
func session(p bedrock.ProfileHealth) string {
	if p.SSOSession != "" {
		return p.SSOSession
	}
	return "profile:" + p.Profile
}

// states is the sign-in state of each profile, by profile name.
func (s *signIns) states(ps []bedrock.ProfileHealth) map[string]SignInState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]SignInState{}
	for _, p := range ps {
		k := session(p)
		if st := (SignInState{Running: s.running[k], Failed: s.failed[k]}); st != (SignInState{}) {
			out[p.Profile] = st
		}
	}
	return out
}

// start runs `aws sso login` for p in the background, unless a sign-in of
// its SSO session is already under way (then it does nothing and says so).
func (s *signIns) start(ctx context.Context, p bedrock.ProfileHealth) (started bool) {
	k := session(p)
	s.mu.Lock()
	if s.running[k] {
		s.mu.Unlock()
		return false
	}
	s.running[k] = true
	delete(s.failed, k)
	s.mu.Unlock()
	s.changed()
	go func() {
		err := s.run(ctx, p.Profile)
		s.mu.Lock()
		delete(s.running, k)
		if err != nil && ctx.Err() == nil {
			s.failed[k] = err.Error()
		}
		s.mu.Unlock()
		s.changed()
		if ctx.Err() == nil {
			s.done()
		}
	}()
	return true
}

// run runs the CLI and returns its own message when it fails.
func (s *signIns) run(ctx context.Context, profile string) error {
	aws, err := s.lookPath("aws")
	if err != nil {
		return errors.New("the AWS CLI (aws) is not installed or not on PATH; install it from " + AWSCLIInstallURL)
	}
	ctx, cancel := context.WithTimeout(ctx, signInTimeout)
	defer cancel()
	args := []string{"sso", "login"}
	if profile != "" {
		// One argument: a name that starts with - stays the profile's.
		args = append(args, "--profile="+profile)
	}
	cmd := exec.CommandContext(ctx, aws, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second // a browser it started may hold the pipes
	err = cmd.Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("aws sso login did not finish within %s", signInTimeout)
	}
	if msg := lastLine(out.Bytes()); msg != "" {
		return errors.New(msg)
	}
	return fmt.Errorf("aws sso login failed: %v", err)
}

// lastLine is the last non-blank line of what the CLI printed (where it
// says what went wrong), at most 300 characters.
func lastLine(out []byte) string {
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	if r := []rune(last); len(r) > 300 {
		last = string(r[:299]) + "…"
	}
	return last
}
