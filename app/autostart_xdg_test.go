//go:build linux || freebsd || openbsd || netbsd

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartAtLoginXDG ticks and unticks start at login and reads the
// state back from the autostart folder, also after someone else changed it.
func TestStartAtLoginXDG(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	entry := filepath.Join(dir, "autostart", "llmstack.desktop")
	check := func(want bool) {
		t.Helper()
		if on, err := startAtLogin(); err != nil || on != want {
			t.Fatalf("startAtLogin() = %v, %v; want %v", on, err, want)
		}
	}
	check(false)
	if err := setStartAtLogin(true); err != nil {
		t.Fatal(err)
	}
	check(true)
	data, err := os.ReadFile(entry)
	exe, _ := executable()
	if err != nil || !strings.Contains(string(data), "\nExec="+desktopExecArg(exe)+"\n") {
		t.Errorf("autostart entry %s (%v) does not run %s:\n%s", entry, err, exe, data)
	}
	// The desktop's own settings switched it off: that is what shows.
	os.WriteFile(entry, append(data, "Hidden=true\n"...), 0o644)
	check(false)
	if err := setStartAtLogin(false); err != nil {
		t.Fatal(err)
	}
	check(false)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("unticking left %s: %v", entry, err)
	}
	if err := setStartAtLogin(false); err != nil {
		t.Errorf("unticking twice: %v", err)
	}
	// A folder that cannot be written is an error naming it.
	os.MkdirAll(filepath.Join(dir, "ro"), 0o500)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "ro"))
	if os.Getuid() != 0 {
		if err := setStartAtLogin(true); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "ro")) {
			t.Errorf("writing into a read-only folder: %v", err)
		}
	}
}
