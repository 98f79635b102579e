package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/internal/trayhost"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// claudeCodeVersion is the Claude Code the end-to-end test runs (its
// native binary comes as an npm optional dependency).
const claudeCodeVersion = "2.1.332"

// TestClaudeCodeToolLoop runs `llmstack serve` on tiers served by the fake
// Bedrock in agent mode, points Claude Code itself at it with the lines
// `llmstack claude-code` prints, and asks it for a tool loop: Claude Code
// must call the Bash tool the fake asks for twice, send the results back
// (with the thinking blocks the fake signed) and print the fake's final
// answer.
func TestClaudeCodeToolLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("installs and runs Claude Code; skipped with -short")
	}
	claude := installNPMClient(t, "@anthropic-ai/claude-code", claudeCodeVersion, "claude")
	llmstack := trayhost.BuildGo(t, "github.com/llmstack/llmstack")

	fake := fakebedrock.New(fakebedrock.Options{
		AgentTools: []fakebedrock.AgentTool{{Name: "Bash", Input: `{"command":"echo hi","description":"Print hi"}`}},
		AgentSteps: 2,
		Record:     true,
	})
	bedrockSrv := httptest.NewServer(fake)
	defer bedrockSrv.Close()

	// models.ini names the router's port, and Claude Code's base URL
	// comes from there: a port free a moment ago. llama-swap is a port
	// nobody listens on, as on a machine without local models.
	dir := t.TempDir()
	ini := filepath.Join(dir, "models.ini")
	content := strings.NewReplacer(
		"{{PORT}}", strconv.Itoa(freePort(t)),
		"{{LLAMA}}", "http://127.0.0.1:"+strconv.Itoa(freePort(t)),
		"{{BEDROCK}}", bedrockSrv.URL,
	).Replace(`[DEFAULT]
router_port = {{PORT}}
llama_swap_url = {{LLAMA}}
aws_region = us-east-1
aws_endpoint_url = {{BEDROCK}}

[code-fast]
role = fast
aws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0

[code-smart]
role = agent
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0

[plan]
role = plan
aws_model_id = us.anthropic.claude-opus-4-5-20251101-v1:0
`)
	if err := os.WriteFile(ini, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	// The environment of both programs starts without AWS, Anthropic or
	// Claude Code settings of whoever runs the test: Claude Code would
	// take an ANTHROPIC_API_KEY or CLAUDE_CODE_USE_BEDROCK over the
	// router, and serve a real profile over the fake's key.
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "ANTHROPIC_") && !strings.HasPrefix(kv, "CLAUDE_") &&
			!strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "LLMSTACK_") && !strings.HasPrefix(kv, "LLAMA_SWAP_URL=") {
			base = append(base, kv)
		}
	}
	home := func() []string {
		h := t.TempDir()
		return []string{"HOME=" + h,
			"XDG_CONFIG_HOME=" + filepath.Join(h, ".config"),
			"XDG_DATA_HOME=" + filepath.Join(h, ".local", "share"),
			"XDG_CACHE_HOME=" + filepath.Join(h, ".cache"),
			"XDG_STATE_HOME=" + filepath.Join(h, ".local", "state"),
		}
	}

	// The router, as `llmstack serve`, its log in a file.
	logPath := filepath.Join(dir, "router.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	serve := exec.Command(llmstack, "serve", "--config", ini)
	serve.Env = append(append(base, home()...),
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	serve.Stdout, serve.Stderr = logFile, logFile
	if err := serve.Start(); err != nil {
		t.Fatalf("llmstack serve: %v", err)
	}
	served := make(chan struct{}) // closed once serve has exited
	var serveErr error
	go func() { serveErr = serve.Wait(); close(served) }()
	stopped := false
	stopServe := func() {
		if stopped {
			return
		}
		stopped = true
		serve.Process.Signal(os.Interrupt)
		select {
		case <-served:
		case <-time.After(time.Minute):
			serve.Process.Kill()
			<-served
			t.Error("llmstack serve did not stop within a minute of SIGINT")
		}
	}
	defer stopServe()

	// Claude Code's environment, from the lines `llmstack claude-code`
	// prints for this models.ini.
	var lines, stderr strings.Builder
	if code := run([]string{"claude-code", "--config", ini}, &lines, &stderr); code != 0 {
		t.Fatalf("llmstack claude-code: exit %d: %s", code, stderr.String())
	}
	ccEnv := exportLines(t, lines.String())
	baseURL := ""
	for _, kv := range ccEnv {
		if v, ok := strings.CutPrefix(kv, "ANTHROPIC_BASE_URL="); ok {
			baseURL = v
		}
	}
	waitHealthy(t, baseURL, served, &serveErr, logPath)

	project := filepath.Join(dir, "project")
	if err := os.Mkdir(project, 0o755); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// --allowedTools, not --dangerously-skip-permissions, which refuses
	// to run as root (as CI containers do).
	cc := exec.CommandContext(runCtx, claude, "-p", "Run the hi command twice", "--allowedTools", "Bash")
	cc.Dir = project
	cc.Env = append(append(append(base, home()...), ccEnv...), "DISABLE_AUTOUPDATER=1", "NO_COLOR=1", "PWD="+project)
	cc.WaitDelay = 10 * time.Second
	var ccOut, ccErr strings.Builder
	cc.Stdout, cc.Stderr = &ccOut, &ccErr
	err = cc.Run()
	stopServe()
	routerLog, _ := os.ReadFile(logPath)
	if err != nil || !strings.Contains(ccOut.String(), fakebedrock.AgentFinalText) {
		t.Fatalf("claude -p (%v) did not end the tool loop with %q;\nits output:\n%s\nits errors:\n%s\nthe router's log:\n%s",
			err, fakebedrock.AgentFinalText, ccOut.String(), ccErr.String(), routerLog)
	}

	// Bedrock saw the loop: the last request carried both tool results,
	// each after the thinking block the fake signed (and has checked).
	results, thoughts := 0, 0
	for _, r := range fake.Requests() {
		if n := strings.Count(string(r.Body), `"tool_result"`); n > results {
			results, thoughts = n, strings.Count(string(r.Body), `"type":"thinking"`)
		}
	}
	if results < 2 || thoughts < 2 {
		t.Errorf("the fake's last request carried %d tool results and %d thinking blocks, want 2 of each", results, thoughts)
	}
	// Every Messages request was answered, and the log says so.
	answered := 0
	for _, line := range strings.Split(string(routerLog), "\n") {
		if !strings.Contains(line, "path=/v1/messages ") {
			continue
		}
		if strings.Contains(line, " status=200 ") {
			answered++
		} else {
			t.Errorf("a Messages request not answered 200: %s", line)
		}
		if !strings.Contains(line, "bedrock_model=us.anthropic.claude-") {
			t.Errorf("a Messages request not served by a bedrock Claude tier: %s", line)
		}
	}
	if answered < 3 {
		t.Errorf("the router's log has %d /v1/messages lines with status=200, want the loop's 3:\n%s", answered, routerLog)
	}
	for _, line := range strings.Split(string(routerLog), "\n") {
		if strings.Contains(line, "path=/ ") && !strings.Contains(line, " status=200 ") {
			t.Errorf("Claude Code's look at the base URL was not answered 200: %s", line)
		}
	}
	if strings.Contains(string(routerLog), "not-a-secret") {
		t.Errorf("the router's log shows the AWS secret key:\n%s", routerLog)
	}
}

// freePort returns a loopback port nobody listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// exportLines reads `export NAME='value'` lines (as `llmstack claude-code`
// prints for bash) into NAME=value pairs, skipping comments.
func exportLines(t *testing.T, out string) []string {
	t.Helper()
	var env []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, quoted, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(quoted, "'") || !strings.HasSuffix(quoted, "'") || len(quoted) < 2 {
			t.Fatalf("llmstack claude-code printed %q, not an export line", line)
		}
		env = append(env, name+"="+strings.ReplaceAll(quoted[1:len(quoted)-1], `'\''`, "'"))
	}
	return env
}

// waitHealthy waits for the router at baseURL to answer /health, failing
// the test if serve exits first (served closed, with *serveErr).
func waitHealthy(t *testing.T, baseURL string, served <-chan struct{}, serveErr *error, logPath string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(baseURL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-served:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("llmstack serve exited (%v) before answering at %s:\n%s", *serveErr, baseURL, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("llmstack serve did not answer %s/health within a minute:\n%s", baseURL, log)
		}
	}
}
