package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// The AWS identities of the test profiles: the fake Bedrock records the
// access key id of the SigV4 credential scope, so tests can tell which
// profile signed a call.
const (
	keyDefault = "AKIDDEFAULTPROFILE01"
	keyFast    = "AKIDFASTPROFILE00001"
	keySmart   = "AKIDSMARTPROFILE0001"
)

// awsFiles writes AWS config and credentials files with three profiles and
// points the SDK at them, with no other AWS settings leaking in from the
// machine.
func awsFiles(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`[default]
region = eu-central-1
aws_access_key_id = %s
aws_secret_access_key = secret-default

[profile fast]
region = us-west-2
aws_access_key_id = %s
aws_secret_access_key = secret-fast

[profile smart]
aws_access_key_id = %s
aws_secret_access_key = secret-smart
aws_session_token = token-smart
`, keyDefault, keyFast, keySmart)
	write(t, filepath.Join(dir, "config"), config)
	write(t, filepath.Join(dir, "credentials"), "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("HOME", dir)
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL_STS", "LLMSTACK_USE_NEXT", "LLAMA_SWAP_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// modelsINI is the tier set of the end-to-end tests. {{BEDROCK}} and
// {{LLAMA}} are replaced with the fakes' URLs.
const modelsINI = `[DEFAULT]
llama_swap_url = {{LLAMA}}

[ROUTING]
multi_turn = 4
fast_token_budget = 1000

[code-fast]
role = fast
aws_model_id = fast-model-v1
aws_profile = fast
aws_endpoint_url = {{BEDROCK}}
sampler = temp=0.2, top_p=0.9, top_k=20, min_p=0.05
max_output_tokens = 4096
aliases = fast

[code-smart]
role = agent
aws_model_id = smart-model-v1
aws_model_id_next = smart-model-v2
aws_region = us-east-1
aws_region_next = us-west-2
aws_profile = smart
aws_endpoint_url = {{BEDROCK}}
aliases = smart

[plan]
role = plan
aws_model_id = plan-model-v1
aws_endpoint_url = {{BEDROCK}}
prompt_cache = on

[local]
role = plan-uncensored
hf_repo = org/local-GGUF
hf_file = local-Q4_K_M.gguf
aliases = uncensored
`

// fixture is a router wired to a fake Bedrock and a fake llama-swap.
type fixture struct {
	t       testing.TB
	fake    *fakebedrock.Server
	llama   *fakeLlamaSwap
	server  *server.Server
	url     string // router base URL, no /v1
	cfgPath string
	logs    *syncBuffer // the router's log, at debug level
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, fakebedrock.Options{})
}

// newFixtureWith is newFixture with a fake Bedrock of the given options.
func newFixtureWith(t testing.TB, opts fakebedrock.Options) *fixture {
	t.Helper()
	return newFixtureINI(t, opts, modelsINI)
}

// newFixtureINI is newFixtureWith serving another models.ini (with the
// same {{BEDROCK}} and {{LLAMA}} placeholders).
func newFixtureINI(t testing.TB, opts fakebedrock.Options, modelsINI string) *fixture {
	t.Helper()
	awsFiles(t)
	opts.Record = true
	f := &fixture{t: t, fake: fakebedrock.New(opts), llama: newFakeLlamaSwap(t)}
	bedrockSrv := httptest.NewServer(f.fake)
	t.Cleanup(bedrockSrv.Close)
	f.cfgPath = filepath.Join(t.TempDir(), "models.ini")
	ini := strings.NewReplacer("{{BEDROCK}}", bedrockSrv.URL, "{{LLAMA}}", f.llama.URL).Replace(modelsINI)
	write(t, f.cfgPath, ini)
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	f.logs = &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.server = server.New(cfg, server.Options{Version: "test", Logger: logger})
	routerSrv := httptest.NewServer(f.server)
	t.Cleanup(routerSrv.Close)
	f.url = routerSrv.URL
	return f
}

// post sends a JSON body to the router and returns the response with its
// body read.
func (f *fixture) post(path, body string) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, data
}

func (f *fixture) get(path string) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := http.Get(f.url + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// waitLog waits until the router's log has a line containing every one of
// parts, and returns that line; the line of a request is written when its
// handler returns, which can be after the client has seen the end.
func (f *fixture) waitLog(parts ...string) string {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for line := range strings.Lines(f.logs.String()) {
			if containsAll(line, parts) {
				return line
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("no log line with %q; the log:\n%s", parts, f.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// tierStats is what the router counted for the tier named name.
func (f *fixture) tierStats(name string) server.TierStats {
	f.t.Helper()
	for _, ts := range f.server.Status().Tiers {
		if ts.Name == name {
			return ts.Stats
		}
	}
	f.t.Fatalf("no tier %q in the status", name)
	return server.TierStats{}
}

// lastRequest is the last call the fake Bedrock received.
func (f *fixture) lastRequest() fakebedrock.Request {
	f.t.Helper()
	reqs := f.fake.Requests()
	if len(reqs) == 0 {
		f.t.Fatal("the fake Bedrock received no request")
	}
	return reqs[len(reqs)-1]
}

var (
	idRE        = regexp.MustCompile(`"id":"(chatcmpl|cmpl)-[0-9a-f]{24}"`)
	createdRE   = regexp.MustCompile(`"created":\d+`)
	signatureRE = regexp.MustCompile(`"(signature|data)":"[A-Za-z0-9+/=]+"`)
)

// normalize replaces response ids, timestamps and the fake's thinking
// signatures (made with a key of this process) with fixed values so
// responses can be compared with golden files.
func normalize(b []byte) []byte {
	b = idRE.ReplaceAll(b, []byte(`"id":"$1-ID"`))
	b = signatureRE.ReplaceAll(b, []byte(`"$1":"FAKE-SIGNED"`))
	return createdRE.ReplaceAll(b, []byte(`"created":0`))
}

// sseEvents splits an event-stream body into its data payloads.
func sseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			out = append(out, data)
		} else if line != "" {
			t.Errorf("unexpected line in event stream: %q", line)
		}
	}
	return out
}

// fakeLlamaSwap records what reaches llama-swap and answers like it.
type fakeLlamaSwap struct {
	*httptest.Server
	mu       sync.Mutex
	requests []llamaRequest
	// stream, when set, answers chat completions by calling it.
	stream func(w http.ResponseWriter, r *http.Request)
}

type llamaRequest struct {
	Method, Path string
	Body         []byte
	Header       http.Header
}

func newFakeLlamaSwap(t testing.TB) *fakeLlamaSwap {
	l := &fakeLlamaSwap{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		l.requests = append(l.requests, llamaRequest{Method: r.Method, Path: r.URL.RequestURI(), Body: body, Header: r.Header.Clone()})
		stream := l.stream
		l.mu.Unlock()
		switch {
		case r.URL.Path == "/v1/models":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"object":"list","data":[{"id":"local","object":"model","owned_by":"llama-swap"},{"id":"qwen-coder","object":"model","owned_by":"llama-swap","meta":{"llamaswap":{"state":"ready"}}},{"id":"code-fast","object":"model","owned_by":"llama-swap"}]}`)
		case r.URL.Path == "/health":
			io.WriteString(w, "OK")
		case stream != nil && r.URL.Path == "/v1/chat/completions":
			stream(w, r)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"llama_swap": true, "path": r.URL.Path, "received_bytes": len(body)})
		}
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *fakeLlamaSwap) received() []llamaRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]llamaRequest(nil), l.requests...)
}
