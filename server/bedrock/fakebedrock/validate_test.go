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
		{"cache point ttl 1h", `{"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default","ttl":"1h"}}]}]}`, ""},
		{"cache point ttl 5m on a tool", `{` + user + `,"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}},{"cachePoint":{"type":"default","ttl":"5m"}}]}}`, ""},
		{"cache point ttl 24h", `{"system":[{"text":"s"},{"cachePoint":{"type":"default","ttl":"24h"}}],` + user + `}`, "Value '24h' at 'system.1.cachePoint.ttl'"},
		{"cache point ttl on a tool", `{` + user + `,"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}},{"cachePoint":{"type":"default","ttl":"2h"}}]}}`, "toolConfig.tools.1.cachePoint.ttl"},
		{"cache point ttl 1h after 5m", `{"system":[{"text":"s"},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default","ttl":"1h"}}]}]}`, "longer ttl must come first"},
		{"cache point ttl 5m after 1h", `{"system":[{"text":"s"},{"cachePoint":{"type":"default","ttl":"1h"}}],"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default","ttl":"5m"}}]}]}`, ""},
		{"document", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"pdf","name":"Q3 report (final) [v2]","source":{"bytes":"JVBERi0="}}}]}]}`, ""},
		{"document format", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"zip","name":"a","source":{"bytes":"JVBERi0="}}}]}]}`, "Member must satisfy enum value set: [pdf, csv"},
		{"document name with a dot", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"pdf","name":"report.pdf","source":{"bytes":"JVBERi0="}}}]}]}`, "document name can only contain"},
		{"document name with two spaces", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"pdf","name":"a  b","source":{"bytes":"JVBERi0="}}}]}]}`, "document name can only contain"},
		{"document name too long", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"pdf","name":"` + strings.Repeat("a", 201) + `","source":{"bytes":"JVBERi0="}}}]}]}`, "document name can only contain"},
		{"document name twice", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"pdf","name":"a","source":{"bytes":"JVBERi0="}}},{"document":{"format":"csv","name":"a","source":{"bytes":"YQ=="}}}]}]}`, "used twice"},
		{"document without text", `{"messages":[{"role":"user","content":[{"document":{"format":"pdf","name":"a","source":{"bytes":"JVBERi0="}}}]}]}`, "must also have a text block"},
		{"document empty", `{"messages":[{"role":"user","content":[{"text":"read"},{"document":{"format":"pdf","name":"a","source":{"bytes":""}}}]}]}`, "empty or not base64"},
		{"document in a tool result", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"document":{"format":"pdf","name":"a b","source":{"bytes":"JVBERi0="}}}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, ""},
		{"bad document in a tool result", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"document":{"format":"exe","name":"a","source":{"bytes":"JVBERi0="}}}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "toolResult.content.0.member.document.format"},
		{"image", `{"messages":[{"role":"user","content":[{"text":"look"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}]}]}`, ""},
		{"image empty", `{"messages":[{"role":"user","content":[{"text":"look"},{"image":{"format":"png","source":{"bytes":""}}}]}]}`, "messages.0.member.content.1.member.image.source.bytes' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"image without bytes", `{"messages":[{"role":"user","content":[{"text":"look"},{"image":{"format":"png","source":{}}}]}]}`, "messages.0.member.content.1.member.image.source.bytes"},
		{"image empty in a tool result", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"image":{"format":"png","source":{"bytes":""}}}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "messages.2.member.content.0.member.toolResult.content.0.member.image.source.bytes"},
		{"blank text", `{"messages":[{"role":"user","content":[{"text":""}]}]}`, "messages.0.content.0 is blank"},
		{"whitespace text", `{"messages":[{"role":"user","content":[{"text":"hi"},{"text":" \n\t"}]}]}`, "messages.0.content.1 is blank"},
		{"blank system text", `{"system":[{"text":"  "}],` + user + `}`, "system.0 is blank"},
		{"blank tool result text", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":" "}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "messages.2.content.0.toolResult.content.0 is blank"},
		{"empty tool result", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "messages.2.content.0.toolResult.content is empty"},
		{"tool input not an object", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"x","input":"ls"}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "messages.1.content.0.toolUse.input is invalid"},
		{"cache point first in a turn", `{"messages":[{"role":"user","content":[{"cachePoint":{"type":"default"}},{"text":"hi"}]}]}`, "messages.0.content.0: a cache point must follow"},
		{"empty tool description", `{` + user + `,"toolConfig":{"tools":[{"toolSpec":{"name":"x","description":"","inputSchema":{"json":{}}}}]}}`, "'toolConfig.tools.0.member.toolSpec.description'"},
		{"tool declared twice", `{` + user + `,"toolConfig":{"tools":[{"toolSpec":{"name":"x","inputSchema":{"json":{}}}},{"toolSpec":{"name":"x","inputSchema":{"json":{}}}}]}}`, "toolConfig.tools.1: the tool name x is used twice"},
		{"six documents", `{"messages":[{"role":"user","content":[{"text":"read"}` + strings.Repeat(`,{"document":{"format":"txt","name":"dN","source":{"bytes":"YQ=="}}}`, 1) + sixDocs + `]}]}`, "at most 5 documents"},
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

// sixDocs is five more documents, named d1…d5.
var sixDocs = func() string {
	var b strings.Builder
	for i := 1; i <= 5; i++ {
		b.WriteString(`,{"document":{"format":"txt","name":"d` + string(rune('0'+i)) + `","source":{"bytes":"YQ=="}}}`)
	}
	return b.String()
}()
