package fakebedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// AnthropicVersion is the anthropic_version Bedrock requires in the body
// of an InvokeModel call to a Claude model.
const AnthropicVersion = "bedrock-2023-05-31"

// Betas are the anthropic_beta values the fake takes, as Bedrock lists them
// for Claude; any other is refused ("invalid beta flag"), as Bedrock does.
var Betas = []string{
	"computer-use-2024-10-22",
	"computer-use-2025-01-24",
	"token-efficient-tools-2025-02-19",
	"interleaved-thinking-2025-05-14",
	"output-128k-2025-02-19",
	"dev-full-thinking-2025-05-14",
	"context-1m-2025-08-07",
	"context-management-2025-06-27",
	"effort-2025-11-24",
	"tool-search-tool-2025-10-19",
	"tool-examples-2025-10-29",
	"fine-grained-tool-streaming-2025-05-14",
}

// messagesKeys are the top-level keys Bedrock takes in a Claude body;
// any other (model, stream, metadata…) is an "extraneous key".
var messagesKeys = []string{
	"anthropic_version", "anthropic_beta", "max_tokens", "messages", "system",
	"temperature", "top_p", "top_k", "stop_sequences", "tools", "tool_choice",
	"thinking", "output_config", "context_management",
}

// fakeClaudeVersion reads the version of a Claude model id, as the
// router's table does (the fake keeps its own copy: it is the rule book).
var fakeClaudeVersion = regexp.MustCompile(`claude-(?:[a-z]+-)?(\d+)(?:-(\d{1,2}))?(?:[-:@.]|$)`)

// claudeVersion is 100*major+minor of a Claude model id, 0 when the id
// names no Claude version.
func claudeVersion(modelID string) int {
	m := fakeClaudeVersion.FindStringSubmatch(strings.ToLower(modelID))
	if m == nil {
		return 0
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major*100 + minor
}

// ValidateMessages applies Bedrock's rules to an Anthropic Messages body
// sent with InvokeModel to modelID and returns the ValidationException
// message, or "" when Bedrock would take it. The rules Converse shares
// (roles, tool results, thinking and signatures, cache points) are checked
// by the Converse validator on the same request seen as Converse.
func ValidateMessages(modelID string, body []byte) string {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return "Malformed input request: " + err.Error() + ", please reformat your input and try again."
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(messagesKeys, k) {
			return fmt.Sprintf("Malformed input request: #: extraneous key [%s] is not permitted, please reformat your input and try again.", k)
		}
	}
	var version string
	if raw, ok := top["anthropic_version"]; !ok {
		return "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again."
	} else if json.Unmarshal(raw, &version) != nil || version != AnthropicVersion {
		return fmt.Sprintf("Invalid API version: anthropic_version must be %q", AnthropicVersion)
	}
	var betas []string
	if raw, ok := top["anthropic_beta"]; ok {
		if json.Unmarshal(raw, &betas) != nil {
			return "Malformed input request: #/anthropic_beta: expected type: JSONArray of strings, please reformat your input and try again."
		}
		for _, b := range betas {
			if !slices.Contains(Betas, b) {
				return "invalid beta flag"
			}
		}
	}
	if _, ok := top["max_tokens"]; !ok {
		return "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."
	}
	if _, ok := top["context_management"]; ok && !slices.Contains(betas, "context-management-2025-06-27") {
		return "context_management: Extra inputs are not permitted"
	}
	v := claudeVersion(modelID)
	var th struct {
		Type string `json:"type"`
	}
	if raw, ok := top["thinking"]; ok {
		_ = json.Unmarshal(raw, &th)
	}
	switch {
	case th.Type == "adaptive" && v > 0 && v < 406:
		return "adaptive thinking is not supported on this model"
	case th.Type == "enabled" && v >= 407 && strings.Contains(modelID, "opus"):
		return `"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`
	}
	if _, ok := top["output_config"]; ok && v < 406 && !slices.Contains(betas, "effort-2025-11-24") {
		return "output_config: Extra inputs are not permitted"
	}
	converse, msg := asConverse(top)
	if msg != "" {
		return msg
	}
	return validate(converse)
}

// anthropicBlock is one content block of an Anthropic message (or system).
type anthropicBlock struct {
	Type         string          `json:"type"`
	Text         *string         `json:"text"`
	Source       json.RawMessage `json:"source"`
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Input        json.RawMessage `json:"input"`
	ToolUseID    string          `json:"tool_use_id"`
	Content      json.RawMessage `json:"content"`
	IsError      bool            `json:"is_error"`
	Thinking     *string         `json:"thinking"`
	Signature    *string         `json:"signature"`
	Data         string          `json:"data"`
	CacheControl *struct {
		Type string `json:"type"`
		TTL  string `json:"ttl"`
	} `json:"cache_control"`
}

// blocks reads content that is a string or an array of blocks.
func blocks(raw json.RawMessage) ([]anthropicBlock, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return []anthropicBlock{{Type: "text", Text: &s}}, true
	}
	var out []anthropicBlock
	if json.Unmarshal(raw, &out) != nil {
		return nil, false
	}
	return out, true
}

// cachePointAfter is the Converse cache point a block's cache_control means.
func cachePointAfter(b anthropicBlock) map[string]any {
	if b.CacheControl == nil {
		return nil
	}
	cp := map[string]any{"type": "default"}
	if b.CacheControl.TTL != "" {
		cp["ttl"] = b.CacheControl.TTL
	}
	return map[string]any{"cachePoint": cp}
}

// asConverse writes an Anthropic body as the Converse request it amounts
// to, so the Converse rules can judge it. Consecutive turns of one role
// are joined, as Anthropic's API does.
func asConverse(top map[string]json.RawMessage) ([]byte, string) {
	var msgs []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(top["messages"], &msgs); err != nil {
		return nil, "messages: Input should be a valid list"
	}
	type turn struct {
		Role    string           `json:"role"`
		Content []map[string]any `json:"content"`
	}
	var turns []turn
	for i, m := range msgs {
		if m.Role != "user" && m.Role != "assistant" {
			return nil, fmt.Sprintf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		bs, ok := blocks(m.Content)
		if !ok {
			return nil, fmt.Sprintf("messages.%d.content: Input should be a valid string or list of content blocks", i)
		}
		var content []map[string]any
		for j, b := range bs {
			c, msg := converseBlock(i, j, b)
			if msg != "" {
				return nil, msg
			}
			content = append(content, c)
			if cp := cachePointAfter(b); cp != nil {
				content = append(content, cp)
			}
		}
		if n := len(turns); n > 0 && turns[n-1].Role == m.Role {
			turns[n-1].Content = append(turns[n-1].Content, content...)
			continue
		}
		turns = append(turns, turn{Role: m.Role, Content: content})
	}
	out := map[string]any{"messages": turns}
	if raw, ok := top["system"]; ok {
		bs, ok := blocks(raw)
		if !ok {
			return nil, "system: Input should be a valid string or list of text blocks"
		}
		var system []map[string]any
		for i, b := range bs {
			if b.Type != "text" || b.Text == nil {
				return nil, fmt.Sprintf("system.%d.type: Input should be 'text'", i)
			}
			system = append(system, map[string]any{"text": *b.Text})
			if cp := cachePointAfter(b); cp != nil {
				system = append(system, cp)
			}
		}
		out["system"] = system
	}
	ic := map[string]json.RawMessage{}
	for from, to := range map[string]string{"max_tokens": "maxTokens", "temperature": "temperature", "top_p": "topP"} {
		if raw, ok := top[from]; ok {
			ic[to] = raw
		}
	}
	out["inferenceConfig"] = ic
	fields := map[string]json.RawMessage{}
	for _, k := range []string{"thinking", "output_config", "top_k"} {
		if raw, ok := top[k]; ok {
			fields[k] = raw
		}
	}
	out["additionalModelRequestFields"] = fields
	if raw, ok := top["tools"]; ok {
		var tools []struct {
			Name         string          `json:"name"`
			InputSchema  json.RawMessage `json:"input_schema"`
			CacheControl json.RawMessage `json:"cache_control"`
		}
		if json.Unmarshal(raw, &tools) != nil {
			return nil, "tools: Input should be a valid list"
		}
		var specs []map[string]any
		for _, t := range tools {
			specs = append(specs, map[string]any{"toolSpec": map[string]any{"name": t.Name}})
			if len(t.CacheControl) > 0 {
				var b anthropicBlock
				_ = json.Unmarshal([]byte(`{"cache_control":`+string(t.CacheControl)+`}`), &b)
				specs = append(specs, cachePointAfter(b))
			}
		}
		tc := map[string]any{"tools": specs}
		var choice struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		if raw, ok := top["tool_choice"]; ok && json.Unmarshal(raw, &choice) == nil {
			switch choice.Type {
			case "any":
				tc["toolChoice"] = map[string]any{"any": map[string]any{}}
			case "tool":
				tc["toolChoice"] = map[string]any{"tool": map[string]any{"name": choice.Name}}
			}
		}
		out["toolConfig"] = tc
	}
	body, err := json.Marshal(out)
	if err != nil {
		return nil, "Malformed input request: " + err.Error()
	}
	return body, ""
}

// converseBlock is the Converse block an Anthropic content block amounts to.
func converseBlock(i, j int, b anthropicBlock) (map[string]any, string) {
	switch b.Type {
	case "text":
		if b.Text == nil {
			return nil, fmt.Sprintf("messages.%d.content.%d.text: Field required", i, j)
		}
		if *b.Text == "" {
			return nil, fmt.Sprintf("messages.%d.content.%d.text: text content blocks must be non-empty", i, j)
		}
		return map[string]any{"text": *b.Text}, ""
	case "image":
		var src struct {
			Type      string `json:"type"`
			MediaType string `json:"media_type"`
			Data      string `json:"data"`
		}
		if json.Unmarshal(b.Source, &src) != nil || src.Type != "base64" {
			return nil, fmt.Sprintf("messages.%d.content.%d.image.source: Bedrock takes base64 images only", i, j)
		}
		return map[string]any{"image": map[string]any{"format": strings.TrimPrefix(src.MediaType, "image/"), "source": map[string]any{"bytes": src.Data}}}, ""
	case "document":
		// Anthropic documents carry a title, not a Converse name: the
		// Converse document rules do not apply to them.
		return map[string]any{"text": "(document)"}, ""
	case "tool_use":
		input := b.Input
		if len(input) == 0 {
			input = json.RawMessage(`{}`)
		}
		return map[string]any{"toolUse": map[string]any{"toolUseId": b.ID, "name": b.Name, "input": input}}, ""
	case "tool_result":
		tr := map[string]any{"toolUseId": b.ToolUseID, "content": []map[string]any{{"text": "result"}}}
		if b.IsError {
			tr["status"] = "error"
		}
		return map[string]any{"toolResult": tr}, ""
	case "thinking":
		rt := map[string]any{}
		if b.Thinking != nil {
			rt["text"] = *b.Thinking
		}
		if b.Signature != nil {
			rt["signature"] = *b.Signature
		}
		return map[string]any{"reasoningContent": map[string]any{"reasoningText": rt}}, ""
	case "redacted_thinking":
		return map[string]any{"reasoningContent": map[string]any{"redactedContent": b.Data}}, ""
	}
	return nil, fmt.Sprintf("messages.%d.content.%d: Input tag '%s' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'", i, j, b.Type)
}

// validateCountTokens checks a CountTokens body: {"input": {"invokeModel":
// {"body": <base64>}}} or {"input": {"converse": {...}}}, the body judged
// as its call would be. It returns the counted body as well.
func validateCountTokens(modelID string, body []byte) (counted []byte, msg string) {
	var req struct {
		Input struct {
			InvokeModel *struct {
				Body []byte `json:"body"`
			} `json:"invokeModel"`
			Converse json.RawMessage `json:"converse"`
		} `json:"input"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, "Malformed input request: " + err.Error()
	}
	if !strings.Contains(modelID, "anthropic") && !strings.Contains(modelID, "claude") {
		return nil, "The provided model doesn't support counting tokens."
	}
	switch {
	case req.Input.InvokeModel != nil:
		return req.Input.InvokeModel.Body, ValidateMessages(modelID, req.Input.InvokeModel.Body)
	case len(req.Input.Converse) > 0:
		return req.Input.Converse, validate(req.Input.Converse)
	}
	return nil, "input: must hold invokeModel or converse"
}
