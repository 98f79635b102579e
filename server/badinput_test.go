package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// TestBadRequests checks that malformed and mis-shaped bodies get a 400
// naming the problem, and never reach Bedrock.
func TestBadRequests(t *testing.T) {
	tests := []struct {
		name, path, body, want string
	}{
		{"not-json", "/v1/chat/completions", `{"model":"code-fast",`, "not valid JSON"},
		{"empty", "/v1/chat/completions", ``, "request body is empty"},
		{"array", "/v1/chat/completions", `[1,2]`, "must be a JSON object"},
		{"messages-string", "/v1/chat/completions", `{"model":"code-fast","messages":"hi"}`, `"messages" must be a list`},
		{"no-messages", "/v1/chat/completions", `{"model":"code-fast"}`, `"messages" is required`},
		{"empty-messages", "/v1/chat/completions", `{"model":"auto","messages":[]}`, `at least one message`},
		{"bad-role", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"robot","content":"hi"}]}`, `unknown role "robot"`},
		{"bad-content", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":42}]}`, "content must be a string"},
		{"bad-temperature", "/v1/chat/completions", `{"model":"code-fast","temperature":"hot","messages":[{"role":"user","content":"hi"}]}`, `"temperature" must be a number`},
		{"bad-stop", "/v1/chat/completions", `{"model":"code-fast","stop":5,"messages":[{"role":"user","content":"hi"}]}`, "stop must be a string or a list of strings"},
		{"tool-without-name", "/v1/chat/completions", `{"model":"code-fast","tools":[{"type":"function","function":{}}],"messages":[{"role":"user","content":"hi"}]}`, "tools[0]: function.name is required"},
		{"bad-tool-choice", "/v1/chat/completions", `{"model":"code-fast","tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"x"}}],"messages":[{"role":"user","content":"hi"}]}`, `tool_choice "sometimes"`},
		{"remote-image", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}`, "base64 data: URL"},
		{"n-above-one", "/v1/chat/completions", `{"model":"code-fast","n":3,"messages":[{"role":"user","content":"hi"}]}`, `"n" is 3`},
		{"bad-response-format", "/v1/chat/completions", `{"model":"code-fast","response_format":{"type":"json_schema","json_schema":{"name":"x"}},"messages":[{"role":"user","content":"hi"}]}`, "json_schema.schema must be a JSON Schema object"},
		{"no-prompt", "/v1/completions", `{"model":"code-fast"}`, `"prompt" is required`},
		{"bad-content-index", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yes"},{"role":"user","content":{"text":"x"}}]}`, "messages[2].content must be a string"},
		{"max-tokens-zero", "/v1/chat/completions", `{"model":"code-fast","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, `"max_tokens" is 0: it must be at least 1`},
		{"max-completion-tokens-negative", "/v1/chat/completions", `{"model":"code-fast","max_completion_tokens":-5,"messages":[{"role":"user","content":"hi"}]}`, `"max_completion_tokens" is -5: it must be at least 1`},
		{"bad-tool-choice-without-tools", "/v1/chat/completions", `{"model":"code-fast","tool_choice":"bogus","messages":[{"role":"user","content":"hi"}]}`, `tool_choice "bogus" is not one of auto, none, required`},
		{"tool-choice-undeclared", "/v1/chat/completions", `{"model":"code-fast","tool_choice":{"type":"function","function":{"name":"y"}},"tools":[{"type":"function","function":{"name":"x"}}],"messages":[{"role":"user","content":"hi"}]}`, `tool_choice names function "y"`},
		{"tool-parameters-not-object", "/v1/chat/completions", `{"model":"code-fast","tools":[{"type":"function","function":{"name":"x","parameters":["a"]}}],"messages":[{"role":"user","content":"hi"}]}`, "tools[0].function.parameters must be a JSON Schema object"},
		{"tool-call-without-name", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{}]},{"role":"tool","content":"ok"}]}`, "messages[1].tool_calls[0]: function.name is required"},
		{"unsupported-document", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":[{"type":"text","text":"unpack"},{"type":"file","file":{"filename":"a.zip","file_data":"data:application/zip;base64,UEsDBA=="}}]}]}`, `messages[0].content[1]: "a.zip" (application/zip) is not a supported document type (pdf, csv`},
		{"file-id", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, "take only inline file_data"},
		{"unknown-content-part", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAEC","format":"wav"}}]}]}`, `content part type "input_audio" is not supported`},
		{"bad-top-k", "/v1/chat/completions", `{"model":"code-fast","top_k":-3,"messages":[{"role":"user","content":"hi"}]}`, `"top_k" is -3`},
		{"bad-cache-ttl", "/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi","cache_control":{"type":"ephemeral","ttl":"1d"}}]}`, `messages[0].cache_control: ttl "1d" is not supported (5m or 1h)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			resp, body := f.post(tt.path, tt.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", resp.StatusCode, body)
			}
			var e struct {
				Error struct{ Message, Type string }
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Type != "invalid_request_error" || !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("error %s, want a message containing %q", body, tt.want)
			}
			if n := len(f.fake.Requests()); n != 0 {
				t.Errorf("%d bad requests reached Bedrock", n)
			}
		})
	}
}

// TestAWSProfileProblems checks that a tier whose AWS setup is broken fails
// with the cause and the fix, not a bare 502.
func TestAWSProfileProblems(t *testing.T) {
	tests := []struct {
		name   string
		tier   string
		status int
		want   []string
	}{
		{"missing-profile", "aws_profile = nosuch", http.StatusUnauthorized, []string{`AWS profile "nosuch" is not in the AWS config files`, "aws configure --profile nosuch"}},
		{"sso-not-logged-in", "aws_profile = sso", http.StatusUnauthorized, []string{`profile "sso"`, "aws sso login --profile sso"}},
		{"credential-process-fails", "aws_profile = proc", http.StatusUnauthorized, []string{"credential_process", `profile "proc"`}},
		{"no-region", "aws_profile = noregion", http.StatusInternalServerError, []string{"no AWS region", "aws_region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			cfgFile := os.Getenv("AWS_CONFIG_FILE")
			extra := `
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile proc]
region = us-east-1
credential_process = /bin/sh -c "echo token expired >&2; exit 3"

[profile noregion]
aws_access_key_id = AKIDNOREGION00000001
aws_secret_access_key = x
`
			old, _ := os.ReadFile(cfgFile)
			write(t, cfgFile, string(old)+extra)
			ini := strings.Replace(modelsINI, "aws_profile = fast", tt.tier, 1)
			ini = strings.NewReplacer("{{BEDROCK}}", "http://127.0.0.1:1", "{{LLAMA}}", f.llama.URL).Replace(ini)
			path := filepath.Join(t.TempDir(), "models.ini")
			write(t, path, ini)
			cfg, err := tiers.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			f.server.SetConfig(cfg)
			resp, body := f.post("/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var e struct{ Error struct{ Message string } }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("not an OpenAI error: %s", body)
			}
			for _, w := range tt.want {
				if !strings.Contains(e.Error.Message, w) {
					t.Errorf("error %q does not say %q", e.Error.Message, w)
				}
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:10101", true}, {"[::1]:10101", true}, {"localhost:1", true}, {"127.0.0.2:80", true},
		{"0.0.0.0:10101", false}, {"192.168.1.5:10101", false}, {":10101", false}, {"example.com:80", false}, {"nonsense", false},
	} {
		if err := server.CheckLoopback(tt.addr); (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

// TestBrowserRequests checks who may call the router from a browser: pages
// served from this machine (with CORS answers), nobody else.
func TestBrowserRequests(t *testing.T) {
	tests := []struct {
		name, method, host, origin, site string
		status                           int
		allowOrigin                      string
	}{
		{"cli-client", "POST", "", "", "", 200, ""},
		{"localhost-host", "POST", "localhost:10101", "", "", 200, ""},
		{"local-web-ui", "POST", "", "http://localhost:3000", "same-site", 200, "http://localhost:3000"},
		{"local-web-ui-preflight", "OPTIONS", "", "http://127.0.0.1:8080", "", 204, "http://127.0.0.1:8080"},
		{"foreign-page", "POST", "", "https://attacker.example", "cross-site", 403, ""},
		{"foreign-preflight", "OPTIONS", "", "https://attacker.example", "", 403, ""},
		{"sandboxed-page", "POST", "", "null", "cross-site", 403, ""},
		{"cross-site-without-origin", "POST", "", "", "cross-site", 403, ""},
		{"dns-rebinding", "POST", "rebind.attacker.example:10101", "", "", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req, _ := http.NewRequest(tt.method, f.url+"/v1/chat/completions", strings.NewReader(`{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`))
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				req.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if tt.method == "OPTIONS" {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			if tt.status == 403 && len(f.fake.Requests()) != 0 {
				t.Error("a refused request reached Bedrock")
			}
		})
	}
}

// TestBodyTooLarge checks that a body over MaxBodyBytes gets a 413 naming
// the limit on every route, and reaches neither Bedrock nor llama-swap.
func TestBodyTooLarge(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/v1/embeddings"} {
		t.Run(strings.TrimPrefix(path, "/v1/"), func(t *testing.T) {
			f := newFixture(t)
			// {"model":"code-fast","x":"aaaa…"} one byte over the limit,
			// made as it is sent.
			head := `{"model":"code-fast","x":"`
			body := io.MultiReader(strings.NewReader(head), io.LimitReader(repeatByte('a'), server.MaxBodyBytes+1-int64(len(head))))
			resp, err := http.Post(f.url+path, "application/json", body)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), `"code":"body_too_large"`) || !strings.Contains(string(data), "larger than 64 MiB") {
				t.Errorf("status %d: %s", resp.StatusCode, data)
			}
			if n := len(f.fake.Requests()); n != 0 {
				t.Errorf("%d requests reached Bedrock", n)
			}
			f.llama.mu.Lock()
			n := len(f.llama.requests)
			f.llama.mu.Unlock()
			if n != 0 {
				t.Errorf("%d requests reached llama-swap", n)
			}
		})
	}
}

// repeatByte is an endless reader of one byte.
type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	block := bytes.Repeat([]byte{byte(b)}, min(len(p), 64<<10))
	n := 0
	for n < len(p) {
		n += copy(p[n:], block)
	}
	return n, nil
}
