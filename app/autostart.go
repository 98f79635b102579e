package app

import (
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/llmstack/llmstack/internal/atomicfile"
)

// Start at login lives where each system keeps it, so the state shown is
// the system's, never remembered: an XDG autostart entry on Linux and the
// BSDs (autostart_xdg.go), a LaunchAgent on macOS (autostart_darwin.go),
// the HKCU Run key on Windows (autostart_windows.go). Each has
// startAtLogin() (bool, error) and setStartAtLogin(on bool) error; the
// contents they write are built here, to be tested on any system.

// launchAgentLabel names the LaunchAgent (the app id, as macOS expects).
const launchAgentLabel = ID

// runValueName is the value of llmstack under the Windows Run key.
const runValueName = "llmstack"

// executable is the running binary as it was started, which is what
// starts at login: through a symlink (/usr/local/bin/llmstack into a
// versioned folder) it stays the symlink, so an upgrade that moves the
// link moves the login item too.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot tell where the llmstack binary is: %w", err)
	}
	exe = loginPath(os.Args[0], exe)
	if strings.ContainsAny(exe, "\n\r") {
		return "", fmt.Errorf("the llmstack binary's path %q has a line break, which a login item cannot run", exe)
	}
	return exe, nil
}

// loginPath is arg0 (the path the binary was started by: absolute,
// relative, or a name found on PATH) made absolute, when it is the
// running binary exe; otherwise exe. os.Executable alone resolves
// symlinks on Linux.
func loginPath(arg0, exe string) string {
	if arg0 == "" {
		return exe
	}
	path := arg0
	if !strings.ContainsRune(arg0, filepath.Separator) && !strings.ContainsRune(arg0, '/') {
		found, err := exec.LookPath(arg0)
		if err != nil {
			return exe
		}
		path = found
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return exe
	}
	a, errA := os.Stat(abs)
	b, errB := os.Stat(exe)
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		return exe
	}
	return abs
}

// desktopEntry is the XDG autostart entry that starts exe. A path with a
// % is refused: the specification escapes it as %%, but GLib's desktops
// (GNOME, and others that use GIO) refuse to run such an Exec= line, so
// the entry would be there and never start anything.
func desktopEntry(exe string) (string, error) {
	if strings.Contains(exe, "%") {
		// The reason first: the tray clips the message to one menu line.
		return "", fmt.Errorf("desktops refuse a %% in an autostart entry, and the llmstack binary's path has one (%s): move llmstack to a folder without one to start it at login", exe)
	}
	return "[Desktop Entry]\nType=Application\nName=llmstack\nComment=Bedrock and local models behind one OpenAI endpoint\n" +
		"Exec=" + desktopExecArg(exe) + "\nTerminal=false\nX-GNOME-Autostart-enabled=true\n", nil
}

// desktopExecArg quotes one Exec= argument (without a %: desktopEntry
// refuses those) as the Desktop Entry specification wants: reserved
// characters put it in double quotes, inside which " ` $ \ are escaped,
// and the value's own escaping doubles every backslash once more.
func desktopExecArg(arg string) string {
	if strings.ContainsAny(arg, " \t\"'\\><~|&;$*?#()`") {
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
		arg = `"` + r.Replace(arg) + `"`
	}
	return strings.ReplaceAll(arg, `\`, `\\`)
}

// desktopEntryEnabled reads an autostart entry as desktops do: present
// and neither Hidden nor switched off.
func desktopEntryEnabled(content string) bool {
	for _, line := range strings.Split(content, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch strings.TrimSpace(k) {
		case "Hidden":
			if strings.TrimSpace(v) == "true" {
				return false
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(v) == "false" {
				return false
			}
		}
	}
	return true
}

// launchAgentPlist is the LaunchAgent that starts exe at login.
func launchAgentPlist(exe string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + launchAgentLabel + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + html.EscapeString(exe) + `</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
}

// runValue is the command line the Windows Run key holds for exe.
func runValue(exe string) string { return `"` + exe + `"` }

// writeLoginFile writes a login item file whole or not at all
// (atomicfile), making its folder first.
func writeLoginFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	if err := atomicfile.Write(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// removeLoginFile removes a login item file; one that is not there is
// already removed.
func removeLoginFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot remove %s: %w", path, err)
	}
	return nil
}
