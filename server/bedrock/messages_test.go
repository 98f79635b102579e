package bedrock

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// messagesCase is <case>.case.json of a messages case: the anthropic-beta
// header values sent and the tier serving the request.
type messagesCase struct {
	Betas           []string `json:"betas"`
	ModelID         string   `json:"model_id"`
	MaxOutputTokens int      `json:"max_output_tokens"`
	PromptCache     bool     `json:"prompt_cache"`
	PromptCacheTTL  string   `json:"prompt_cache_ttl"`
	Thinking        string   `json:"thinking"`
	Reasoning       string   `json:"reasoning"`
}

// signThinking gives each thinking block signed with the placeholder the
// fake's signature of its text, as a client sends back what it got.
func signThinking(body []byte) []byte {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	msgs, _ := v["messages"].([]any)
	for _, m := range msgs {
		content, _ := m.(map[string]any)["content"].([]any)
		for _, b := range content {
			b, _ := b.(map[string]any)
			if b["type"] == "thinking" && b["signature"] == signedPlaceholder {
				text, _ := b["thinking"].(string)
				b["signature"] = fakebedrock.Signature(text)
			}
		}
	}
	out, _ := json.Marshal(v)
	return out
}

// unsignThinking puts the placeholder back in a built body, for the golden.
func unsignThinking(body []byte) []byte {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	msgs, _ := v["messages"].([]any)
	for _, m := range msgs {
		content, _ := m.(map[string]any)["content"].([]any)
		for _, b := range content {
			b, _ := b.(map[string]any)
			if text, ok := b["thinking"].(string); ok && b["signature"] == fakebedrock.Signature(text) {
				b["signature"] = signedPlaceholder
			}
		}
	}
	out, _ := json.Marshal(v)
	return out
}

// TestBuildMessagesBody prepares each testdata/messages/<case>.request.json
// (a /v1/messages body, Claude Code's among them) for the tier and betas of
// <case>.case.json, checks that the fake's Bedrock rules take the result,
// and compares it with <case>.bedrock.json and its repairs with
// <case>.repairs (or the 400 with <case>.error.json).
func TestBuildMessagesBody(t *testing.T) {
	files, err := filepath.Glob("testdata/messages/*.request.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".request.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c messagesCase
			raw, err := os.ReadFile(filepath.Join("testdata/messages", name+".case.json"))
			if err != nil || json.Unmarshal(raw, &c) != nil {
				t.Fatalf("case file: %v", err)
			}
			tier := testTier(t, "", c.MaxOutputTokens)
			tier.Bedrock.ModelID = c.ModelID
			tier.Bedrock.PromptCache, tier.Bedrock.PromptCacheTTL, tier.Bedrock.Thinking = c.PromptCache, c.PromptCacheTTL, c.Thinking
			if c.Reasoning != "" {
				if tier.Bedrock.Reasoning, err = tiers.ParseReasoning(c.Reasoning); err != nil {
					t.Fatal(err)
				}
			}
			got, oerr := BuildMessagesBody(signThinking(body), c.Betas, tier, c.ModelID)
			errFile := filepath.Join("testdata/messages", name+".error.json")
			if oerr != nil {
				if oerr.Status != http.StatusBadRequest || oerr.Type != openai.TypeInvalidRequest {
					t.Errorf("error status %d type %s; want 400 %s", oerr.Status, oerr.Type, openai.TypeInvalidRequest)
				}
				golden.AssertJSON(t, "messages/"+name+".error.json", map[string]any{"status": oerr.Status, "code": oerr.Code, "message": oerr.Message})
				return
			}
			if _, err := os.Stat(errFile); err == nil {
				t.Errorf("the case built a body, but %s exists; delete it", errFile)
			}
			if msg := fakebedrock.ValidateMessages(c.ModelID, got.Body); msg != "" {
				t.Errorf("Bedrock would refuse the body: %s\n%s", msg, got.Body)
			}
			golden.AssertJSON(t, "messages/"+name+".bedrock.json", unsignThinking(got.Body))
			repairs := filepath.Join("testdata/messages", name+".repairs")
			if r := got.Repairs.String(); r != "" {
				golden.Assert(t, "messages/"+name+".repairs", []byte(r+"\n"))
			} else if _, err := os.Stat(repairs); err == nil {
				t.Errorf("nothing was repaired, but %s exists; delete it", repairs)
			}
		})
	}
}

// TestBuildMessagesBodyKeepsBytes checks that what the router does not
// need to change reaches Bedrock as sent: tool input numbers, signatures,
// image data.
func TestBuildMessagesBodyKeepsBytes(t *testing.T) {
	tier := testTier(t, "", 0)
	body := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":{"big":12345678901234567890123,"f":1e400}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}],"tools":[{"name":"n","input_schema":{"type":"object"}}]}`
	got, oerr := BuildMessagesBody([]byte(body), nil, tier, "anthropic.claude-sonnet-4-5-v1:0")
	if oerr != nil {
		t.Fatal(oerr.Message)
	}
	if !strings.Contains(string(got.Body), `"input":{"big":12345678901234567890123,"f":1e400}`) {
		t.Errorf("tool input changed: %s", got.Body)
	}
}
