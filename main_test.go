package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/internal/trayhost"
)

func TestCLI(t *testing.T) {
	t.Setenv("LLMSTACK_USE_NEXT", "")
	t.Setenv("LLAMA_SWAP_URL", "")
	dir := t.TempDir()
	good := filepath.Join(dir, "models.ini")
	os.WriteFile(good, []byte("[code-fast]\nrole = fast\naws_model_id = fast-v1\naws_model_id_next = fast-v2\naws_region = us-east-1\naws_profile = dev\naliases = fast\n\n[local]\nhf_repo = org/repo\nhf_file = model.gguf\n"), 0o644)
	bad := filepath.Join(dir, "bad.ini")
	os.WriteFile(bad, []byte("[code-fast]\naws_model_id = m\naws_secret_access_key = wJalrXUtnFEMIEXAMPLEKEY\n"), 0o644)
	typo := filepath.Join(dir, "typo.ini")
	os.WriteFile(typo, []byte("[ROUTING]\nmulti_turn = 5\n\n[code-fast]\nrole = fast\naws_model_id = fast-v1\n\n[code-smart]\nrole = agent\naws_modelid = smart-v1\naws_region = us-east-1\n"), 0o644)
	remote := filepath.Join(dir, "remote.ini")
	os.WriteFile(remote, []byte("[DEFAULT]\nrouter_host = 0.0.0.0\n"), 0o644)

	tests := []struct {
		name string
		args []string
		code int
	}{
		{"check", []string{"check", "--config", good}, 0},
		{"check-next", []string{"check", "--next", "--config", good}, 0},
		{"check-not-a-tier", []string{"check", "--config", typo}, 0},
		{"check-invalid", []string{"check", "--config", bad}, 1},
		{"check-missing", []string{"check", "--config", filepath.Join(dir, "nope.ini")}, 1},
		{"check-not-loopback", []string{"check", "--config", remote}, 1},
		{"serve-invalid", []string{"serve", "--config", bad}, 1},
		{"serve-not-loopback", []string{"serve", "--config", good, "--addr", "0.0.0.0:10101"}, 1},
		{"serve-bad-log-level", []string{"serve", "--log-level", "loud"}, 2},
		{"unknown-command", []string{"frobnicate"}, 2},
		{"bad-flag", []string{"check", "--nope"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			out := strings.ReplaceAll("exit "+string(rune('0'+code))+"\n--- stdout\n"+stdout.String()+"--- stderr\n"+stderr.String(), dir, "DIR")
			golden.Assert(t, "cli/"+tt.name+".txt", []byte(out))
			if strings.Contains(out, "wJalrXUtnFEMIEXAMPLEKEY") {
				t.Error("a secret from models.ini was echoed")
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout strings.Builder
	if code := run([]string{"version"}, &stdout, &stdout); code != 0 || !strings.HasPrefix(stdout.String(), "llmstack "+version+" (go") {
		t.Errorf("version: %d %q", code, stdout.String())
	}
	if version == "dev" || version != appVersion(fyneAppTOML) {
		t.Errorf("version %q does not come from FyneApp.toml", version)
	}
}

// TestQuietUnderPOSIXLocale runs the built binary the way CI images and
// containers do, under C.UTF-8, where Fyne would log a locale error on
// every command.
func TestQuietUnderPOSIXLocale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := trayhost.BuildGo(t, "github.com/llmstack/llmstack")
	for _, locale := range []string{"C.UTF-8", "C", "en_US.UTF-8"} {
		cmd := exec.Command(bin, "version")
		cmd.Env = append(os.Environ(), "LANG="+locale, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), "llmstack ") {
			t.Errorf("LANG=%s: version: %v, %q", locale, err, out)
		}
		if stderr.Len() > 0 {
			t.Errorf("LANG=%s: version wrote to stderr:\n%s", locale, stderr.String())
		}
	}
}
