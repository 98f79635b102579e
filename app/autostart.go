package app

import (
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
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

// executable is the running binary, symlinks resolved, which is what
// starts at login.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot tell where the llmstack binary is: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	if strings.ContainsAny(exe, "\n\r") {
		return "", fmt.Errorf("the llmstack binary's path %q has a line break, which a login item cannot run", exe)
	}
	return exe, nil
}

// desktopEntry is the XDG autostart entry that starts exe.
func desktopEntry(exe string) string {
	return "[Desktop Entry]\nType=Application\nName=llmstack\nComment=Bedrock and local models behind one OpenAI endpoint\n" +
		"Exec=" + desktopExecArg(exe) + "\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
}

// desktopExecArg quotes one Exec= argument as the Desktop Entry
// specification wants: reserved characters put it in double quotes, inside
// which " ` $ \ are escaped, % is doubled, and the value's own escaping
// doubles every backslash once more.
func desktopExecArg(arg string) string {
	arg = strings.ReplaceAll(arg, "%", "%%")
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

// writeLoginFile writes a login item file whole or not at all.
func writeLoginFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
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
