// Package openai holds the OpenAI-compatible wire types the router speaks to
// its clients: request bodies, responses, stream chunks and error objects.
package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// ChatRequest is the body of POST /v1/chat/completions and, with Prompt
// instead of Messages, of POST /v1/completions. Fields the router does not
// translate are ignored.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Prompt              Prompt          `json:"prompt"`
	Stream              bool            `json:"stream"`
	StreamOptions       *StreamOptions  `json:"stream_options"`
	Tools               []Tool          `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                Stop            `json:"stop"`
	N                   *int            `json:"n"`
	ResponseFormat      *ResponseFormat `json:"response_format"`
	// ReasoningEffort asks for extended thinking: none, minimal, low,
	// medium or high.
	ReasoningEffort string `json:"reasoning_effort,omitempty"`
	// TopK is a sampling knob OpenAI lacks but many clients send.
	TopK *float64 `json:"top_k,omitempty"`
}

// CacheControl marks the end of a prompt prefix to cache, the way
// Anthropic-style clients write it: {"type":"ephemeral","ttl":"1h"}.
type CacheControl struct {
	Type string `json:"type"`
	TTL  string `json:"ttl"`
}

// ResponseFormat is the response_format object: "text", "json_object", or
// "json_schema" with the schema the answer must follow.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema"`
}

// JSONSchema is response_format.json_schema.
type JSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Strict      *bool           `json:"strict"`
}

// StreamOptions is the stream_options object.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one entry of messages.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name"`
	ToolCalls  []ToolCall `json:"tool_calls"`
	ToolCallID string     `json:"tool_call_id"`
	// ID is read as a fallback for tool_call_id on role "tool" messages.
	ID string `json:"id"`
	// ReasoningContent is an assistant message's thinking as text, the
	// way the router (and DeepSeek-style clients) relay it; it carries
	// no signature.
	ReasoningContent string `json:"reasoning_content,omitempty"`
	// ReasoningDetails is an assistant message's thinking with its
	// signatures, in OpenRouter's shape, as some clients send it back.
	ReasoningDetails []ReasoningDetail `json:"reasoning_details,omitempty"`
	// CacheControl asks for a cache point after the whole message.
	CacheControl *CacheControl `json:"cache_control,omitempty"`
}

// Reasoning detail types and the format of Claude's signed thinking.
const (
	ReasoningText      = "reasoning.text"
	ReasoningEncrypted = "reasoning.encrypted"
	ReasoningFormat    = "anthropic-claude-v1"
)

// ReasoningDetail is one entry of reasoning_details (OpenRouter's shape):
// thinking text with its signature ("reasoning.text"), or thinking the
// model keeps hidden as opaque data ("reasoning.encrypted"). In a stream,
// entries with the same index are parts of one block.
type ReasoningDetail struct {
	Type      string `json:"type"`
	Text      string `json:"text,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
	Format    string `json:"format,omitempty"`
	Index     int    `json:"index"`
}

// ToolCall is an assistant message's request to call a function.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
	// CacheControl asks for a cache point after this call.
	CacheControl *CacheControl `json:"cache_control,omitempty"`
}

// FunctionCall names the function and carries its arguments: normally a
// string holding JSON, though some clients send the JSON object itself.
type FunctionCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Tool is one entry of tools.
type Tool struct {
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
	// CacheControl asks for a cache point after this tool's declaration.
	CacheControl *CacheControl `json:"cache_control,omitempty"`
}

// ToolFunction describes a callable function and its JSON Schema.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// Content is a message's content: a string, an array of typed parts, or null.
type Content struct {
	Parts []ContentPart
	// IsString is set when the content was a plain string (held in
	// Parts[0].Text).
	IsString bool
}

// ContentPart is one element of an array content.
type ContentPart struct {
	Type     string    `json:"type"`
	Text     *string   `json:"text"`
	ImageURL *ImageURL `json:"image_url"`
	File     *File     `json:"file,omitempty"`
	// CacheControl asks for a cache point after this part.
	CacheControl *CacheControl `json:"cache_control,omitempty"`
}

// File is the file of a "file" part: inline as a data: URL in FileData,
// or a reference to an uploaded file in FileID.
type File struct {
	Filename string `json:"filename"`
	FileData string `json:"file_data"`
	FileID   string `json:"file_id"`
}

// ImageURL is the image_url of an image part.
type ImageURL struct {
	URL string `json:"url"`
}

// UnmarshalJSON accepts a string, an array of parts, or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case 'n':
		*c = Content{}
		return nil
	case '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*c = Content{Parts: []ContentPart{{Type: "text", Text: &s}}, IsString: true}
		return nil
	case '[':
		var parts []ContentPart
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		*c = Content{Parts: parts}
		return nil
	}
	return &shapeError{"content", "a string, an array of content parts or null"}
}

// MarshalJSON writes the content back in the shape it arrived in.
func (c Content) MarshalJSON() ([]byte, error) {
	if c.IsString {
		return json.Marshal(c.Text())
	}
	if c.Parts == nil {
		return []byte("null"), nil
	}
	return json.Marshal(c.Parts)
}

// Text joins the text parts with newlines; other parts are left out.
func (c Content) Text() string {
	if c.IsString {
		return *c.Parts[0].Text
	}
	var texts []string
	for _, p := range c.Parts {
		if p.Text != nil {
			texts = append(texts, *p.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// Len is the number of characters (code points) of text the content
// holds.
func (c Content) Len() int {
	n := 0
	for _, p := range c.Parts {
		if p.Text != nil {
			n += utf8.RuneCountInString(*p.Text)
		}
	}
	return n
}

// Stop is the stop field: a string or a list of strings.
type Stop []string

// UnmarshalJSON accepts a string, a list of strings, or null.
func (s *Stop) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case 'n':
		*s = nil
		return nil
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Stop{v}
		return nil
	case '[':
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			return &shapeError{"stop", "a string or a list of strings"}
		}
		*s = v
		return nil
	}
	return &shapeError{"stop", "a string or a list of strings"}
}

// Prompt is the prompt of /v1/completions: a string or a list of strings
// (joined with newlines).
type Prompt struct {
	Text  string
	IsSet bool
}

// UnmarshalJSON accepts a string, a list of strings, or null.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case 'n':
		*p = Prompt{}
		return nil
	case '"':
		p.IsSet = true
		return json.Unmarshal(b, &p.Text)
	case '[':
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			return &shapeError{"prompt", "a string or a list of strings (token arrays are not supported)"}
		}
		*p = Prompt{Text: strings.Join(v, "\n"), IsSet: true}
		return nil
	}
	return &shapeError{"prompt", "a string or a list of strings"}
}

// shapeError is a custom decoder's refusal of a value: the field and the
// shapes it takes.
type shapeError struct{ field, want string }

func (e *shapeError) Error() string { return e.field + " must be " + e.want }

// unquote decodes a JSON string literal that encoding/json has already
// validated (it hands custom unmarshalers only valid JSON). Message content
// is the bulk of a request, so the common cases are decoded here in one
// pass instead of validating and scanning the literal a second time;
// \u escapes and invalid UTF-8 go to encoding/json, which knows their
// rules.
func unquote(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	}
	body := b[1 : len(b)-1]
	i := bytes.IndexByte(body, '\\')
	if i < 0 && utf8.Valid(body) {
		return string(body), nil
	}
	if !utf8.Valid(body) || bytes.Contains(body, []byte(`\u`)) {
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	}
	out := make([]byte, 0, len(body))
	for i >= 0 {
		out = append(out, body[:i]...)
		if i+1 >= len(body) {
			return "", errors.New("invalid string escape")
		}
		switch c := body[i+1]; c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			return "", fmt.Errorf("invalid string escape \\%c", c)
		}
		body = body[i+2:]
		i = bytes.IndexByte(body, '\\')
	}
	return string(append(out, body...)), nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// Endpoint says which POST route a body was sent to.
type Endpoint int

const (
	// ChatCompletions is POST /v1/chat/completions.
	ChatCompletions Endpoint = iota
	// Completions is POST /v1/completions.
	Completions
)

// DecodeRequest parses and checks a request body. The error, if any, is a
// 400 that names the problem in the client's terms.
func DecodeRequest(body []byte, ep Endpoint) (*ChatRequest, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, InvalidRequest("request body is empty; send a JSON object", "invalid_json")
	}
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, InvalidRequest(describeJSONError(body, err), "invalid_json")
	}
	switch ep {
	case ChatCompletions:
		if req.Messages == nil {
			return nil, InvalidRequest(`"messages" is required: a list of {"role", "content"} objects`, "missing_messages")
		}
		if len(req.Messages) == 0 {
			return nil, InvalidRequest(`"messages" must hold at least one message`, "missing_messages")
		}
		for i, m := range req.Messages {
			switch m.Role {
			case "system", "developer", "user", "assistant", "tool":
			case "":
				return nil, InvalidRequest(fmt.Sprintf("messages[%d]: \"role\" is required", i), "invalid_message")
			default:
				return nil, InvalidRequest(fmt.Sprintf("messages[%d]: unknown role %q (want system, developer, user, assistant or tool)", i, m.Role), "invalid_message")
			}
			if m.Role != "assistant" {
				continue
			}
			for j, tc := range m.ToolCalls {
				if tc.Function.Name == "" {
					return nil, InvalidRequest(fmt.Sprintf("messages[%d].tool_calls[%d]: function.name is required", i, j), "invalid_message")
				}
			}
		}
	case Completions:
		// The prompt is the conversation; a stray messages field must not
		// compete with it.
		req.Messages = nil
		if !req.Prompt.IsSet {
			return nil, InvalidRequest(`"prompt" is required: a string`, "missing_prompt")
		}
	}
	// A name declared twice is refused, not merged: which of the two
	// schemas the client meant is not the router's to guess (and Bedrock
	// refuses a repeated tool name).
	declared := make(map[string]int, len(req.Tools))
	for i, t := range req.Tools {
		if t.Function.Name == "" {
			return nil, InvalidRequest(fmt.Sprintf("tools[%d]: function.name is required", i), "invalid_tool")
		}
		if first, ok := declared[t.Function.Name]; ok {
			return nil, InvalidRequest(fmt.Sprintf("tools[%d]: function %q is declared twice (first in tools[%d]); each tool needs a name of its own", i, t.Function.Name, first), "invalid_tool")
		}
		declared[t.Function.Name] = i
	}
	return &req, nil
}

// describeJSONError names what is wrong with a body json.Unmarshal
// refused. encoding/json's field paths drop array indices
// ("messages.content"), so a value of the wrong shape is looked for again
// element by element, to name it as messages[2].content.
func describeJSONError(body []byte, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("request body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
	}
	path := ""
	if p, located := locateError(body, reflect.TypeFor[ChatRequest](), ""); located != nil {
		path, err = p, located
	}
	var typ *json.UnmarshalTypeError
	var shape *shapeError
	switch {
	case errors.As(err, &shape):
		if path == "" {
			path = shape.field
		}
		return "invalid request body: " + path + " must be " + shape.want
	case errors.As(err, &typ):
		if typ.Field != "" {
			path = joinPath(path, typ.Field)
		}
		if path == "" {
			return fmt.Sprintf("request body must be a JSON object, not %s", typ.Value)
		}
		return fmt.Sprintf("field %q must be %s, not %s", path, jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	return "invalid request body: " + err.Error()
}

var (
	unmarshalerType  = reflect.TypeFor[json.Unmarshaler]()
	contentType      = reflect.TypeFor[Content]()
	contentPartsType = reflect.TypeFor[[]ContentPart]()
)

// locateError decodes raw into a value of type t again, one array element
// and one struct field at a time, and returns the path (with array
// indices) and the error of the first value that does not fit, or a nil
// error when everything fits. It runs only on bodies already refused.
func locateError(raw json.RawMessage, t reflect.Type, path string) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	first := firstByte(raw)
	if t == contentType && first == '[' {
		// Content decodes its parts itself; look into them.
		t = contentPartsType
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	switch {
	case !custom && t.Kind() == reflect.Slice && first == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return path, err
		}
		for i, e := range elems {
			if p, err := locateError(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return p, err
			}
		}
		return "", nil
	case !custom && t.Kind() == reflect.Struct && first == '{':
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return path, err
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			v, ok := fields[name]
			if !ok {
				// encoding/json matches keys without regard to case.
				for k, kv := range fields {
					if strings.EqualFold(k, name) {
						v, ok = kv, true
						break
					}
				}
			}
			if !ok {
				continue
			}
			if p, err := locateError(v, f.Type, joinPath(path, name)); err != nil {
				return p, err
			}
		}
		return "", nil
	}
	return path, json.Unmarshal(raw, reflect.New(t).Interface())
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func jsonKind(goKind string) string {
	switch goKind {
	case "float64", "float32":
		return "a number"
	case "int", "int64", "int32", "uint", "uint64", "uint32":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a different type"
}
