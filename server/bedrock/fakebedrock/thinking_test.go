package fakebedrock

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestValidateThinking checks Bedrock's extended-thinking rules: the
// budget against maxTokens, the sampling and tool-choice settings thinking
// does not take, the final-assistant-message rule and signatures.
func TestValidateThinking(t *testing.T) {
	user := `{"role":"user","content":[{"text":"hi"}]}`
	tools := `"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}`
	budget := func(n int) string {
		return `"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":` + itoa(n) + `}}`
	}
	reasoning := func(text, sig string) string {
		return `{"reasoningContent":{"reasoningText":{"text":` + quote(text) + `,"signature":` + quote(sig) + `}}}`
	}
	redacted := func(data []byte) string {
		return `{"reasoningContent":{"redactedContent":"` + base64.StdEncoding.EncodeToString(data) + `"}}`
	}
	toolUse := `{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}`
	result := `{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}`
	loop := func(first string) string {
		return `"messages":[` + user + `,{"role":"assistant","content":[` + first + toolUse + `]},` + result + `]`
	}
	sig := Signature("let me think")
	tests := []struct {
		name string
		body string
		want string // substring of the message; "" = accepted
	}{
		{"budget", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, ""},
		{"budget too small", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},` + budget(1023) + `}`, "budget_tokens: Input should be greater than or equal to 1024"},
		{"budget equals max tokens", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":2048},` + budget(2048) + `}`, "`max_tokens` must be greater than `thinking.budget_tokens`"},
		{"budget without max tokens", `{"messages":[` + user + `],` + budget(2048) + `}`, "`max_tokens` must be greater than `thinking.budget_tokens`"},
		{"budget not a number", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":"lots"}}}`, "budget_tokens"},
		{"adaptive", `{"messages":[` + user + `],"additionalModelRequestFields":{"thinking":{"type":"adaptive"},"output_config":{"effort":"medium"}}}`, ""},
		{"adaptive bad effort", `{"messages":[` + user + `],"additionalModelRequestFields":{"thinking":{"type":"adaptive"},"output_config":{"effort":"huge"}}}`, "output_config.effort"},
		{"unknown thinking type", `{"messages":[` + user + `],"additionalModelRequestFields":{"thinking":{"type":"sometimes"}}}`, "thinking.type"},
		{"disabled thinking takes temperature", `{"messages":[` + user + `],"inferenceConfig":{"temperature":0.2},"additionalModelRequestFields":{"thinking":{"type":"disabled"}}}`, ""},
		{"temperature", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096,"temperature":0.2},` + budget(1024) + `}`, "`temperature` may only be set to 1 when thinking is enabled"},
		{"temperature one", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096,"temperature":1},` + budget(1024) + `}`, ""},
		{"top_p low", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096,"topP":0.9},` + budget(1024) + `}`, "`top_p` must be greater than or equal to 0.95"},
		{"top_p high", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096,"topP":0.95},` + budget(1024) + `}`, ""},
		{"top_k", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},"additionalModelRequestFields":{"top_k":20,"thinking":{"type":"enabled","budget_tokens":1024}}}`, "`top_k` must be unset when thinking is enabled"},
		{"forced any", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}],"toolChoice":{"any":{}}},` + budget(1024) + `}`, "Thinking may not be enabled when tool_choice forces tool use"},
		{"forced tool", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}],"toolChoice":{"tool":{"name":"x"}}},` + budget(1024) + `}`, "Thinking may not be enabled when tool_choice forces tool use"},
		{"auto tool choice", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":4096},"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}],"toolChoice":{"auto":{}}},` + budget(1024) + `}`, ""},
		{"tool loop with thinking first", `{` + loop(reasoning("let me think", sig)+",") + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, ""},
		{"tool loop with redacted thinking first", `{` + loop(redacted(RedactedData())+",") + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, ""},
		{"tool loop without thinking", `{` + loop("") + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block"},
		{"tool loop with text first", `{` + loop(`{"text":"checking"},`) + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, "but found `text`"},
		{"tool loop without thinking, thinking off", `{` + loop("") + `,` + tools + `}`, ""},
		{"earlier tool turn without thinking", `{"messages":[` + user + `,{"role":"assistant","content":[` + toolUse + `]},` + result + `,{"role":"assistant","content":[{"text":"done"}]},` + user + `],` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, ""},
		{"forged signature", `{` + loop(reasoning("let me think", "Zm9yZ2Vk")+",") + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, "messages.1.content.0: Invalid `signature` in `thinking` block"},
		{"signature of other text", `{` + loop(reasoning("something else", sig)+",") + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, "Invalid `signature`"},
		{"missing signature", `{` + loop(`{"reasoningContent":{"reasoningText":{"text":"hm"}}},`) + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, "signature: Field required"},
		{"forged redacted", `{` + loop(redacted([]byte("not issued"))+",") + `,` + tools + `,"inferenceConfig":{"maxTokens":4096},` + budget(1024) + `}`, "Invalid `data` in `redacted_thinking` block"},
		{"forged signature, thinking off", `{"messages":[` + user + `,{"role":"assistant","content":[` + reasoning("x", "Zm9yZ2Vk") + `,{"text":"a"}]},` + user + `]}`, "Invalid `signature`"},
		{"reasoning in a user turn", `{"messages":[{"role":"user","content":[` + reasoning("let me think", sig) + `,{"text":"hi"}]}]}`, "reasoningContent blocks belong in assistant turns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validate([]byte(tt.body))
			switch {
			case tt.want == "" && got != "":
				t.Errorf("refused: %s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("got %q, want a message containing %q", got, tt.want)
			}
		})
	}
}

// TestSignature checks that signatures depend on the text and verify only
// for the text they were issued for.
func TestSignature(t *testing.T) {
	a, b := Signature("a"), Signature("b")
	if a == b || a == "" {
		t.Fatalf("Signature(a) = %q, Signature(b) = %q", a, b)
	}
	if !validSignature("a", a) || validSignature("b", a) || validSignature("a", "") {
		t.Error("a signature must verify for its own text only")
	}
	if !validRedacted(RedactedData()) || validRedacted([]byte("x")) {
		t.Error("redacted data must verify only when the fake issued it")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
