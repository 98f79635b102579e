package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
)

// fakeAWS writes an `aws` script that records its arguments in calls and
// runs body, and returns a signIns that runs it.
func fakeAWS(t *testing.T, body string) (s *signIns, calls string, ended chan string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake AWS CLI is a shell script")
	}
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	script := filepath.Join(dir, "aws")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> '"+calls+"'\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ended = make(chan string, 10)
	s = newSignIns(func() {}, func() { ended <- "done" })
	s.lookPath = func(name string) (string, error) {
		if name != "aws" {
			return "", errors.New("not found")
		}
		return script, nil
	}
	return s, calls, ended
}

func waitEnded(t *testing.T, ended chan string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the sign-in never ended")
	}
}

func TestSignIn(t *testing.T) {
	work := bedrock.ProfileHealth{Profile: "work", SSOSession: "corp", SignIn: true}
	tests := []struct {
		name     string
		body     string
		profile  bedrock.ProfileHealth
		wantArgs string
		failed   string
	}{
		{"success", "exit 0", work, "sso login --profile=work", ""},
		// A name that starts with - is the profile's, never an option.
		{"profile like an option", "exit 0", bedrock.ProfileHealth{Profile: "-debug", SSOSession: "corp", SignIn: true}, "sso login --profile=-debug", ""},
		{"failure quotes the CLI", "echo 'Attempting to open your browser' ; echo 'Error when retrieving token from sso: Token has expired and refresh failed' >&2; exit 255", work,
			"sso login --profile=work", "Error when retrieving token from sso: Token has expired and refresh failed"},
		{"silent failure", "exit 3", work, "sso login --profile=work", "aws sso login failed: exit status 3"},
		{"default chain", "exit 0", bedrock.ProfileHealth{SSOSession: "corp", SignIn: true}, "sso login", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, calls, ended := fakeAWS(t, tt.body)
			if !s.start(context.Background(), tt.profile) {
				t.Fatal("the sign-in did not start")
			}
			waitEnded(t, ended)
			got, _ := os.ReadFile(calls)
			if strings.TrimSpace(string(got)) != tt.wantArgs {
				t.Errorf("the CLI ran with %q, want %q", got, tt.wantArgs)
			}
			st := s.states([]bedrock.ProfileHealth{tt.profile})[tt.profile.Profile]
			if st.Running || st.Failed != tt.failed {
				t.Errorf("after the CLI ended: %+v, want failed %q", st, tt.failed)
			}
		})
	}
}

// TestSignInOnePerSession checks that a second sign-in of the same SSO
// session, from another profile too, waits for the first to end, while
// another session's goes ahead.
func TestSignInOnePerSession(t *testing.T) {
	release := filepath.Join(t.TempDir(), "release")
	s, calls, ended := fakeAWS(t, "while [ ! -e '"+release+"' ]; do sleep 0.05; done")
	work := bedrock.ProfileHealth{Profile: "work", SSOSession: "corp", SignIn: true}
	work2 := bedrock.ProfileHealth{Profile: "work-admin", SSOSession: "corp", SignIn: true}
	other := bedrock.ProfileHealth{Profile: "lab", SSOSession: "lab", SignIn: true}
	if !s.start(context.Background(), work) {
		t.Fatal("the first sign-in did not start")
	}
	if s.start(context.Background(), work2) || s.start(context.Background(), work) {
		t.Error("a second sign-in of the same SSO session started")
	}
	states := s.states([]bedrock.ProfileHealth{work, work2, other})
	if !states["work"].Running || !states["work-admin"].Running || states["lab"].Running {
		t.Errorf("states while signing in to corp: %+v", states)
	}
	if !s.start(context.Background(), other) {
		t.Error("another session's sign-in did not start")
	}
	os.WriteFile(release, nil, 0o600)
	waitEnded(t, ended)
	waitEnded(t, ended)
	if got, _ := os.ReadFile(calls); strings.Count(string(got), "sso login") != 2 {
		t.Errorf("the CLI ran %q; want once per session", got)
	}
	if st := s.states([]bedrock.ProfileHealth{work}); len(st) != 0 {
		t.Errorf("states after both ended: %+v", st)
	}
}

func TestSignInWithoutCLI(t *testing.T) {
	s := newSignIns(func() {}, func() {})
	s.lookPath = func(string) (string, error) { return "", errors.New("not found") }
	if s.haveCLI() {
		t.Fatal("haveCLI with no aws")
	}
	if err := s.run(context.Background(), "work"); err == nil || !strings.Contains(err.Error(), AWSCLIInstallURL) {
		t.Errorf("run without the CLI: %v", err)
	}
}
