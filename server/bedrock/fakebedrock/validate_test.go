package fakebedrock

import (
	"strings"
	"testing"
)

// TestValidate checks that the fake refuses what Bedrock refuses, so tests
// that pass against it do not hide a request Bedrock would reject.
func TestValidate(t *testing.T) {
	user := `"messages":[{"role":"user","content":[{"text":"hi"}]}]`
	tests := []struct {
		name string
		body string
		want string // substring of the message; "" = accepted
	}{
		{"plain", `{` + user + `}`, ""},
		{"no messages", `{"messages":[]}`, "at least one message"},
		{"assistant first", `{"messages":[{"role":"assistant","content":[{"text":"hi"}]}]}`, "start with a user message"},
		{"same role twice", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}`, "alternate"},
		{"empty content", `{"messages":[{"role":"user","content":[]}]}`, "is empty"},
		{"tool use without config", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}]}`, "toolConfig field must be defined"},
		{"tool use without result", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"text":"b"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "Expected toolResult blocks"},
		{"tool use without name", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "messages.1.member.content.0.member.toolUse.name"},
		{"tool use id twice in a turn", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}},{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "`tool_use` ids must be unique"},
		{"tool use id twice in the conversation", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "`tool_use` ids must be unique"},
		{"two results for one call", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}},{"toolResult":{"toolUseId":"t1","content":[{"text":"again"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "multiple `tool_result` blocks with id: t1"},
		{"result for no call", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}},{"toolResult":{"toolUseId":"t2","content":[{"text":"stray"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "toolResult blocks at messages.2.content exceeds the number of toolUse blocks"},
		{"structured output", `{` + user + `,"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\"}","name":"a"}}}}}`, ""},
		{"structured output, schema as object", `{` + user + `,"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":{"type":"object"}}}}}}`, "must be a string"},
		{"structured output, schema not JSON", `{` + user + `,"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{type"}}}}}`, "JSON schema is invalid"},
		{"structured output, wrong type", `{` + user + `,"outputConfig":{"textFormat":{"type":"xml","structure":{"jsonSchema":{"schema":"{}"}}}}}`, "is not json_schema"},
		{"structured output, no structure", `{` + user + `,"outputConfig":{"textFormat":{"type":"json_schema"}}}`, "jsonSchema is required"},
		{"cache points", `{"system":[{"text":"s"},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default"}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}},{"cachePoint":{"type":"default"}}]}}`, ""},
		{"five cache points", `{"system":[{"text":"s"},{"cachePoint":{"type":"default"}},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default"}},{"cachePoint":{"type":"default"}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}},{"cachePoint":{"type":"default"}}]}}`, "A maximum of 4 blocks"},
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
