package fakebedrock

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
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
		{"messages body, first step", `{"messages":[{"role":"user","content":"go"}],"tools":[{"name":"bash","input_schema":{}}]}`, 1, true, "bash"},
		{"messages body, after the last step", `{"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"bash","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],"tools":[{"name":"bash"}]}`, 1, true, ""},
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

// TestAgentModeThroughSDK: a fake in agent mode answers a request that
// declares the tool with a call of it, through the SDK's decoders, on
// Converse and on InvokeModel.
func TestAgentModeThroughSDK(t *testing.T) {
	fake := New(Options{AgentTools: []AgentTool{{Name: "bash", Input: `{"command":"ls"}`}}})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := sdkClient(srv.URL)
	ctx := context.Background()

	out, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId:  aws.String("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "go"}}}},
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("bash"), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
		}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.StopReason != types.StopReasonToolUse {
		t.Errorf("Converse stop reason %q, want tool_use", out.StopReason)
	}

	inv, err := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
		ContentType: aws.String("application/json"),
		Body:        []byte(`{"anthropic_version":"` + AnthropicVersion + `","max_tokens":100,"messages":[{"role":"user","content":"go"}],"tools":[{"name":"bash","input_schema":{"type":"object"}}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		StopReason string `json:"stop_reason"`
		Content    []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"content"`
	}
	if err := json.Unmarshal(inv.Body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != "tool_use" || len(msg.Content) == 0 || msg.Content[len(msg.Content)-1].Name != "bash" {
		t.Errorf("InvokeModel answer %s, want a call of bash", inv.Body)
	}
}
