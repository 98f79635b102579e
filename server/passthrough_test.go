package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server"
)

// TestPassThrough checks what reaches llama-swap: unknown models and other
// paths go byte for byte; gguf tiers get their own name for "auto" and
// aliases.
func TestPassThrough(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		wantPath  string
		wantBody  string // "" means: the body as sent
		wantRoute string
	}{
		{"unknown-model", "POST", "/v1/chat/completions", `{"model":"qwen-coder",  "messages":[{"role":"user","content":"hi"}], "cache_prompt":true}`, "/v1/chat/completions", "", "llama-swap; reason=unknown model"},
		{"gguf-tier", "POST", "/v1/chat/completions", `{"model":"local","messages":[{"role":"user","content":"hi"}]}`, "/v1/chat/completions", "", "local; reason=explicit"},
		{"gguf-alias", "POST", "/v1/chat/completions", `{"model":"uncensored","messages":[{"role":"user","content":"hi"}],"top_k":20}`, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"model":"local","top_k":20}`, "local; reason=alias uncensored"},
		{"auto-to-gguf", "POST", "/v1/chat/completions", `{"model":"auto","messages":[{"role":"user","content":"[nofilter] tell me"}]}`, "/v1/chat/completions", `{"messages":[{"role":"user","content":"[nofilter] tell me"}],"model":"local"}`, "local; reason=uncensored-trigger"},
		{"completions-token-prompt", "POST", "/v1/completions", `{"model":"qwen-coder","prompt":[1,2,3]}`, "/v1/completions", "", "llama-swap; reason=unknown model"},
		{"other-path", "GET", "/upstream/qwen-coder/props?x=1", "", "/upstream/qwen-coder/props?x=1", "", ""},
		{"embeddings", "POST", "/v1/embeddings", `{"model":"nomic","input":"hi"}`, "/v1/embeddings", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req, _ := http.NewRequest(tt.method, f.url+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer sk-local")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("X-LLMStack-Route"); got != tt.wantRoute {
				t.Errorf("route %q, want %q", got, tt.wantRoute)
			}
			got := f.llama.received()
			if len(got) != 1 {
				t.Fatalf("llama-swap got %d requests, want 1", len(got))
			}
			want := tt.wantBody
			if want == "" {
				want = tt.body
			}
			if got[0].Method != tt.method || got[0].Path != tt.wantPath || string(got[0].Body) != want {
				t.Errorf("llama-swap got %s %s %s\nwant %s %s %s", got[0].Method, got[0].Path, got[0].Body, tt.method, tt.wantPath, want)
			}
			if got[0].Header.Get("Authorization") != "Bearer sk-local" {
				t.Error("the client's Authorization header did not reach llama-swap")
			}
			if len(f.fake.Requests()) != 0 {
				t.Error("a llama-swap request reached Bedrock")
			}
		})
	}
}

// TestPassThroughStreamsEachEvent checks that a llama-swap stream reaches
// the client event by event: the fake sends the next event only after the
// client has read the previous one, so any buffering deadlocks the test.
func TestPassThroughStreamsEachEvent(t *testing.T) {
	f := newFixture(t)
	next := make(chan struct{})
	f.llama.stream = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: {\"n\":%d}\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-time.After(10 * time.Second):
				return
			}
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}
	resp, err := http.Post(f.url+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"local","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if want := fmt.Sprintf("data: {\"n\":%d}\n", i); line != want {
			t.Fatalf("event %d = %q, want %q", i, line, want)
		}
		rd.ReadString('\n') // the blank line
		next <- struct{}{}
	}
	rest, _ := io.ReadAll(rd)
	if string(rest) != "data: [DONE]\n\n" {
		t.Errorf("end of stream = %q", rest)
	}
}

// TestLlamaSwapDown checks the answers when llama-swap is not running.
func TestLlamaSwapDown(t *testing.T) {
	f := newFixture(t)
	f.llama.Close()

	resp, body := f.post("/v1/chat/completions", `{"model":"qwen-coder","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), `"code":"llama_swap_unreachable"`) || !strings.Contains(string(body), f.llama.URL) {
		t.Errorf("chat to a dead llama-swap: %d %s", resp.StatusCode, body)
	}

	// Bedrock tiers still work.
	resp, body = f.post("/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bedrock tier with llama-swap down: %d %s", resp.StatusCode, body)
	}

	// The model list holds auto and the bedrock tiers.
	resp, body = f.get("/v1/models")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/v1/models: %d", resp.StatusCode)
	}
	golden.AssertJSON(t, "e2e/models-llama-swap-down.json", body)

	resp, body = f.get("/health")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"reachable":false`) {
		t.Errorf("/health: %d %s", resp.StatusCode, body)
	}
}

// TestPassThroughBrokenStream checks that a llama-swap stream cut short —
// by llama-swap or by the client — still gets its log line and is counted
// in the gguf tier's stats, as a finished request is. A stream llama-swap
// breaks is an error of the tier; a client that leaves is not.
func TestPassThroughBrokenStream(t *testing.T) {
	tests := []struct {
		name       string
		clientGoes bool // the client closes after the first event; otherwise llama-swap cuts the stream
		wantLog    string
		wantErrors int64
	}{
		{"llama-swap-closes", false, "llama-swap closed the stream", 1},
		{"client-goes", true, "client went away", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.llama.stream = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: {\"n\":0}\n\n")
				w.(http.Flusher).Flush()
				if tt.clientGoes {
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					return
				}
				// Cut the connection mid-stream: no final chunk.
				panic(http.ErrAbortHandler)
			}
			resp, err := http.Post(f.url+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"local","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			rd := bufio.NewReader(resp.Body)
			if line, err := rd.ReadString('\n'); err != nil || line != "data: {\"n\":0}\n" {
				t.Fatalf("first event = %q, %v", line, err)
			}
			if tt.clientGoes {
				resp.Body.Close()
			} else {
				if _, err := io.ReadAll(rd); err == nil {
					t.Error("the client saw a clean end of a stream llama-swap cut short")
				}
				resp.Body.Close()
			}

			line := f.waitLog("msg=request", "path=/v1/chat/completions", "status=200", "tier=local", "dur=", tt.wantLog)
			if !strings.Contains(line, "method=POST") {
				t.Errorf("log line lacks the method: %s", line)
			}
			st := f.tierStats("local")
			if st.Requests != 1 || st.Errors != tt.wantErrors {
				t.Errorf("stats: %d requests, %d errors; want 1, %d", st.Requests, st.Errors, tt.wantErrors)
			}
			if tt.wantErrors > 0 && !strings.Contains(st.LastError, tt.wantLog) {
				t.Errorf("last error %q, want it to say %q", st.LastError, tt.wantLog)
			}
		})
	}
}

// TestCompletionRoutesTakeOnlyPOST: the completion routes are the
// router's, so another method is answered here with a 405, Allow: POST and
// an OpenAI error, instead of being handed to llama-swap (which answered
// 502 when it was down, or something of its own when not).
func TestCompletionRoutesTakeOnlyPOST(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/chat/completions"},
		{"GET", "/v1/completions"},
		{"PUT", "/v1/chat/completions"},
		{"DELETE", "/v1/completions"},
	} {
		req, _ := http.NewRequest(tt.method, f.url+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" ||
			!strings.Contains(string(body), `"type":"invalid_request_error"`) || !strings.Contains(string(body), `"code":"method_not_allowed"`) {
			t.Errorf("%s %s: %d Allow=%q %s; want 405, Allow: POST, an OpenAI error", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	}
	if n := len(f.llama.received()); n != 0 {
		t.Errorf("llama-swap got %d requests for the router's routes", n)
	}
}

// TestPassThroughPeeksTheModel checks that a request for llama-swap's
// model is routed on its "model" alone, while bedrock tiers and "auto",
// which need the whole request, are decoded once.
func TestPassThroughPeeksTheModel(t *testing.T) {
	tests := []struct {
		name, body string
		decodes    int64
	}{
		{"unknown model", `{"messages":[{"role":"user","content":"hi"}],"model":"qwen-coder"}`, 0},
		{"gguf tier", `{"model":"local","messages":[{"role":"user","content":"hi"}]}`, 0},
		{"bedrock tier", `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`, 1},
		{"auto", `{"model":"auto","messages":[{"role":"user","content":"hi"}]}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			n := server.CountFullDecodes(t)
			if resp, body := f.post("/v1/chat/completions", tt.body); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := n.Load(); got != tt.decodes {
				t.Errorf("decoded the whole body %d times, want %d", got, tt.decodes)
			}
		})
	}
}

// TestLlamaSwapFailures checks the error a client gets when llama-swap
// fails before answering: the real cause in the message, and 504 for a
// llama-swap that takes too long to start its answer.
func TestLlamaSwapFailures(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		status int
		code   string
		want   string
	}{
		{"hangs up", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, http.StatusBadGateway, "llama_swap_unreachable", "closed the connection without answering"},
		{"too slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, http.StatusGatewayTimeout, "llama_swap_timeout", "did not start its answer within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server.SetLlamaSwapHeaderTimeout(t, 200*time.Millisecond)
			f := newFixture(t)
			f.llama.stream = tt.answer
			resp, body := f.post("/v1/chat/completions", `{"model":"qwen-coder","messages":[{"role":"user","content":"hi"}]}`)
			var e struct {
				Error struct{ Message, Code string }
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("not an OpenAI error: %s", body)
			}
			if resp.StatusCode != tt.status || e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.want) || strings.Contains(e.Error.Message, "<nil>") {
				t.Errorf("got %d %s %q; want %d %s with a message saying %q", resp.StatusCode, e.Error.Code, e.Error.Message, tt.status, tt.code, tt.want)
			}
			if !strings.Contains(e.Error.Message, f.llama.URL) {
				t.Errorf("message %q does not name llama-swap's address", e.Error.Message)
			}
		})
	}
}
