package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// opencodeVersion is the opencode the end-to-end test runs.
const opencodeVersion = "1.18.33"

// TestOpencodeToolLoop writes opencode's config with `llmstack opencode
// --write`, then runs opencode itself on it against a router whose tiers
// are served by the fake Bedrock in agent mode: opencode must read the
// config, call the bash tool the fake asks for, send the result back, and
// print the fake's final answer.
func TestOpencodeToolLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("installs and runs opencode; skipped with -short")
	}
	opencode := installNPMClient(t, "opencode-ai", opencodeVersion, "opencode")

	// The fake Bedrock asks for two bash calls, then answers.
	fake := fakebedrock.New(fakebedrock.Options{
		AgentTools: []fakebedrock.AgentTool{{Name: "bash", Input: `{"command":"echo hi","description":"Print hi"}`}},
		AgentSteps: 2,
		Record:     true,
	})
	bedrockSrv := httptest.NewServer(fake)
	defer bedrockSrv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("LLMSTACK_USE_NEXT", "")
	t.Setenv("LLAMA_SWAP_URL", "")

	// The router, on a free loopback port models.ini names (opencode's
	// config takes its base URL from there).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	ini := filepath.Join(dir, "models.ini")
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(ini, strings.NewReplacer("{{PORT}}", strconv.Itoa(port), "{{BEDROCK}}", bedrockSrv.URL).Replace(`[DEFAULT]
router_port = {{PORT}}
aws_region = us-east-1
aws_endpoint_url = {{BEDROCK}}

[code-fast]
role = fast
aws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0
ctx_size = 200000
max_output_tokens = 8000

[code-smart]
role = agent
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
ctx_size = 200000
max_output_tokens = 16000
prompt_cache = on
`))
	cfg, err := tiers.Load(ini)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, server.Options{UsagePath: filepath.Join(dir, "usage.json")})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	project := filepath.Join(dir, "project")
	if err := os.Mkdir(project, 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(project, "opencode.json"), `{"autoupdate": false, "share": "disabled"}`)
	var stdout, stderr strings.Builder
	if code := run([]string{"opencode", "--config", ini, "--write", project}, &stdout, &stderr); code != 0 {
		t.Fatalf("llmstack opencode --write: exit %d: %s", code, stderr.String())
	}
	written, _ := os.ReadFile(filepath.Join(project, "opencode.json"))
	var doc map[string]any
	if err := json.Unmarshal(written, &doc); err != nil || doc["autoupdate"] != false || doc["model"] != "llmstack/auto" {
		t.Fatalf("opencode.json after --write (%v):\n%s", err, written)
	}

	home := t.TempDir()
	runCtx, stop := context.WithTimeout(context.Background(), 4*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, opencode, "run", "Print hi with the bash tool")
	cmd.Dir = project
	// Without the AWS variables: opencode would take them for its own
	// Bedrock provider and pick a model of that. opencode finds its
	// project by $PWD, which must be the project's.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PWD=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"PWD="+project,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"OPENCODE_DISABLE_AUTOUPDATE=true",
		"OPENCODE_DISABLE_MODELS_FETCH=true",
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), fakebedrock.AgentFinalText) {
		t.Fatalf("opencode run (%v) did not end the tool loop with %q; its output:\n%s", err, fakebedrock.AgentFinalText, out)
	}

	// Bedrock saw the loop: two tool results came back, on the agent tier.
	results := 0
	for _, r := range fake.Requests() {
		if strings.Contains(r.ModelID, "sonnet") {
			results = max(results, strings.Count(string(r.Body), `"toolResult"`))
		}
	}
	if results < 2 {
		t.Errorf("the agent tier's last request carried %d tool results, want 2", results)
	}
	for _, ts := range srv.Status().Tiers {
		if ts.Name == "code-smart" && (ts.Stats.Requests < 3 || ts.SpentTodayUSD <= 0) {
			t.Errorf("code-smart served %d requests and spent %v; want the loop's 3 and some dollars", ts.Stats.Requests, ts.SpentTodayUSD)
		}
	}
}
