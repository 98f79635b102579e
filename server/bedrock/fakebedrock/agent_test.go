package fakebedrock

import (
	"regexp"
	"strings"
	"testing"
)

func TestAgentReply(t *testing.T) {
	tools := []AgentTool{{Name: "read", Input: `{"path":"a"}`}, {Name: "bash", Input: `{"command":"ls"}`}}
	const declared = `"toolConfig":{"tools":[{"toolSpec":{"name":"bash","inputSchema":{"json":{}}}}]}`
	result := `{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}`
	call := `{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"bash","input":{}}}]}`
	user := `{"role":"user","content":[{"text":"go"}]}`
	cases := []struct {
		name     string
		body     string
		steps    int
		wantOK   bool
		wantTool string // "" for the final answer
	}{
		{"no tools declared", `{"messages":[` + user + `]}`, 1, false, ""},
		{"other tools declared", `{"messages":[` + user + `],"toolConfig":{"tools":[{"toolSpec":{"name":"edit"}}]}}`, 1, false, ""},
		{"first step", `{"messages":[` + user + `],` + declared + `}`, 1, true, "bash"},
		{"after the last step", `{"messages":[` + user + `,` + call + `,` + result + `],` + declared + `}`, 1, true, ""},
		{"second of two steps", `{"messages":[` + user + `,` + call + `,` + result + `],` + declared + `}`, 2, true, "bash"},
		{"not JSON", `{`, 1, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := agentReply([]byte(tc.body), tools, tc.steps)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if tc.wantTool == "" {
				if len(r.ToolUses) != 0 || r.Text != AgentFinalText {
					t.Errorf("reply = %+v, want the final text", r)
				}
				return
			}
			if len(r.ToolUses) != 1 || r.ToolUses[0].Name != tc.wantTool || r.ToolUses[0].Input != `{"command":"ls"}` {
				t.Errorf("tool uses = %+v, want one call of %s", r.ToolUses, tc.wantTool)
			}
			if !validToolUseID.MatchString(r.ToolUses[0].ID) {
				t.Errorf("tool use id %q is not one Bedrock issues", r.ToolUses[0].ID)
			}
		})
	}
}

// validToolUseID is the pattern of Bedrock's toolUseId.
var validToolUseID = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func TestParseAgentTool(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{`bash={"command":"ls"}`, ""},
		{`bash`, "want name={json object}"},
		{`={"a":1}`, "want name={json object}"},
		{`bash=[1]`, "not a JSON object"},
	} {
		_, err := ParseAgentTool(tc.in)
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("ParseAgentTool(%q) = %v, want error %q", tc.in, err, tc.wantErr)
		}
	}
}
