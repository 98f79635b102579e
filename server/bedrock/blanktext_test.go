package bedrock

import (
	"testing"

	"github.com/llmstack/llmstack/server/openai"
)

// TestNoBlankTextBlocks: Bedrock Converse rejects text blocks that
// are empty or only whitespace ("text content blocks must contain
// non-whitespace text"), in messages, in toolResult content and in system
// blocks. The translation only drops text that is exactly "", so:
//   - a tool that printed nothing (mkdir, touch, a quiet test run: routine
//     in coding agents) becomes toolResult content [{"text": ""}];
//   - an assistant turn whose content is "\n\n" before its tool calls, or
//     a user/system message of only whitespace, becomes a blank text block.
//
// Each of these is a 400 from Bedrock, and since the block stays in the
// client's history, every later request of the conversation fails too.
func TestNoBlankTextBlocks(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty-tool-result", `{"model":"agent","messages":[
			{"role":"user","content":"Create the build directory"},
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"bash","arguments":"{\"cmd\":\"mkdir -p build\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":""}]}`},
		{"null-tool-result", `{"model":"agent","messages":[
			{"role":"user","content":"Create the build directory"},
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"bash","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":null}]}`},
		{"whitespace-assistant-before-tool-call", `{"model":"agent","messages":[
			{"role":"user","content":"List the files"},
			{"role":"assistant","content":"\n\n","tool_calls":[{"id":"call_1","type":"function","function":{"name":"ls","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"main.go"}]}`},
		{"whitespace-user", `{"model":"agent","messages":[
			{"role":"user","content":"Hello"},
			{"role":"assistant","content":"Hi"},
			{"role":"user","content":" "}]}`},
		{"whitespace-system", `{"model":"agent","messages":[
			{"role":"system","content":"  \n"},
			{"role":"user","content":"Hello"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, oerr := openai.DecodeRequest([]byte(tt.body), openai.ChatCompletions)
			if oerr != nil {
				t.Fatalf("DecodeRequest: %s", oerr.Message)
			}
			tier := testTier(t, "", 0)
			got, oerr := BuildRequest(req, tier, tier.Bedrock.Active(false))
			if oerr != nil {
				return // refusing with a 400 that names the problem is acceptable too
			}
			checkConverseRules(t, got)
		})
	}
}
