package bench

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// ModelID is the Bedrock model every tier and the peer ask the fake for.
const ModelID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

// Fixture is one request, in both shapes the benchmark sends it: as an
// OpenAI chat completion body (to the router and the peer) and as the
// Converse input an aws-sdk-go-v2 client sends straight to Bedrock (direct
// and through the floor). Both carry the same conversation.
type Fixture struct {
	Name string
	conv conversation
}

// conversation is a chat in neutral form.
type conversation struct {
	system    string
	msgs      []chatMessage
	tools     []toolDef
	maxTokens int
}

type chatMessage struct {
	role       string // user, assistant, tool
	text       string
	toolCalls  []toolCall
	toolCallID string
}

type toolCall struct{ id, name, args string }

type toolDef struct {
	name, description string
	schema            map[string]any
}

// SmallFixture is a one-line chat request.
func SmallFixture() *Fixture {
	return &Fixture{Name: "small", conv: conversation{
		msgs:      []chatMessage{{role: "user", text: "Write a haiku about a router that costs nothing."}},
		maxTokens: 256,
	}}
}

// AgentFixture is an agent's request of about 20 KB: a system prompt, 25
// messages (the user's task, eleven rounds of an assistant tool call and
// its result, and a follow-up), and three tools with JSON Schemas.
func AgentFixture() *Fixture {
	c := conversation{maxTokens: 4096}
	c.system = "You are a coding agent working in a Go repository. Use the tools to read files, search the tree and run commands. " +
		"Keep changes small and explain each step. " + strings.Repeat("Follow the repository's conventions; never invent APIs; run the tests after each change. ", 18)
	c.tools = []toolDef{
		{name: "read_file", description: "Read a file of the repository, optionally a line range.", schema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"path":  map[string]any{"type": "string", "description": "path relative to the repository root"},
				"start": map[string]any{"type": "integer", "minimum": 1},
				"end":   map[string]any{"type": "integer", "minimum": 1},
			},
			"required": []any{"path"},
		}},
		{name: "grep", description: "Search the repository for a regular expression.", schema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"pattern": map[string]any{"type": "string"},
				"glob":    map[string]any{"type": "string", "description": "only files matching this glob"},
				"max":     map[string]any{"type": "integer", "default": 50},
			},
			"required": []any{"pattern"},
		}},
		{name: "run", description: "Run a shell command in the repository and return its output.", schema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"command": map[string]any{"type": "string"},
				"timeout": map[string]any{"type": "number", "description": "seconds"},
			},
			"required": []any{"command"},
		}},
	}
	c.msgs = append(c.msgs, chatMessage{role: "user", text: "The stream relay drops the usage chunk when the client asks for include_usage. Find out why and fix it, with a test."})
	names := []string{"grep", "read_file", "read_file", "run", "grep", "read_file", "run", "read_file", "grep", "read_file", "run"}
	for i, name := range names {
		id := fmt.Sprintf("toolu_bench_%02d", i)
		var args string
		switch name {
		case "grep":
			args = fmt.Sprintf(`{"pattern":"IncludeUsage|include_usage","glob":"server/**/*.go","max":%d}`, 20+i)
		case "read_file":
			args = fmt.Sprintf(`{"path":"server/bedrock/dispatch%d.go","start":%d,"end":%d}`, i, 1+10*i, 60+10*i)
		case "run":
			args = fmt.Sprintf(`{"command":"go test ./server/... -run TestStream%d","timeout":120}`, i)
		}
		c.msgs = append(c.msgs,
			chatMessage{role: "assistant", text: fmt.Sprintf("Step %d: I'll use %s to look at the relay.", i+1, name), toolCalls: []toolCall{{id: id, name: name, args: args}}},
			chatMessage{role: "tool", toolCallID: id, text: toolOutput(i)},
		)
	}
	c.msgs = append(c.msgs, chatMessage{role: "user", text: "Good. Now write the fix and the test, then run the whole suite."})
	return &Fixture{Name: "agent-20k", conv: c}
}

// toolOutput is a plausible tool result of about 1.2 KB.
func toolOutput(i int) string {
	var b strings.Builder
	for line := range 15 {
		fmt.Fprintf(&b, "%d:\tif rl.usage != nil && req.StreamOptions != nil { // step %d line %d\n", 10*i+line+1, i, line)
	}
	return b.String()
}

// Messages is the number of OpenAI messages (system included).
func (f *Fixture) Messages() int {
	n := len(f.conv.msgs)
	if f.conv.system != "" {
		n++
	}
	return n
}

// Tools is the number of tools declared.
func (f *Fixture) Tools() int { return len(f.conv.tools) }

// OpenAIBody is the chat completion request body for model.
func (f *Fixture) OpenAIBody(model string, stream bool) []byte {
	type fn struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	}
	type tc struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function fn     `json:"function"`
	}
	type msg struct {
		Role       string  `json:"role"`
		Content    *string `json:"content"`
		ToolCalls  []tc    `json:"tool_calls,omitempty"`
		ToolCallID string  `json:"tool_call_id,omitempty"`
	}
	type tfn struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		Parameters  map[string]any `json:"parameters"`
	}
	type tool struct {
		Type     string `json:"type"`
		Function tfn    `json:"function"`
	}
	body := struct {
		Model     string `json:"model"`
		Messages  []msg  `json:"messages"`
		Tools     []tool `json:"tools,omitempty"`
		MaxTokens int    `json:"max_tokens"`
		Stream    bool   `json:"stream,omitempty"`
	}{Model: model, MaxTokens: f.conv.maxTokens, Stream: stream}
	if f.conv.system != "" {
		body.Messages = append(body.Messages, msg{Role: "system", Content: aws.String(f.conv.system)})
	}
	for _, m := range f.conv.msgs {
		om := msg{Role: m.role, Content: aws.String(m.text), ToolCallID: m.toolCallID}
		for _, c := range m.toolCalls {
			om.ToolCalls = append(om.ToolCalls, tc{ID: c.id, Type: "function", Function: fn{Name: c.name, Arguments: c.args}})
		}
		body.Messages = append(body.Messages, om)
	}
	for _, t := range f.conv.tools {
		body.Tools = append(body.Tools, tool{Type: "function", Function: tfn{Name: t.name, Description: t.description, Parameters: t.schema}})
	}
	out, err := json.Marshal(body)
	if err != nil {
		panic(err) // fixed data
	}
	return out
}

// converseParts builds the Converse messages, system and tool config: tool
// results join the next user turn, as Bedrock requires.
func (f *Fixture) converseParts() ([]types.Message, []types.SystemContentBlock, *types.ToolConfiguration, *types.InferenceConfiguration) {
	var msgs []types.Message
	add := func(role types.ConversationRole, b types.ContentBlock) {
		if n := len(msgs); n > 0 && msgs[n-1].Role == role {
			msgs[n-1].Content = append(msgs[n-1].Content, b)
			return
		}
		msgs = append(msgs, types.Message{Role: role, Content: []types.ContentBlock{b}})
	}
	for _, m := range f.conv.msgs {
		switch m.role {
		case "user":
			add(types.ConversationRoleUser, &types.ContentBlockMemberText{Value: m.text})
		case "tool":
			add(types.ConversationRoleUser, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
				ToolUseId: aws.String(m.toolCallID),
				Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: m.text}},
			}})
		case "assistant":
			if m.text != "" {
				add(types.ConversationRoleAssistant, &types.ContentBlockMemberText{Value: m.text})
			}
			for _, c := range m.toolCalls {
				var input map[string]any
				if err := json.Unmarshal([]byte(c.args), &input); err != nil {
					panic(err) // fixed data
				}
				add(types.ConversationRoleAssistant, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
					ToolUseId: aws.String(c.id), Name: aws.String(c.name), Input: document.NewLazyDocument(input),
				}})
			}
		}
	}
	var system []types.SystemContentBlock
	if f.conv.system != "" {
		system = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: f.conv.system}}
	}
	var tc *types.ToolConfiguration
	if len(f.conv.tools) > 0 {
		tc = &types.ToolConfiguration{}
		for _, t := range f.conv.tools {
			tc.Tools = append(tc.Tools, &types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name: aws.String(t.name), Description: aws.String(t.description),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(t.schema)},
			}})
		}
	}
	ic := &types.InferenceConfiguration{MaxTokens: aws.Int32(int32(f.conv.maxTokens))}
	return msgs, system, tc, ic
}

// ConverseInput is the request as a direct aws-sdk-go-v2 Converse call.
func (f *Fixture) ConverseInput() *bedrockruntime.ConverseInput {
	msgs, system, tc, ic := f.converseParts()
	return &bedrockruntime.ConverseInput{ModelId: aws.String(ModelID), Messages: msgs, System: system, ToolConfig: tc, InferenceConfig: ic}
}

// ConverseStreamInput is the request as a direct ConverseStream call.
func (f *Fixture) ConverseStreamInput() *bedrockruntime.ConverseStreamInput {
	msgs, system, tc, ic := f.converseParts()
	return &bedrockruntime.ConverseStreamInput{ModelId: aws.String(ModelID), Messages: msgs, System: system, ToolConfig: tc, InferenceConfig: ic}
}
