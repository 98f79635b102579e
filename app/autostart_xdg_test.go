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
	// The binary as started through a symlink in a folder with a space:
	// the entry runs the symlink, quoted.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	apps := filepath.Join(dir, "My Apps")
	os.Mkdir(apps, 0o755)
	if err := os.Symlink(exe, filepath.Join(apps, "llmstack")); err != nil {
		t.Fatal(err)
	}
	arg0 := os.Args[0]
	os.Args[0] = filepath.Join(apps, "llmstack")
	t.Cleanup(func() { os.Args[0] = arg0 })
	wantExec := "\nExec=\"" + dir + "/My Apps/llmstack\"\n"
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
	if err != nil || !strings.Contains(string(data), wantExec) {
		t.Errorf("autostart entry %s (%v) does not have the line %q:\n%s", entry, err, wantExec, data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(entry)); len(entries) != 1 {
		t.Errorf("files left beside the entry: %v", entries)
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
