package bench

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

func TestAgentFixtureShape(t *testing.T) {
	fx := AgentFixture()
	body := fx.OpenAIBody("code-smart", false)
	if n := len(body); n < 19500 || n > 21000 {
		t.Errorf("agent body is %d bytes, want about 20 KB", n)
	}
	var req struct {
		Messages []struct {
			Role      string `json:"role"`
			ToolCalls []struct {
				ID string `json:"id"`
			} `json:"tool_calls"`
			ToolCallID string `json:"tool_call_id"`
		} `json:"messages"`
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("agent body is not JSON: %v", err)
	}
	if len(req.Messages) != 25 || fx.Messages() != 25 {
		t.Errorf("messages = %d (Messages() %d), want 25", len(req.Messages), fx.Messages())
	}
	if len(req.Tools) != 3 || fx.Tools() != 3 {
		t.Errorf("tools = %d, want 3", len(req.Tools))
	}
	calls, results := 0, 0
	for _, m := range req.Messages {
		calls += len(m.ToolCalls)
		if m.Role == "tool" {
			results++
		}
	}
	if calls == 0 || calls != results {
		t.Errorf("tool calls %d, results %d: want a matching tool history", calls, results)
	}
}

func TestConverseInputIsValidForBedrock(t *testing.T) {
	for _, fx := range []*Fixture{SmallFixture(), AgentFixture()} {
		in := fx.ConverseInput()
		if len(in.Messages) == 0 || in.Messages[0].Role != types.ConversationRoleUser {
			t.Fatalf("%s: conversation must start with a user turn", fx.Name)
		}
		for i, m := range in.Messages {
			if i > 0 && in.Messages[i-1].Role == m.Role {
				t.Errorf("%s: messages %d and %d have the same role", fx.Name, i-1, i)
			}
			for _, b := range m.Content {
				tu, ok := b.(*types.ContentBlockMemberToolUse)
				if !ok {
					continue
				}
				found := false
				if i+1 < len(in.Messages) {
					for _, nb := range in.Messages[i+1].Content {
						if tr, ok := nb.(*types.ContentBlockMemberToolResult); ok && *tr.Value.ToolUseId == *tu.Value.ToolUseId {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("%s: toolUse %s has no result in the next turn", fx.Name, *tu.Value.ToolUseId)
				}
			}
		}
		if stream := fx.ConverseStreamInput(); len(stream.Messages) != len(in.Messages) {
			t.Errorf("%s: stream input has %d messages, converse %d", fx.Name, len(stream.Messages), len(in.Messages))
		}
	}
}

func TestParseStamp(t *testing.T) {
	if v, ok := ParseStamp([]byte("1795581065412345678 xxxx")); !ok || v != 1795581065412345678 {
		t.Errorf("ParseStamp = %d, %v", v, ok)
	}
	for _, s := range []string{"xxxxxxx ", "12 34", "1795581065412345678", ""} {
		if _, ok := ParseStamp([]byte(s)); ok {
			t.Errorf("ParseStamp(%q) accepted", s)
		}
	}
}

func TestContentOf(t *testing.T) {
	text, ok := contentOf([]byte(`{"choices":[{"index":0,"delta":{"content":"1795581065412345678 xx"},"finish_reason":null}]}`))
	if !ok || string(text[:19]) != "1795581065412345678" {
		t.Errorf("contentOf = %q, %v", text, ok)
	}
	if _, ok := contentOf([]byte(`{"choices":[{"delta":{"role":"assistant","content":""}}]}`)); ok {
		t.Error("empty content counted as a chunk")
	}
	if _, ok := contentOf([]byte(`{"choices":[{"delta":{}}]}`)); ok {
		t.Error("chunk without content counted")
	}
}

func TestRotate(t *testing.T) {
	got := rotate([]int{0, 1, 2}, 4)
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 0 {
		t.Errorf("rotate = %v", got)
	}
}

func TestRouterConfigNamesEveryTier(t *testing.T) {
	ini := RouterConfig("http://127.0.0.1:9", map[string]string{"b": "http://127.0.0.1:2", "a": "http://127.0.0.1:1"})
	for _, want := range []string{"llama_swap_url = http://127.0.0.1:9", "[a]", "[b]", "aws_endpoint_url = http://127.0.0.1:1", "aws_endpoint_url = http://127.0.0.1:2"} {
		if !strings.Contains(ini, want) {
			t.Errorf("models.ini lacks %q:\n%s", want, ini)
		}
	}
}
