package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRoot checks `/`, which clients ask first to see that the base URL
// answers (Claude Code sends HEAD /): it stays llama-swap's (whose `/` leads
// to its web UI) while llama-swap answers, and the router answers GET and
// HEAD itself, naming its routes, when llama-swap does not, rather than
// logging a 502 for a look at the base URL. Every other path and method
// still gets llama-swap's answer or its 502.
func TestRoot(t *testing.T) {
	tests := []struct {
		name      string
		llamaDown bool
		method    string
		path      string
		status    int
		want      []string // in the body
		fromLlama bool     // the request reached llama-swap
	}{
		{"get, llama-swap up", false, "GET", "/", 200, []string{`"llama_swap":true`}, true},
		{"head, llama-swap up", false, "HEAD", "/", 200, nil, true},
		{"get, llama-swap down", true, "GET", "/", 200, []string{"llmstack test", "POST /v1/chat/completions", "POST /v1/messages", "GET /v1/models", "GET /health", "llama-swap at http://", "did not answer"}, false},
		{"head, llama-swap down", true, "HEAD", "/", 200, nil, false},
		{"query, llama-swap down", true, "GET", "/?x=1", 200, []string{"llmstack test"}, false},
		{"post, llama-swap down", true, "POST", "/", 502, []string{"llama_swap_unreachable"}, false},
		{"ui, llama-swap down", true, "GET", "/ui", 502, []string{"llama_swap_unreachable"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.llamaDown {
				f.llama.Close()
			}
			req, _ := http.NewRequest(tt.method, f.url+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s: status %d, want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("%s %s: body does not say %q:\n%s", tt.method, tt.path, w, body)
				}
			}
			if got := len(f.llama.received()) == 1; got != tt.fromLlama && !tt.llamaDown {
				t.Errorf("%s %s reached llama-swap: %v, want %v", tt.method, tt.path, got, tt.fromLlama)
			}
			// The log line says who answered, and a look at the base URL
			// with llama-swap down is no warning.
			logs := f.logs.String()
			if tt.llamaDown && tt.status == 200 {
				if !strings.Contains(logs, "path=/ ") || !strings.Contains(logs, "upstream=llmstack status=200") || strings.Contains(logs, "level=WARN") {
					t.Errorf("%s %s with llama-swap down logged:\n%s", tt.method, tt.path, logs)
				}
				if strings.Contains(resp.Header.Get("Content-Type"), "json") {
					t.Errorf("Content-Type %q, want text", resp.Header.Get("Content-Type"))
				}
			}
		})
	}
}
