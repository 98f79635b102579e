package server_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
)

func TestModelsList(t *testing.T) {
	f := newFixture(t)
	for _, next := range []bool{false, true} {
		f.server.SetUseNext(next)
		resp, body := f.get("/v1/models")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		name := "e2e/models.json"
		if next {
			name = "e2e/models-next.json"
		}
		golden.AssertJSON(t, name, body)
	}
}

func TestHealth(t *testing.T) {
	f := newFixture(t)
	f.post("/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`)
	resp, body := f.get("/health")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	body = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).ReplaceAll(body, []byte("http://LLAMA"))
	body = regexp.MustCompile(`"config":"[^"]*"`).ReplaceAll(body, []byte(`"config":"models.ini"`))
	golden.AssertJSON(t, "e2e/health.json", body)
}
