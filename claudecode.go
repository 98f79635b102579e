package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// claudeCodeToken is the ANTHROPIC_AUTH_TOKEN the printed lines set
// when models.ini has no router_api_key: Claude Code wants one, and the
// router then checks none.
const claudeCodeToken = "llmstack"

// claudeCode prints the environment lines that point Claude Code at the
// router of the current models.ini, its opus, sonnet and haiku models
// mapped to the plan, agent and fast tiers (as auto finds them).
func claudeCode(args []string, stdout, stderr io.Writer) int {
	var cf commonFlags
	fs := newFlagSet("claude-code", stderr, &cf)
	shell := fs.String("shell", "bash", "shell to print for: bash, zsh, fish or powershell")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	// set writes a value; setFrom copies another environment variable's
	// (the router's key: printed as a reference, never as its value).
	var set, setFrom func(name, value string) string
	switch *shell {
	case "bash", "zsh", "sh":
		set = func(n, v string) string { return "export " + n + "=" + quoteSingle(v, `'\''`) }
		setFrom = func(n, v string) string { return "export " + n + `="$` + v + `"` }
	case "fish":
		set = func(n, v string) string { return "set -gx " + n + " " + quoteSingle(v, `\'`) }
		setFrom = func(n, v string) string { return "set -gx " + n + ` "$` + v + `"` }
	case "powershell", "pwsh":
		set = func(n, v string) string { return "$env:" + n + " = " + quoteSingle(v, `''`) }
		setFrom = func(n, v string) string { return "$env:" + n + " = $env:" + v }
	default:
		fmt.Fprintf(stderr, "llmstack: --shell %q: want bash, zsh, fish or powershell\n", *shell)
		return 2
	}
	cfg, ok := loadConfig(cf.config, stderr)
	if !ok {
		return 1
	}
	if len(cfg.Tiers) == 0 {
		fmt.Fprintf(stderr, "llmstack: %s defines no tiers for Claude Code to use\n", cfg.Path)
		return 1
	}
	tier := func(role string) string { return server.TierForRole(cfg, role).Name }
	lines := []struct{ name, value string }{
		{"ANTHROPIC_BASE_URL", "http://" + cfg.Addr()},
		{"ANTHROPIC_AUTH_TOKEN", claudeCodeToken},
		{"ANTHROPIC_DEFAULT_OPUS_MODEL", tier(tiers.RolePlan)},
		{"ANTHROPIC_DEFAULT_SONNET_MODEL", tier(tiers.RoleAgent)},
		{"ANTHROPIC_DEFAULT_HAIKU_MODEL", tier(tiers.RoleFast)},
		{"ANTHROPIC_SMALL_FAST_MODEL", tier(tiers.RoleFast)},
		{"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"},
	}
	keyVar := cfg.RouterAPIKeyVar()
	fmt.Fprintf(stdout, "# Claude Code on llmstack (models.ini: %s)\n", cfg.Path)
	if keyVar == "" {
		fmt.Fprintf(stdout, "# The router ignores the auth token on loopback; Claude Code only needs one set.\n")
	} else {
		fmt.Fprintf(stdout, "# The router needs its key (router_api_key): set %s to it first.\n", keyVar)
	}
	for _, l := range lines {
		if l.name == "ANTHROPIC_AUTH_TOKEN" && keyVar != "" {
			fmt.Fprintln(stdout, setFrom(l.name, keyVar))
			continue
		}
		fmt.Fprintln(stdout, set(l.name, l.value))
	}
	return 0
}

// quoteSingle single-quotes s for a shell, writing each ' inside as
// escaped.
func quoteSingle(s, escaped string) string {
	return "'" + strings.ReplaceAll(s, "'", escaped) + "'"
}
