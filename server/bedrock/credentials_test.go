//go:build unix

package bedrock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperScript writes an executable shell script for a credential_process
// and returns its path.
func helperScript(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// lowerCredentialTimeout sets the bound on getting credentials for one test.
func lowerCredentialTimeout(t *testing.T, d time.Duration) {
	t.Helper()
	old := credentialTimeout
	credentialTimeout = d
	t.Cleanup(func() { credentialTimeout = old })
}

// gone reports whether the process pid has exited (a zombie waiting for
// its parent to reap it counts as exited).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// TestCredentialProcessThatHangs checks that a credential_process that
// never answers fails a chat request and a health check alike after the
// bound, with the same message, and that the helper and what it started
// are killed rather than left running.
func TestCredentialProcessThatHangs(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	// The helper's own child keeps its stdout open: killing only the
	// helper would leave the router waiting for the child to exit.
	helper := helperScript(t, "hang", fmt.Sprintf("sleep 100 &\necho $! >> %s\nwait\n", pids))
	awsConfig(t, fmt.Sprintf("[profile slow]\nregion = us-east-1\ncredential_process = %s\n", helper))
	lowerCredentialTimeout(t, 500*time.Millisecond)
	want := `credential_process of profile "slow" did not answer within 500ms`

	tests := []struct {
		name string
		run  func(t *testing.T) (status int, message string)
	}{
		{"health check", func(t *testing.T) (int, string) {
			h := CheckProfile(context.Background(), "slow", false)
			if h.State != ProfileError {
				t.Errorf("state %q, want %q", h.State, ProfileError)
			}
			return 401, h.Problem
		}},
		{"chat request", func(t *testing.T) (int, string) {
			w := serveChat(t, "slow", "http://127.0.0.1:1", false)
			return w.Code, errorMessage(t, w)
		}},
		{"streamed chat request", func(t *testing.T) (int, string) {
			w := serveChat(t, "slow", "http://127.0.0.1:1", true)
			return w.Code, errorMessage(t, w)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(pids)
			start := time.Now()
			status, msg := tt.run(t)
			// The helper sleeps for 100 s; anything near that means the
			// bound did not hold.
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %s", took)
			}
			if status != 401 || !strings.Contains(msg, want) {
				t.Errorf("got %d %s\nwant 401 saying %q", status, msg, want)
			}
			data, _ := os.ReadFile(pids)
			for _, f := range strings.Fields(string(data)) {
				pid, _ := strconv.Atoi(f)
				deadline := time.Now().Add(10 * time.Second)
				for !gone(pid) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if !gone(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("the helper's child %d is still running", pid)
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// captureOutput sends the process's stderr and the default slog logger to
// buffers until the test ends, and returns a function that reads both.
func captureOutput(t *testing.T) func() string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	oldStderr, oldLog := os.Stderr, slog.Default()
	var logs syncBuffer
	os.Stderr = f
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() {
		os.Stderr = oldStderr
		slog.SetDefault(oldLog)
		f.Close()
	})
	return func() string {
		data, _ := os.ReadFile(f.Name())
		return string(data) + logs.String()
	}
}

// TestCredentialProcessOutputStaysPrivate checks that what a failing
// credential_process prints (helpers print tokens when they fail) reaches
// neither the router's stderr, its log, the health report nor the client:
// at most its first line, with anything that looks like a secret removed.
func TestCredentialProcessOutputStaysPrivate(t *testing.T) {
	const (
		jwt    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV"
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	loud := helperScript(t, "loud", fmt.Sprintf("echo 'login failed: session token=%s rejected' >&2\necho 'aws_secret_access_key = %s' >&2\nexit 3\n", jwt, secret))
	garbage := helperScript(t, "garbage", fmt.Sprintf("echo 'export AWS_SECRET_ACCESS_KEY=%s'\n", secret))
	awsConfig(t, fmt.Sprintf("[profile loud]\nregion = us-east-1\ncredential_process = %s\n\n[profile garbage]\nregion = us-east-1\ncredential_process = %s\n", loud, garbage)+
		"[profile role]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = loud\n")
	output := captureOutput(t)

	tests := []struct {
		profile string
		says    []string // what the problem must say
	}{
		{"loud", []string{`credential_process of profile "loud" failed`, "exit status 3", "login failed: session token=", "rejected"}},
		{"garbage", []string{`credential_process of profile "garbage"`, "not the JSON"}},
		// The helper of a role's source profile.
		{"role", []string{`credential_process of profile "loud" failed`, "exit status 3", "rejected"}},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			h := CheckProfile(context.Background(), tt.profile, false)
			w := serveChat(t, tt.profile, "http://127.0.0.1:1", false)
			if w.Code != 401 {
				t.Errorf("chat request: %d %s, want 401", w.Code, w.Body)
			}
			msg := errorMessage(t, w)
			for _, s := range tt.says {
				if !strings.Contains(h.Problem, s) || !strings.Contains(msg, s) {
					t.Errorf("health %q / response %q does not say %q", h.Problem, msg, s)
				}
			}
			all := h.Problem + msg + w.Body.String() + output()
			for _, leak := range []string{jwt[:20], "SflKxwRJSMeKKF2QT4fw", secret[:12], "aws_secret_access_key"} {
				if strings.Contains(all, leak) {
					t.Errorf("%q leaked:\n%s", leak, all)
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"error: token expired, run `helper login`":             "error: token expired, run `helper login`",
		"session token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIi rejected": "session token=[redacted] rejected",
		`{"SecretAccessKey": "abc/def+ghi"}`:                   `{"SecretAccessKey": "[redacted]"}`,
		"Authorization: Bearer abc.def":                        "Authorization: Bearer [redacted]",
		"key id AKIAIOSFODNN7EXAMPLE is not valid":             "key id [redacted] is not valid",
		"got wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY back":      "got [redacted] back",
		"internationalization failed":                          "internationalization failed",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHelperCallerDeadline: a caller whose own deadline passes first is
// told so, not that the helper missed the router's bound.
func TestHelperCallerDeadline(t *testing.T) {
	helper := helperScript(t, "slow", "sleep 5\n")
	p := &helperProvider{profile: "slow", command: helper, timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := p.Retrieve(ctx)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("error blames the helper's bound for the caller's deadline: %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the caller's context.DeadlineExceeded", err)
	}
}
