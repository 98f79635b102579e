package fakebedrock

import (
	"encoding/json"
	"fmt"
	"strings"
)

// AgentTool is a tool call the fake's agent mode makes when a request
// declares a tool of that name: what a real model would do in a coding
// agent's tool loop, so real clients (opencode, Claude Code) can be driven
// through one without a model.
type AgentTool struct {
	Name  string
	Input string // JSON object
}

// ParseAgentTool reads "name={json object}", the -tool flag of
// cmd/fakebedrock.
func ParseAgentTool(s string) (AgentTool, error) {
	name, input, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return AgentTool{}, fmt.Errorf("%q: want name={json object}", s)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(input), &obj); err != nil {
		return AgentTool{}, fmt.Errorf("%q: the input is not a JSON object: %v", s, err)
	}
	return AgentTool{Name: name, Input: input}, nil
}

// AgentFinalText is the agent mode's answer once its tool calls are done.
const AgentFinalText = "Done: the tool loop is complete."

// agentReply is the agent mode's answer to a Converse body: a call of the
// first AgentTool the request declares while the conversation holds fewer
// than steps tool results, else AgentFinalText. ok is false when the
// request declares none of the tools, or the body is not Converse JSON.
func agentReply(body []byte, tools []AgentTool, steps int) (Reply, bool) {
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content []struct {
				ToolResult json.RawMessage `json:"toolResult"`
			} `json:"content"`
		} `json:"messages"`
		ToolConfig *struct {
			Tools []struct {
				ToolSpec *struct {
					Name string `json:"name"`
				} `json:"toolSpec"`
			} `json:"tools"`
		} `json:"toolConfig"`
	}
	if json.Unmarshal(body, &req) != nil || req.ToolConfig == nil {
		return Reply{}, false
	}
	declared := map[string]bool{}
	for _, t := range req.ToolConfig.Tools {
		if t.ToolSpec != nil {
			declared[t.ToolSpec.Name] = true
		}
	}
	var call *AgentTool
	for i := range tools {
		if declared[tools[i].Name] {
			call = &tools[i]
			break
		}
	}
	if call == nil {
		return Reply{}, false
	}
	results := 0
	for _, m := range req.Messages {
		for _, c := range m.Content {
			if len(c.ToolResult) > 0 {
				results++
			}
		}
	}
	if results >= steps {
		return Reply{Text: AgentFinalText, InputTokens: 12, OutputTokens: 8}, true
	}
	return Reply{
		Text:         fmt.Sprintf("Step %d: calling %s.", results+1, call.Name),
		ToolUses:     []ToolUse{{ID: fmt.Sprintf("tooluse_fake%d_%s", results+1, requestID()[:8]), Name: call.Name, Input: call.Input}},
		InputTokens:  12,
		OutputTokens: 8,
	}, true
}
