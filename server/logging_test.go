package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogsHoldNoSecrets sends requests with an API key through every path
// and checks the log names what happened without the key or AWS secrets.
func TestLogsHoldNoSecrets(t *testing.T) {
	f := newFixture(t)
	var logs syncBuffer
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, server.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	f.fake.Respond(func(r fakebedrock.Request) fakebedrock.Reply {
		if strings.Contains(string(r.Body), "fail") {
			return fakebedrock.Reply{Status: 403, ErrorType: "AccessDeniedException", ErrorMessage: "denied"}
		}
		return fakebedrock.Reply{Text: "ok"}
	})
	for _, body := range []string{
		`{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"code-smart","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"code-fast","messages":[{"role":"user","content":"fail"}]}`,
		`{"model":"qwen-coder","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"code-fast","messages":"broken"}`,
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk-live-SECRETTOKEN")
		req.Header.Set("X-Api-Key", "sk-live-SECRETTOKEN")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// The log line is written when the handler returns, which is
		// before the client sees the end of the body.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	out := logs.String()
	if strings.Count(out, "msg=request") != 5 {
		t.Errorf("want one log line per request:\n%s", out)
	}
	for _, secret := range []string{"sk-live-SECRETTOKEN", "secret-fast", "secret-smart", "token-smart", keyFast, keySmart} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
}
