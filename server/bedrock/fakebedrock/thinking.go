package fakebedrock

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// DefaultReasoning is the reasoning the fake answers with when a request
// enables thinking and the reply scripts none.
const DefaultReasoning = "Thinking it over."

// signingKey signs the reasoning blocks this process issues. Like
// Bedrock's, a signature is good only where it was made: a fake in
// another process (or a history from another provider) does not verify.
var signingKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

func mac(kind, text string) []byte {
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(text))
	return m.Sum(nil)
}

// Signature is the signature the fake issues with a reasoning block of
// this text, for tests that write a signed history by hand.
func Signature(text string) string {
	return base64.StdEncoding.EncodeToString(mac("reasoning", text))
}

// RedactedData is the opaque content of the redacted reasoning blocks the
// fake issues.
func RedactedData() []byte {
	return append([]byte("redacted:"), mac("redacted", "")...)
}

func validSignature(text, sig string) bool {
	return sig != "" && hmac.Equal([]byte(sig), []byte(Signature(text)))
}

func validRedacted(data []byte) bool { return bytes.Equal(data, RedactedData()) }

// thinkingBody is the part of a request thinking rules look at.
type thinkingBody struct {
	InferenceConfig *struct {
		MaxTokens   *json.Number `json:"maxTokens"`
		Temperature *json.Number `json:"temperature"`
		TopP        *json.Number `json:"topP"`
	} `json:"inferenceConfig"`
	ToolConfig *struct {
		ToolChoice map[string]any `json:"toolChoice"`
	} `json:"toolConfig"`
	AdditionalModelRequestFields map[string]any `json:"additionalModelRequestFields"`
	// Thinking is an Anthropic Messages body's own (InvokeModel).
	Thinking map[string]any `json:"thinking"`
}

// thinkingType is thinking.type of additionalModelRequestFields, "" when
// the request does not say.
func thinkingType(fields map[string]any) string {
	th, _ := fields["thinking"].(map[string]any)
	typ, _ := th["type"].(string)
	return typ
}

// ThinkingEnabled reports whether a Converse request body, or an
// Anthropic Messages body, turns on extended thinking (budget or adaptive).
func ThinkingEnabled(body []byte) bool {
	var req thinkingBody
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	typ := thinkingType(req.AdditionalModelRequestFields)
	if typ == "" {
		typ = thinkingType(map[string]any{"thinking": req.Thinking})
	}
	return typ == "enabled" || typ == "adaptive"
}

// validateThinking applies the rules of Claude's extended thinking as
// Bedrock reports them (the Anthropic messages, passed through).
func validateThinking(body []byte, req converseBody) string {
	var tb thinkingBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&tb); err != nil {
		return "Malformed input request: " + err.Error()
	}
	fields := tb.AdditionalModelRequestFields
	th, _ := fields["thinking"].(map[string]any)
	typ := thinkingType(fields)
	switch typ {
	case "":
		if th != nil {
			return "thinking.type: Field required"
		}
		return ""
	case "disabled":
		return ""
	case "enabled":
		n, ok := th["budget_tokens"].(json.Number)
		budget, err := n.Int64()
		if !ok || err != nil {
			return "thinking.enabled.budget_tokens: Input should be a valid integer"
		}
		if budget < 1024 {
			return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
		}
		var maxTokens int64
		if ic := tb.InferenceConfig; ic != nil && ic.MaxTokens != nil {
			maxTokens, _ = ic.MaxTokens.Int64()
		}
		if maxTokens <= budget {
			return fmt.Sprintf("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size (max_tokens %d, budget_tokens %d)", maxTokens, budget)
		}
	case "adaptive":
		if oc, ok := fields["output_config"].(map[string]any); ok {
			switch oc["effort"] {
			case nil, "low", "medium", "high", "max":
			default:
				return fmt.Sprintf("output_config.effort: Input should be 'low', 'medium', 'high' or 'max' (got %v)", oc["effort"])
			}
		}
	default:
		return fmt.Sprintf("thinking.type: Input tag '%s' found using 'type' does not match any of the expected tags: 'adaptive', 'disabled', 'enabled'", typ)
	}
	if ic := tb.InferenceConfig; ic != nil {
		if ic.Temperature != nil {
			if f, _ := ic.Temperature.Float64(); f != 1 {
				return "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
			}
		}
		if ic.TopP != nil {
			if f, _ := ic.TopP.Float64(); f < 0.95 {
				return "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
			}
		}
	}
	if _, ok := fields["top_k"]; ok {
		return "`top_k` must be unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
	}
	if tc := tb.ToolConfig; tc != nil {
		if _, ok := tc.ToolChoice["any"]; ok {
			return "Thinking may not be enabled when tool_choice forces tool use."
		}
		if _, ok := tc.ToolChoice["tool"]; ok {
			return "Thinking may not be enabled when tool_choice forces tool use."
		}
	}
	// The final assistant message of a tool loop (the one whose results
	// the last user turn carries) must start with its thinking.
	n := len(req.Messages)
	if n >= 2 && req.Messages[n-1].Role == "user" && req.Messages[n-2].Role == "assistant" {
		a := req.Messages[n-2].Content
		if hasBlock(a, "toolUse") && hasBlock(req.Messages[n-1].Content, "toolResult") {
			if _, ok := a[0]["reasoningContent"]; !ok {
				return fmt.Sprintf("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking", n-2, anthropicType(a[0]))
			}
		}
	}
	return ""
}

// validateReasoningBlock checks one reasoningContent block: text with the
// signature the fake issued for it, or redacted content it issued.
func validateReasoningBlock(i, j int, role string, block any) string {
	if role != "assistant" {
		return fmt.Sprintf("messages.%d: reasoningContent blocks belong in assistant turns", i)
	}
	rc, _ := block.(map[string]any)
	if rt, ok := rc["reasoningText"].(map[string]any); ok {
		text, _ := rt["text"].(string)
		sig, hasSig := rt["signature"].(string)
		if !hasSig {
			return fmt.Sprintf("messages.%d.content.%d.thinking.signature: Field required", i, j)
		}
		if !validSignature(text, sig) {
			return fmt.Sprintf("messages.%d.content.%d: Invalid `signature` in `thinking` block", i, j)
		}
		return ""
	}
	if s, ok := rc["redactedContent"].(string); ok {
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !validRedacted(data) {
			return fmt.Sprintf("messages.%d.content.%d: Invalid `data` in `redacted_thinking` block", i, j)
		}
		return ""
	}
	return fmt.Sprintf("messages.%d.content.%d.reasoningContent: must hold reasoningText or redactedContent", i, j)
}

func hasBlock(blocks []map[string]any, member string) bool {
	for _, b := range blocks {
		if _, ok := b[member]; ok {
			return true
		}
	}
	return false
}

// anthropicType names a Converse block the way Anthropic's errors do.
func anthropicType(b map[string]any) string {
	for k := range b {
		switch k {
		case "toolUse":
			return "tool_use"
		case "toolResult":
			return "tool_result"
		case "cachePoint":
			return "cache_control"
		}
		return k
	}
	return ""
}
