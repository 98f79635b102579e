package main

import (
	"io"
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
	const teamKey = "cli-team-key-0123456789abcdef"
	t.Setenv("LLMSTACK_KEY", teamKey)
	dir := t.TempDir()
	good := filepath.Join(dir, "models.ini")
	os.WriteFile(good, []byte("[code-fast]\nrole = fast\naws_model_id = fast-v1\naws_model_id_next = fast-v2\naws_region = us-east-1\naws_profile = dev\naliases = fast\n\n[local]\nhf_repo = org/repo\nhf_file = model.gguf\n"), 0o644)
	bad := filepath.Join(dir, "bad.ini")
	os.WriteFile(bad, []byte("[code-fast]\naws_model_id = m\naws_secret_access_key = wJalrXUtnFEMIEXAMPLEKEY\n"), 0o644)
	typo := filepath.Join(dir, "typo.ini")
	os.WriteFile(typo, []byte("[ROUTING]\nmulti_turn = 5\n\n[code-fast]\nrole = fast\naws_model_id = fast-v1\n\n[code-smart]\nrole = agent\naws_modelid = smart-v1\naws_region = us-east-1\n"), 0o644)
	remote := filepath.Join(dir, "remote.ini")
	os.WriteFile(remote, []byte("[DEFAULT]\nrouter_host = 0.0.0.0\n"), 0o644)
	// An indented line continues the value above it: the secret must not
	// end up in aws_region, nor in the output.
	indented := filepath.Join(dir, "indented.ini")
	os.WriteFile(indented, []byte("[code-fast]\nrole = fast\naws_model_id = m\naws_region = us-east-1\n  aws_secret_access_key = wJalrXUtnFEMIEXAMPLEKEY\n"), 0o644)
	claude := filepath.Join(dir, "claude.ini")
	os.WriteFile(claude, []byte("[DEFAULT]\nrouter_port = 10111\n\n[code-fast]\nrole = fast\naws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0\n\n[code-smart]\nrole = agent\naws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0\n\n[plan]\nrole = plan\naws_model_id = us.anthropic.claude-opus-4-5-20251101-v1:0\n"), 0o644)
	team := filepath.Join(dir, "team.ini")
	os.WriteFile(team, []byte("[DEFAULT]\nrouter_host = llm.example.internal\nrouter_api_key = ${LLMSTACK_KEY}\n\n[code-fast]\nrole = fast\naws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0\n"), 0o644)
	unset := filepath.Join(dir, "unset.ini")
	os.WriteFile(unset, []byte("[code-fast]\naws_model_id = m\naws_profile = $LLMSTACK_TEST_NOPE_PROFILE\naws_region = ${LLMSTACK_TEST_NOPE_REGION}\n"), 0o644)

	// opencode --write merges into the opencode.json there.
	project := filepath.Join(dir, "project")
	os.Mkdir(project, 0o755)
	os.WriteFile(filepath.Join(project, "opencode.json"), []byte(`{"theme":"tokyonight","model":"anthropic/claude-sonnet-4-5"}`), 0o644)
	jsonc := filepath.Join(dir, "jsonc")
	os.Mkdir(jsonc, 0o755)
	os.WriteFile(filepath.Join(jsonc, "opencode.json"), []byte("{\n  // mine\n}\n"), 0o644)

	tests := []struct {
		name string
		args []string
		code int
		cwd  string // run there, for a relative --config
	}{
		{"check", []string{"check", "--config", good}, 0, ""},
		{"check-next", []string{"check", "--next", "--config", good}, 0, ""},
		{"check-not-a-tier", []string{"check", "--config", typo}, 0, ""},
		{"check-invalid", []string{"check", "--config", bad}, 1, ""},
		{"check-missing", []string{"check", "--config", filepath.Join(dir, "nope.ini")}, 1, ""},
		{"check-not-loopback", []string{"check", "--config", remote}, 1, ""},
		{"serve-invalid", []string{"serve", "--config", bad}, 1, ""},
		{"serve-not-loopback", []string{"serve", "--config", good, "--addr", "0.0.0.0:10101"}, 1, ""},
		{"serve-bad-log-level", []string{"serve", "--log-level", "loud"}, 2, ""},
		{"unknown-command", []string{"frobnicate"}, 2, ""},
		{"bad-flag", []string{"check", "--nope"}, 2, ""},
		{"check-indented-secret", []string{"check", "--config", indented}, 1, ""},
		{"check-unset-env", []string{"check", "--config", unset}, 1, ""},
		{"check-relative", []string{"check", "--config", "models.ini"}, 0, dir},
		{"check-directory", []string{"check", "--config", dir}, 1, ""},
		{"check-extra-argument", []string{"check", "models.ini"}, 2, ""},
		{"claude-code", []string{"claude-code", "--config", claude}, 0, ""},
		{"claude-code-fish", []string{"claude-code", "--shell", "fish", "--config", claude}, 0, ""},
		{"claude-code-powershell", []string{"claude-code", "--shell", "powershell", "--config", claude}, 0, ""},
		{"claude-code-fallback-tiers", []string{"claude-code", "--config", good}, 0, ""},
		{"claude-code-team", []string{"claude-code", "--config", team}, 0, ""},
		{"claude-code-team-fish", []string{"claude-code", "--shell", "fish", "--config", team}, 0, ""},
		{"claude-code-team-powershell", []string{"claude-code", "--shell", "powershell", "--config", team}, 0, ""},
		{"opencode-team", []string{"opencode", "--config", team}, 0, ""},
		{"check-team", []string{"check", "--config", team}, 0, ""},
		{"claude-code-bad-shell", []string{"claude-code", "--shell", "tcsh", "--config", claude}, 2, ""},
		{"help", []string{"help"}, 0, ""},
		{"help-h", []string{"-h"}, 0, ""},
		{"help-long", []string{"--help"}, 0, ""},
		{"help-serve", []string{"serve", "-h"}, 0, ""},
		{"help-check", []string{"check", "--help"}, 0, ""},
		{"help-version", []string{"version", "--help"}, 0, ""},
		{"help-version-h", []string{"version", "-h"}, 0, ""},
		{"help-help", []string{"help", "--help"}, 0, ""},
		{"version-bad-flag", []string{"version", "--bogus"}, 2, ""},
		{"version-extra-argument", []string{"version", "bogus"}, 2, ""},
		{"help-bad-flag", []string{"help", "--bogus"}, 2, ""},
		{"help-extra-argument", []string{"help", "bogus"}, 2, ""},
		{"opencode", []string{"opencode", "--config", good}, 0, ""},
		{"opencode-next", []string{"opencode", "--next", "--config", good}, 0, ""},
		{"opencode-write", []string{"opencode", "--config", good, "--write", project}, 0, ""},
		{"opencode-write-not-json", []string{"opencode", "--config", good, "--write", jsonc}, 1, ""},
		{"opencode-invalid", []string{"opencode", "--config", bad}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := runIn(t, tt.cwd, tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			out := strings.ReplaceAll("exit "+string(rune('0'+code))+"\n--- stdout\n"+stdout.String()+"--- stderr\n"+stderr.String(), dir, "DIR")
			golden.Assert(t, "cli/"+tt.name+".txt", []byte(out))
			if strings.Contains(out, "wJalrXUtnFEMIEXAMPLEKEY") {
				t.Error("a secret from models.ini was echoed")
			}
			if strings.Contains(out, teamKey) {
				t.Error("router_api_key's value was printed")
			}
		})
	}
	merged, _ := os.ReadFile(filepath.Join(project, "opencode.json"))
	golden.Assert(t, "cli/opencode-write.opencode.json", merged)
}

// runIn runs the command in dir ("" for here) and comes back, so the golden
// files are found.
func runIn(t *testing.T, dir string, args []string, stdout, stderr io.Writer) int {
	t.Helper()
	if dir == "" {
		return run(args, stdout, stderr)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(here)
	return run(args, stdout, stderr)
}

// TestCheckUnreadable: a models.ini that exists but cannot be read is
// reported as such, not as an invalid file.
func TestCheckUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	path := filepath.Join(t.TempDir(), "models.ini")
	if err := os.WriteFile(path, []byte("[code-fast]\naws_model_id = m\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := run([]string{"check", "--config", path}, &stdout, &stderr)
	if want := "llmstack: cannot read " + path + ": permission denied"; code != 1 || !strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), "not valid") {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
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
