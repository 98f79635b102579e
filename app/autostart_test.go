package app

import (
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
)

func TestDesktopExecArg(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/usr/bin/llmstack", "/usr/bin/llmstack"},
		{"/opt/llm stack/llmstack", `"/opt/llm stack/llmstack"`},
		{"/home/me/100%/llmstack", "/home/me/100%%/llmstack"},
		{`/tmp/a"b$c/llmstack`, `"/tmp/a\\"b\\$c/llmstack"`},
		{`/tmp/back\slash/llmstack`, `"/tmp/back\\\\slash/llmstack"`},
	} {
		if got := desktopExecArg(tt.in); got != tt.want {
			t.Errorf("desktopExecArg(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDesktopEntryEnabled(t *testing.T) {
	for content, want := range map[string]bool{
		desktopEntry("/usr/bin/llmstack"):                        true,
		"[Desktop Entry]\nExec=x\nHidden=true\n":                 false,
		"[Desktop Entry]\nExec=x\nHidden = false\n":              true,
		desktopEntry("/x") + "X-GNOME-Autostart-enabled=false\n": false,
	} {
		if got := desktopEntryEnabled(content); got != want {
			t.Errorf("desktopEntryEnabled(%q) = %v, want %v", content, got, want)
		}
	}
}

// TestLoginItems checks what each system's login item holds.
func TestLoginItems(t *testing.T) {
	golden.Assert(t, "autostart/llmstack.desktop", []byte(desktopEntry("/home/dev/My Apps/llmstack")))
	golden.Assert(t, "autostart/"+launchAgentLabel+".plist", []byte(launchAgentPlist("/Applications/llmstack & co.app/Contents/MacOS/llmstack")))
	if got, want := runValue(`C:\Program Files\llmstack\llmstack.exe`), `"C:\Program Files\llmstack\llmstack.exe"`; got != want {
		t.Errorf("Run value %s, want %s", got, want)
	}
}
