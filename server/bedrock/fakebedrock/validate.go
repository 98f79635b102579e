package fakebedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// converseBody is the part of a Converse request the fake checks.
type converseBody struct {
	Messages []struct {
		Role    string           `json:"role"`
		Content []map[string]any `json:"content"`
	} `json:"messages"`
	System     []map[string]any `json:"system"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec *struct {
				Name        string  `json:"name"`
				Description *string `json:"description"`
			} `json:"toolSpec"`
			CachePoint *struct {
				Type string `json:"type"`
				TTL  any    `json:"ttl"`
			} `json:"cachePoint"`
		} `json:"tools"`
	} `json:"toolConfig"`
	OutputConfig *struct {
		TextFormat *struct {
			Type      string `json:"type"`
			Structure *struct {
				JSONSchema *struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"jsonSchema"`
			} `json:"structure"`
		} `json:"textFormat"`
	} `json:"outputConfig"`
}

// Validate applies Bedrock's request rules to a Converse request body and
// returns the ValidationException message Bedrock would answer with, or ""
// when Bedrock would accept it. Translation tests run every request they
// build through it.
func Validate(body []byte) string { return validate(body) }

// validate applies the request rules Bedrock enforces and returns its
// ValidationException message, or "" when the request is acceptable. These
// are the rules an OpenAI → Converse translation most easily breaks.
func validate(body []byte) string {
	var req converseBody
	// Numbers stay as written: tool input may hold any JSON number
	// (1e400, 20-digit ids), which Bedrock takes as it is.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return "Malformed input request: " + err.Error()
	}
	if dec.More() {
		return "Malformed input request: data after the JSON object"
	}
	if len(req.Messages) == 0 {
		return "The messages field must contain at least one message."
	}
	if req.Messages[0].Role != "user" {
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	}
	for i, b := range req.System {
		if text, ok := b["text"].(string); ok && strings.TrimSpace(text) == "" {
			return fmt.Sprintf("The text field in the SystemContentBlock object at system.%d is blank. Add text to the text field, and try again.", i)
		}
	}
	usesTools := false
	toolUseIDs := map[string]bool{}
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Sprintf("messages.%d.role: %q is not user or assistant", i, m.Role)
		}
		if i > 0 && req.Messages[i-1].Role == m.Role {
			return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
		}
		if len(m.Content) == 0 {
			return fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		resultIDs := map[string]bool{}
		for j, b := range m.Content {
			if len(b) != 1 {
				return fmt.Sprintf("messages.%d.content: a content block must hold exactly one member", i)
			}
			if msg := validateBlock(i, j, b); msg != "" {
				return msg
			}
			if tu, ok := b["toolUse"].(map[string]any); ok {
				usesTools = true
				if m.Role != "assistant" {
					return fmt.Sprintf("messages.%d: toolUse blocks belong in assistant turns", i)
				}
				if name, _ := tu["name"].(string); name == "" {
					return fmt.Sprintf("1 validation error detected: Value '' at 'messages.%d.member.content.%d.member.toolUse.name' failed to satisfy constraint: Member must have length greater than or equal to 1", i, j)
				}
				id, _ := tu["toolUseId"].(string)
				if toolUseIDs[id] {
					return fmt.Sprintf("messages.%d.content.%d: `tool_use` ids must be unique", i, j)
				}
				toolUseIDs[id] = true
			}
			if rc, ok := b["reasoningContent"]; ok {
				if msg := validateReasoningBlock(i, j, m.Role, rc); msg != "" {
					return msg
				}
			}
			if tr, ok := b["toolResult"].(map[string]any); ok {
				usesTools = true
				id, _ := tr["toolUseId"].(string)
				if resultIDs[id] {
					return fmt.Sprintf("messages.%d.content.%d: each tool_use must have a single result. Found multiple `tool_result` blocks with id: %s", i, j, id)
				}
				resultIDs[id] = true
				if i == 0 || !hasToolUse(req.Messages[i-1].Content, id) {
					return fmt.Sprintf("The number of toolResult blocks at messages.%d.content exceeds the number of toolUse blocks of previous turn.", i)
				}
			}
		}
		if m.Role == "assistant" {
			if missing := missingResults(req.Messages[i].Content, nextContent(req, i)); len(missing) > 0 {
				return fmt.Sprintf("Expected toolResult blocks at messages.%d.content for the following Ids: %s", i+1, strings.Join(missing, ", "))
			}
		}
	}
	if usesTools && (req.ToolConfig == nil || len(req.ToolConfig.Tools) == 0) {
		return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
	}
	if req.ToolConfig != nil {
		names := map[string]bool{}
		for i, t := range req.ToolConfig.Tools {
			if t.CachePoint != nil && t.ToolSpec == nil {
				continue
			}
			if t.ToolSpec == nil || t.ToolSpec.Name == "" {
				return fmt.Sprintf("toolConfig.tools.%d.toolSpec.name: must not be empty", i)
			}
			// "description ... Length Constraints: Minimum length of 1.
			// Required: No": an empty one is refused, a missing one is not.
			if d := t.ToolSpec.Description; d != nil && *d == "" {
				return fmt.Sprintf("1 validation error detected: Value '' at 'toolConfig.tools.%d.member.toolSpec.description' failed to satisfy constraint: Member must have length greater than or equal to 1", i)
			}
			if names[t.ToolSpec.Name] {
				return fmt.Sprintf("toolConfig.tools.%d: the tool name %s is used twice; tool names must be unique", i, t.ToolSpec.Name)
			}
			names[t.ToolSpec.Name] = true
		}
	}
	if msg := validateOutputConfig(req); msg != "" {
		return msg
	}
	if msg := validateThinking(body, req); msg != "" {
		return msg
	}
	if n := cachePoints(req); n > maxCachePoints {
		return fmt.Sprintf("A maximum of %d blocks with cache_control may be provided. Found %d.", maxCachePoints, n)
	}
	if msg := validateCacheTTLs(req); msg != "" {
		return msg
	}
	if msg := validateDocuments(req); msg != "" {
		return msg
	}
	if msg := validateImages(req); msg != "" {
		return msg
	}
	return ""
}

// validateBlock checks one content block of messages[i] on its own: no
// blank text (in a tool result either), a tool result with content, tool
// input that is an object, and no cache point before any content.
func validateBlock(i, j int, b map[string]any) string {
	if text, ok := b["text"].(string); ok && strings.TrimSpace(text) == "" {
		return fmt.Sprintf("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
	}
	if _, ok := b["cachePoint"]; ok && j == 0 {
		return fmt.Sprintf("messages.%d.content.%d: a cache point must follow the content it caches; it cannot start a turn", i, j)
	}
	if tu, ok := b["toolUse"].(map[string]any); ok {
		if _, isObject := tu["input"].(map[string]any); !isObject {
			return fmt.Sprintf("The format of the value at messages.%d.content.%d.toolUse.input is invalid. Provide a json object for the field and try again.", i, j)
		}
	}
	if tr, ok := b["toolResult"].(map[string]any); ok {
		content, _ := tr["content"].([]any)
		if len(content) == 0 {
			return fmt.Sprintf("messages.%d.content.%d.toolResult.content is empty: a tool result needs at least one content block", i, j)
		}
		for k, c := range content {
			cb, _ := c.(map[string]any)
			if text, ok := cb["text"].(string); ok && strings.TrimSpace(text) == "" {
				return fmt.Sprintf("The text field in the ToolResultContentBlock object at messages.%d.content.%d.toolResult.content.%d is blank. Add text to the text field, and try again.", i, j, k)
			}
		}
	}
	return ""
}

// maxCachePoints is how many cache points Bedrock accepts in one request.
const maxCachePoints = 4

func cachePoints(req converseBody) int {
	n := 0
	count := func(blocks []map[string]any) {
		for _, b := range blocks {
			if _, ok := b["cachePoint"]; ok {
				n++
			}
		}
	}
	count(req.System)
	for _, m := range req.Messages {
		count(m.Content)
	}
	if req.ToolConfig != nil {
		for _, t := range req.ToolConfig.Tools {
			if t.CachePoint != nil {
				n++
			}
		}
	}
	return n
}

// validateOutputConfig checks structured output: a json_schema text format
// whose schema is a string holding a JSON object.
func validateOutputConfig(req converseBody) string {
	oc := req.OutputConfig
	if oc == nil || oc.TextFormat == nil {
		return ""
	}
	tf := oc.TextFormat
	if tf.Type != "json_schema" {
		return fmt.Sprintf("outputConfig.textFormat.type: %q is not json_schema", tf.Type)
	}
	if tf.Structure == nil || tf.Structure.JSONSchema == nil {
		return "outputConfig.textFormat.structure.jsonSchema is required"
	}
	var schema string
	if err := json.Unmarshal(tf.Structure.JSONSchema.Schema, &schema); err != nil {
		return "outputConfig.textFormat.structure.jsonSchema.schema must be a string"
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(schema), &obj); err != nil {
		return "The provided JSON schema is invalid: " + err.Error()
	}
	return ""
}

func nextContent(req converseBody, i int) []map[string]any {
	if i+1 < len(req.Messages) {
		return req.Messages[i+1].Content
	}
	return nil
}

func hasToolUse(blocks []map[string]any, id string) bool {
	for _, b := range blocks {
		if tu, ok := b["toolUse"].(map[string]any); ok && tu["toolUseId"] == id {
			return true
		}
	}
	return false
}

func missingResults(assistant, next []map[string]any) []string {
	results := map[string]bool{}
	for _, b := range next {
		if tr, ok := b["toolResult"].(map[string]any); ok {
			id, _ := tr["toolUseId"].(string)
			results[id] = true
		}
	}
	var missing []string
	for _, b := range assistant {
		if tu, ok := b["toolUse"].(map[string]any); ok {
			id, _ := tu["toolUseId"].(string)
			if !results[id] {
				missing = append(missing, id)
			}
		}
	}
	return missing
}
