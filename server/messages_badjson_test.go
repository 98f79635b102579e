package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestMessagesBadJSON: a Messages body that is not one JSON value with a
// boolean "stream" is a 400 invalid_request_error on every bedrock tier,
// a Claude one (whose body otherwise passes to Bedrock as it is) as a Nova
// one (translated through Converse), never an answer of the wrong kind.
func TestMessagesBadJSON(t *testing.T) {
	f, _ := newMessagesFixture(t)
	for _, model := range []string{"claude-smart", "nova"} {
		for name, body := range map[string]string{
			"trailing data":   `{"model":"` + model + `","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}garbage`,
			"a second object": `{"model":"` + model + `","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]} {}`,
			"stream not bool": `{"model":"` + model + `","max_tokens":10,"stream":"yes","messages":[{"role":"user","content":"hi"}]}`,
		} {
			t.Run(model+"/"+name, func(t *testing.T) {
				before := len(f.fake.Requests())
				resp, out := f.post("/v1/messages", body)
				var e struct {
					Type  string `json:"type"`
					Error struct {
						Type    string `json:"type"`
						Message string `json:"message"`
					} `json:"error"`
				}
				if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(out, &e) != nil || e.Type != "error" || e.Error.Type != "invalid_request_error" {
					t.Fatalf("status %d: %s; want a 400 invalid_request_error", resp.StatusCode, out)
				}
				if strings.Contains(resp.Header.Get("Content-Type"), "event-stream") {
					t.Error("answered as a stream")
				}
				if n := len(f.fake.Requests()); n != before {
					t.Errorf("the body reached Bedrock (%d calls)", n-before)
				}
			})
		}
	}
}
