package trayhost

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus names used by the StatusNotifierItem and dbusmenu protocols.
const (
	WatcherName      = "org.kde.StatusNotifierWatcher"
	WatcherPath      = dbus.ObjectPath("/StatusNotifierWatcher")
	WatcherInterface = "org.kde.StatusNotifierWatcher"
	ItemInterface    = "org.kde.StatusNotifierItem"
	MenuInterface    = "com.canonical.dbusmenu"
	// DefaultItemPath is the item's object path when it registers with a bus
	// name only (the StatusNotifierItem specification's default).
	DefaultItemPath = dbus.ObjectPath("/StatusNotifierItem")
)

// How long Start waits for dbus-daemon and Xvfb to come up.
const startTimeout = 20 * time.Second

// Host is a private desktop session for one test: a session bus, an X
// display, and (unless started with StartNoTrayHost) a
// StatusNotifierWatcher acting as the panel on that bus.
type Host struct {
	busAddr string
	display string
	conn    *dbus.Conn
	logf    func(format string, args ...any)

	dbusLog *lineLog
	xLog    *lineLog

	// notes plays the desktop's notification service, on notesConn.
	notes     *notifications
	notesConn *dbus.Conn

	mu       sync.Mutex
	items    []*Item       // every registration, oldest first
	changed  chan struct{} // closed (and replaced) when items change
	watchers *watcherProps
}

// Start starts dbus-daemon and Xvfb, claims org.kde.StatusNotifierWatcher
// on the new bus and registers cleanup to stop everything when the test ends.
// It skips the test when dbus-daemon or Xvfb is not installed, unless CI=true,
// where it fails the test instead.
func Start(t testing.TB) *Host {
	t.Helper()
	return start(t, true)
}

// StartNoTrayHost is Start for a desktop without a tray: nobody owns
// org.kde.StatusNotifierWatcher on the bus, as on GNOME without the
// AppIndicator extension. Programs that look for a tray host find none;
// the X display works as usual (see WaitWindow and CloseWindow).
func StartNoTrayHost(t testing.TB) *Host {
	t.Helper()
	return start(t, false)
}

func start(t testing.TB, watcher bool) *Host {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("trayhost: the StatusNotifierItem tray protocol is only used on Linux, not %s", runtime.GOOS)
	}
	for _, tool := range []struct{ exe, pkg string }{
		{"dbus-daemon", "dbus"},
		{"Xvfb", "xvfb"},
	} {
		if _, err := exec.LookPath(tool.exe); err != nil {
			msg := fmt.Sprintf("trayhost: %s is not installed (Debian package %q; see scripts/install-deps.sh), so the tray end-to-end test cannot run", tool.exe, tool.pkg)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + " (CI=true: failing instead of skipping)")
			}
			t.Skip(msg)
		}
	}

	// Unix socket paths are limited to 108 bytes, and t.TempDir() can be
	// long (it embeds the test name): use a short directory under $TMPDIR.
	dir, err := os.MkdirTemp("", "trayhost-")
	if err != nil {
		t.Fatalf("trayhost: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	h := &Host{
		logf:    t.Logf,
		dbusLog: newLineLog(),
		xLog:    newLineLog(),
		changed: make(chan struct{}),
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("trayhost: dbus-daemon output:\n%s", indent(h.dbusLog.String()))
			t.Logf("trayhost: Xvfb output:\n%s", indent(h.xLog.String()))
		}
	})

	h.busAddr, err = startDBus(t, dir, h.dbusLog)
	if err != nil {
		t.Fatalf("trayhost: starting dbus-daemon: %v\n%s", err, h.dbusLog)
	}
	h.display, err = startXvfb(t, h.xLog)
	if err != nil {
		t.Fatalf("trayhost: starting Xvfb: %v\n%s", err, h.xLog)
	}
	if err := h.connect(watcher); err != nil {
		t.Fatalf("trayhost: %v", err)
	}
	t.Cleanup(func() { h.conn.Close() })
	if err := h.startNotifications(); err != nil {
		t.Fatalf("trayhost: %v", err)
	}
	t.Cleanup(func() { h.notesConn.Close() })
	return h
}

// BusAddress is the private session bus address.
func (h *Host) BusAddress() string { return h.busAddr }

// Display is the X display of the private Xvfb, such as ":3".
func (h *Host) Display() string { return h.display }

// command returns an exec.Cmd for name with the current environment, minus
// any session bus / display settings it had, pointed at this host's bus
// and display. On Linux the process is killed if the test process dies
// without cleaning up.
func (h *Host) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = mergeEnv(os.Environ(), []string{"DBUS_SESSION_BUS_ADDRESS=" + h.busAddr, "DISPLAY=" + h.display})
	killWithParent(cmd)
	return cmd
}

// mergeEnv returns base without the variables set in over (and without
// WAYLAND_DISPLAY, so that nothing prefers a real compositor over our X
// display), followed by over.
func mergeEnv(base, over []string) []string {
	drop := map[string]bool{"WAYLAND_DISPLAY": true}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	out := make([]string, 0, len(base)+len(over))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	return append(out, over...)
}

// registered returns every item registered so far, oldest first, including
// items whose program has since left the bus.
func (h *Host) registered() []*Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Item(nil), h.items...)
}

// WaitItemForPID waits for an item, still on the bus, registered by the
// process pid (as the bus daemon reports the registering connection's
// process).
func (h *Host) WaitItemForPID(ctx context.Context, pid int) (*Item, error) {
	start := time.Now()
	for {
		h.mu.Lock()
		changed, seen := h.changed, len(h.items)
		var found *Item
		for _, it := range h.items {
			if !it.isGone() && it.pid == pid {
				found = it
				break
			}
		}
		h.mu.Unlock()
		if found != nil {
			return found, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("trayhost: no StatusNotifierItem registered from pid %d after %v (%d registration(s) seen): %w",
				pid, time.Since(start).Round(time.Millisecond), seen, context.Cause(ctx))
		}
	}
}

// notifyLocked wakes WaitItemForPID callers; h.mu must be held.
func (h *Host) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// startDBus runs a private dbus-daemon with a generated configuration that
// listens on a socket in dir, lets every connection own any name and talk to
// anyone, and (unlike the stock session.conf) has no service directories, so
// nothing is ever auto-started: a call to a missing service fails at once.
func startDBus(t testing.TB, dir string, log *lineLog) (string, error) {
	conf := filepath.Join(dir, "session.conf")
	sock := filepath.Join(dir, "bus")
	err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=`+sock+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		return "", err
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=3")
	line, err := startReporting(t, cmd, log)
	if err != nil {
		return "", fmt.Errorf("reading its address: %w", err)
	}
	if !strings.HasPrefix(line, "unix:") {
		return "", fmt.Errorf("unexpected address %q", line)
	}
	return line, nil
}

// startReporting starts cmd with a pipe as file descriptor 3 and returns
// the first line the process writes there: the bus address or display
// number it chose. The process is stopped when the test ends.
func startReporting(t testing.TB, cmd *exec.Cmd, log *lineLog) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	killWithParent(cmd)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return "", err
	}
	done := stopOnCleanup(t, cmd)
	return readLine(r, done, startTimeout)
}

// startXvfb runs Xvfb on a display number it picks itself (-displayfd), which
// avoids races with other X servers and tests, and waits until it is ready
// (Xvfb writes the number only once it accepts connections).
func startXvfb(t testing.TB, log *lineLog) (string, error) {
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset")
	line, err := startReporting(t, cmd, log)
	if err != nil {
		return "", fmt.Errorf("reading its display number: %w", err)
	}
	n, err := strconv.Atoi(line)
	if err != nil {
		return "", fmt.Errorf("unexpected display number %q", line)
	}
	return ":" + strconv.Itoa(n), nil
}

// readLine reads the first line from r, giving up when the process exits
// (done closes) or after timeout.
func readLine(r *os.File, done <-chan struct{}, timeout time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && line == "" {
			ch <- result{err: err}
			return
		}
		ch <- result{line: strings.TrimSpace(line)}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		if res.err == io.EOF {
			return "", errors.New("it closed its output without printing one (did it exit?)")
		}
		return res.line, res.err
	case <-done:
		select {
		case res := <-ch:
			if res.err == nil {
				return res.line, nil
			}
		default:
		}
		return "", errors.New("it exited")
	case <-timer.C:
		r.SetReadDeadline(time.Now()) // unblocks the reader goroutine
		return "", fmt.Errorf("timed out after %v", timeout)
	}
}

// stopOnCleanup waits for cmd in the background and registers a cleanup that
// stops it (SIGTERM, then SIGKILL after a few seconds). The returned channel
// closes when the process has exited.
func stopOnCleanup(t testing.TB, cmd *exec.Cmd) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() { terminate(cmd.Process, done) })
	return done
}

// terminate sends SIGTERM to p and waits for done, escalating to SIGKILL.
func terminate(p *os.Process, done <-chan struct{}) {
	select {
	case <-done:
		return
	default:
	}
	p.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(5 * time.Second):
	}
	p.Kill()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "\t(nothing)"
	}
	return "\t" + strings.ReplaceAll(s, "\n", "\n\t")
}
