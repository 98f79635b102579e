package trayhost

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BuildGo builds the Go main package pkg (a path as `go build` takes it,
// resolved from the test's working directory, i.e. the test's package
// directory) into t.TempDir() and returns the binary's path. extraArgs go to
// `go build` before the package (for example "-race" or "-tags", "x").
func BuildGo(t testing.TB, pkg string, extraArgs ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(strings.TrimSuffix(pkg, "/")))
	args := append([]string{"build", "-o", out}, extraArgs...)
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("trayhost: go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	t.Logf("trayhost: built %s in %v", pkg, time.Since(start).Round(time.Millisecond))
	return out
}

// Process is a program started by StartProcess under the host's session.
type Process struct {
	Cmd *exec.Cmd

	h       *Host
	stdout  *lineLog
	stderr  *lineLog
	done    chan struct{}
	waitErr error
}

// StartProcess starts name with args under this host's session (its bus
// and display), capturing its stdout and stderr, and registers cleanup that
// stops it (SIGTERM, then SIGKILL) and, if the test failed, logs its output.
func (h *Host) StartProcess(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	p := &Process{
		Cmd:    h.command(name, args...),
		h:      h,
		stdout: newLineLog(),
		stderr: newLineLog(),
		done:   make(chan struct{}),
	}
	p.Cmd.Stdout = p.stdout
	p.Cmd.Stderr = p.stderr
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("trayhost: starting %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("trayhost: %s (pid %d) %s; stdout:\n%s\nstderr:\n%s",
				filepath.Base(name), p.pid(), p.state(), indent(p.stdout.String()), indent(p.Stderr()))
		}
	})
	return p
}

func (p *Process) pid() int { return p.Cmd.Process.Pid }

// Done is closed when the process has exited and its output is collected.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit error (nil for exit status 0); valid after Done.
func (p *Process) Err() error {
	<-p.done
	return p.waitErr
}

func (p *Process) state() string {
	select {
	case <-p.done:
		if p.waitErr == nil {
			return "exited with status 0"
		}
		return "exited: " + p.waitErr.Error()
	default:
		return "still running"
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after 5s) and waits for it.
// It is safe to call more than once and after the process exited.
func (p *Process) Stop() {
	terminate(p.Cmd.Process, p.done)
}

// Stderr returns everything the process printed on stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// StdoutLines returns the complete lines printed on stdout so far.
func (p *Process) StdoutLines() []string { return p.stdout.Lines() }

// WaitOutput waits until a stdout line contains substr (looking at every
// line printed since the start) and returns that line. It fails early when
// the process exits without printing it.
func (p *Process) WaitOutput(ctx context.Context, substr string) (string, error) {
	for {
		ch := p.stdout.changed()
		for _, l := range p.stdout.Lines() {
			if strings.Contains(l, substr) {
				return l, nil
			}
		}
		select {
		case <-ch:
		case <-p.done:
			// Wait has returned, so all output is in: one last look.
			for _, l := range p.stdout.Lines() {
				if strings.Contains(l, substr) {
					return l, nil
				}
			}
			return "", fmt.Errorf("trayhost: process %d %s without printing %q; stdout:\n%s\nstderr:\n%s",
				p.pid(), p.state(), substr, indent(p.stdout.String()), indent(p.Stderr()))
		case <-ctx.Done():
			return "", fmt.Errorf("trayhost: waiting for %q on stdout of process %d: %w; stdout so far:\n%s",
				substr, p.pid(), context.Cause(ctx), indent(p.stdout.String()))
		}
	}
}

// untilExit returns a context that is cancelled when parent is or when the
// process exits, so that waits fail fast if the program under test dies.
func (p *Process) untilExit(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-p.done:
			cancel(fmt.Errorf("process %d %s; stderr:\n%s", p.pid(), p.state(), indent(p.Stderr())))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// WaitItem waits for the StatusNotifierItem this process registers, and
// fails fast if the process exits first.
func (p *Process) WaitItem(ctx context.Context) (*Item, error) {
	ctx, cancel := p.untilExit(ctx)
	defer cancel()
	return p.h.WaitItemForPID(ctx, p.pid())
}

// lineLog is an io.Writer that keeps what was written, split into lines,
// and lets readers wait for more.
type lineLog struct {
	mu      sync.Mutex
	buf     strings.Builder
	lines   []string
	partial string
	ch      chan struct{}
}

func newLineLog() *lineLog { return &lineLog{ch: make(chan struct{})} }

func (l *lineLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	s := l.partial + string(b)
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, strings.TrimSuffix(s[:i], "\r"))
		s = s[i+1:]
	}
	l.partial = s
	close(l.ch)
	l.ch = make(chan struct{})
	return len(b), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Lines returns the complete lines so far plus any unterminated last line.
func (l *lineLog) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.lines...)
	if l.partial != "" {
		out = append(out, l.partial)
	}
	return out
}

func (l *lineLog) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ch
}
