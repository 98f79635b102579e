package openai

import (
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// ChatCompletion is a non-streaming chat.completion response.
type ChatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// ChatChoice is the single choice of a chat completion.
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
	// NativeFinishReason is the upstream's own stop reason (Bedrock's
	// end_turn, stop_sequence…), which finish_reason folds together.
	NativeFinishReason string `json:"native_finish_reason,omitempty"`
}

// ResponseMessage is the assistant's answer. Content is null when the turn
// is only tool calls.
type ResponseMessage struct {
	Role             string             `json:"role"`
	Content          *string            `json:"content"`
	ReasoningContent string             `json:"reasoning_content,omitempty"`
	ReasoningDetails []ReasoningDetail  `json:"reasoning_details,omitempty"`
	ToolCalls        []ResponseToolCall `json:"tool_calls,omitempty"`
}

// ResponseToolCall is a tool call in a response; Arguments is a JSON string.
type ResponseToolCall struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function ResponseFunction `json:"function"`
}

// ResponseFunction names the function and its JSON-encoded arguments.
type ResponseFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// PromptTokensDetails is set when the prompt cache was used.
	PromptTokensDetails *PromptTokensDetails `json:"prompt_tokens_details,omitempty"`
}

// PromptTokensDetails breaks prompt_tokens down.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"` // read from the prompt cache
	// CacheWriteTokens were written to the prompt cache (OpenRouter's
	// name for them); they are priced above plain input.
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	// CacheWrite1hTokens are the CacheWriteTokens written with a one-hour
	// TTL, which cost more again. The router prices them; clients are
	// not told.
	CacheWrite1hTokens int `json:"-"`
}

// TextCompletion is a non-streaming text_completion response.
type TextCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []TextChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// TextChoice is the single choice of a text completion.
type TextChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	Logprobs     *string `json:"logprobs"`
	FinishReason string  `json:"finish_reason"`
	// NativeFinishReason is as in ChatChoice.
	NativeFinishReason string `json:"native_finish_reason,omitempty"`
}

// Model is one entry of GET /v1/models. Entries passed through from
// llama-swap keep their own fields; the router's own entries use these.
type Model struct {
	ID          string         `json:"id"`
	Object      string         `json:"object"`
	Created     int64          `json:"created"`
	OwnedBy     string         `json:"owned_by"`
	Name        string         `json:"name,omitempty"`
	Description string         `json:"description,omitempty"`
	Tier        string         `json:"tier,omitempty"`
	Backend     string         `json:"backend,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// NewID returns a fresh response id with the given prefix ("chatcmpl-",
// "cmpl-"), followed by 24 hex digits.
func NewID(prefix string) string {
	var b [12]byte
	for i := 0; i < len(b); i += 4 {
		v := rand.Uint32()
		b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	return prefix + hex.EncodeToString(b[:])
}

// NewToolCallID returns an id for a tool call that arrived without one.
func NewToolCallID() string { return NewID("tool_")[:17] }

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteError(w, &Error{Status: http.StatusInternalServerError, Message: "encoding response: " + err.Error(), Type: TypeServer, Code: "internal_error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
