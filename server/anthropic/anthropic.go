// Package anthropic holds the Anthropic Messages wire types the router
// speaks to Claude Code and other Anthropic clients on /v1/messages: the
// request as far as routing and translation read it, error objects, the
// server-sent events writer, and the conversion to and from the router's
// OpenAI requests and answers (for tiers served through Converse).
package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/llmstack/llmstack/server/openai"
)

// Request is the body of POST /v1/messages (and count_tokens) as the
// router reads it. The body itself is what a Claude tier is sent; these
// fields serve routing and the translation for other tiers.
type Request struct {
	Model         string          `json:"model"`
	Messages      []Message       `json:"messages"`
	System        Content         `json:"system"`
	Tools         []Tool          `json:"tools"`
	ToolChoice    *ToolChoice     `json:"tool_choice"`
	MaxTokens     *int            `json:"max_tokens"`
	Stream        bool            `json:"stream"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *float64        `json:"top_k"`
	StopSequences []string        `json:"stop_sequences"`
	Thinking      *Thinking       `json:"thinking"`
	OutputConfig  *OutputConfig   `json:"output_config"`
	Metadata      json.RawMessage `json:"metadata"`
}

// Message is one entry of messages. Claude Code also sends role "system"
// entries mid-conversation.
type Message struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
}

// Content is a string or a list of blocks; a string is one text block.
type Content []Block

// UnmarshalJSON accepts a string, a list of blocks, or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*c = nil
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Content{{Type: "text", Text: s}}
		return nil
	case b[0] == '[':
		var blocks []Block
		if err := json.Unmarshal(b, &blocks); err != nil {
			return err
		}
		*c = blocks
		return nil
	}
	return fmt.Errorf("content must be a string or a list of content blocks")
}

// Text joins the content's text blocks with newlines.
func (c Content) Text() string {
	var texts []string
	for _, b := range c {
		if b.Type == "text" {
			texts = append(texts, b.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// Block is one content block: text, image, document, tool_use,
// tool_result, thinking or redacted_thinking.
type Block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *Source         `json:"source,omitempty"`
	Title     string          `json:"title,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   Content         `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	Thinking  string          `json:"thinking,omitempty"`
	Signature string          `json:"signature,omitempty"`
	Data      string          `json:"data,omitempty"`
	// CacheControl marks the end of a prefix to cache.
	CacheControl *openai.CacheControl `json:"cache_control,omitempty"`
}

// Source is an image's or a document's data: base64 with a media type,
// plain text, or a URL.
type Source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// Tool is one declared tool (a client tool; server tools carry a type).
type Tool struct {
	Type         string               `json:"type,omitempty"`
	Name         string               `json:"name"`
	Description  string               `json:"description,omitempty"`
	InputSchema  json.RawMessage      `json:"input_schema,omitempty"`
	CacheControl *openai.CacheControl `json:"cache_control,omitempty"`
}

// ToolChoice is auto, any, tool (with Name) or none.
type ToolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// Thinking is the thinking setting: enabled with a budget, adaptive, or
// disabled.
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// OutputConfig carries the effort of adaptive thinking.
type OutputConfig struct {
	Effort string `json:"effort,omitempty"`
}

// Decode reads a Messages request body. A body that is not a JSON object
// of the Messages shape is a 400 naming what is wrong.
func Decode(body []byte) (*Request, *openai.Error) {
	if !utf8.Valid(body) {
		return nil, openai.InvalidRequest("request body is not valid UTF-8", "invalid_json")
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, openai.InvalidRequest(fmt.Sprintf("%s: must be %s, not %s", te.Field, kindOf(te.Type.Kind().String()), te.Value), "invalid_request")
		}
		return nil, openai.InvalidRequest("request body is not a Messages request: "+err.Error(), "invalid_json")
	}
	return &req, nil
}

func kindOf(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	case "ptr":
		return "a value of another type"
	}
	return "a number"
}

// Header names Anthropic clients send.
const (
	VersionHeader = "Anthropic-Version"
	BetaHeader    = "Anthropic-Beta"
)

// Betas is the anthropic-beta header list: comma-separated values, over
// one or more header lines.
func Betas(h http.Header) []string {
	var out []string
	for _, line := range h.Values(BetaHeader) {
		for _, b := range strings.Split(line, ",") {
			if b = strings.TrimSpace(b); b != "" {
				out = append(out, b)
			}
		}
	}
	return out
}
