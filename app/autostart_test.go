package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
)

func TestDesktopExecArg(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/usr/bin/llmstack", "/usr/bin/llmstack"},
		{"/opt/llm stack/llmstack", `"/opt/llm stack/llmstack"`},
		{`/tmp/a"b$c/llmstack`, `"/tmp/a\\"b\\$c/llmstack"`},
		{`/tmp/back\slash/llmstack`, `"/tmp/back\\\\slash/llmstack"`},
	} {
		if got := desktopExecArg(tt.in); got != tt.want {
			t.Errorf("desktopExecArg(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestDesktopEntryRefusesPercent: a % in the binary's path would be
// written as %% (the specification's escape), which GLib's desktops refuse
// to run; the error says why and what to do instead of writing it.
func TestDesktopEntryRefusesPercent(t *testing.T) {
	_, err := desktopEntry("/home/me/100%/llmstack")
	if err == nil {
		t.Fatal("an autostart entry was made for a path with a %")
	}
	for _, want := range []string{"/home/me/100%/llmstack", "%", "move llmstack"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestDesktopEntryEnabled(t *testing.T) {
	entry := func(exe string) string {
		e, err := desktopEntry(exe)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for content, want := range map[string]bool{
		entry("/usr/bin/llmstack"):                        true,
		"[Desktop Entry]\nExec=x\nHidden=true\n":          false,
		"[Desktop Entry]\nExec=x\nHidden = false\n":       true,
		entry("/x") + "X-GNOME-Autostart-enabled=false\n": false,
	} {
		if got := desktopEntryEnabled(content); got != want {
			t.Errorf("desktopEntryEnabled(%q) = %v, want %v", content, got, want)
		}
	}
}

// TestLoginItems checks what each system's login item holds.
func TestLoginItems(t *testing.T) {
	entry, err := desktopEntry("/home/dev/My Apps/llmstack")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "autostart/llmstack.desktop", []byte(entry))
	golden.Assert(t, "autostart/"+launchAgentLabel+".plist", []byte(launchAgentPlist("/Applications/llmstack & co.app/Contents/MacOS/llmstack")))
	if got, want := runValue(`C:\Program Files\llmstack\llmstack.exe`), `"C:\Program Files\llmstack\llmstack.exe"`; got != want {
		t.Errorf("Run value %s, want %s", got, want)
	}
}

// TestLoginPath: the login item runs the binary by the path it was
// started from, a symlink included (/usr/local/bin/llmstack pointing into
// a versioned folder must stay the symlink, or an upgrade leaves the login
// item on the old version), found on PATH when started by name; a path
// that is not the running binary is not trusted.
func TestLoginPath(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	link := filepath.Join(bin, "llmstack")
	if err := os.Symlink(exe, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	other := filepath.Join(bin, "other")
	if err := os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Chdir(bin)
	for _, tt := range []struct{ arg0, want string }{
		{link, link},
		{"llmstack", link},   // started by name, found on PATH
		{"./llmstack", link}, // relative to the working directory
		{other, exe},         // not the running binary
		{"", exe},
		{filepath.Join(bin, "missing"), exe},
	} {
		if got := loginPath(tt.arg0, exe); got != tt.want {
			t.Errorf("loginPath(%q) = %q, want %q", tt.arg0, got, tt.want)
		}
	}
}
