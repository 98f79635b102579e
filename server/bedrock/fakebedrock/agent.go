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

// agentReply is the agent mode's answer to a Converse or an Anthropic
// Messages body: a call of the first AgentTool the request declares while
// the conversation holds fewer than steps tool results, else
// AgentFinalText. ok is false when the request declares none of the
// tools, or the body is neither.
func agentReply(body []byte, tools []AgentTool, steps int) (Reply, bool) {
	var req struct {
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		// Converse declares tools in toolConfig, Messages in tools.
		ToolConfig *struct {
			Tools []struct {
				ToolSpec *struct {
					Name string `json:"name"`
				} `json:"toolSpec"`
			} `json:"tools"`
		} `json:"toolConfig"`
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if json.Unmarshal(body, &req) != nil {
		return Reply{}, false
	}
	declared := map[string]bool{}
	if req.ToolConfig != nil {
		for _, t := range req.ToolConfig.Tools {
			if t.ToolSpec != nil {
				declared[t.ToolSpec.Name] = true
			}
		}
	}
	for _, t := range req.Tools {
		declared[t.Name] = true
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
		var blocks []struct {
			Type       string          `json:"type"`
			ToolResult json.RawMessage `json:"toolResult"`
		}
		_ = json.Unmarshal(m.Content, &blocks) // a string content has none
		for _, b := range blocks {
			if len(b.ToolResult) > 0 || b.Type == "tool_result" {
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
