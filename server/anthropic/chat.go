package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/llmstack/llmstack/server/openai"
)

// Thinking budgets at or above which a budget reads as each effort (the
// router's own budgets for low, medium and high).
const (
	budgetLow    = 2048
	budgetMedium = 8192
	budgetHigh   = 16384
)

// ToChat is the OpenAI request a Messages request amounts to, for the
// classifier and for tiers served through Converse: the router's one
// translation (repairs, cache points, thinking) then applies to it as to
// any OpenAI client's. Thinking blocks become reasoning_details with their
// signatures, tool results tool messages, images data URLs and PDFs file
// parts; a block the router has no place for is a 400 naming it.
func ToChat(req *Request) (*openai.ChatRequest, *openai.Error) {
	out := &openai.ChatRequest{
		Model:       req.Model,
		Stream:      req.Stream,
		MaxTokens:   req.MaxTokens,
		Temperature: req.Temperature,
		TopP:        req.TopP,
		TopK:        req.TopK,
		Stop:        openai.Stop(req.StopSequences),
	}
	if req.Stream {
		// The usage chunk becomes the final message_delta's usage.
		out.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	if len(req.System) > 0 {
		m, err := systemMessage("system", req.System)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, m)
	}
	for i, m := range req.Messages {
		where := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system":
			sm, err := systemMessage(where, m.Content)
			if err != nil {
				return nil, err
			}
			out.Messages = append(out.Messages, sm)
		case "user":
			msgs, err := userMessages(where, m.Content)
			if err != nil {
				return nil, err
			}
			out.Messages = append(out.Messages, msgs...)
		case "assistant":
			am, err := assistantMessage(where, m.Content)
			if err != nil {
				return nil, err
			}
			out.Messages = append(out.Messages, am)
		default:
			return nil, openai.InvalidRequest(fmt.Sprintf("%s.role %q is not user, assistant or system", where, m.Role), "invalid_role")
		}
	}
	for i, t := range req.Tools {
		if t.Name == "" {
			return nil, openai.InvalidRequest(fmt.Sprintf("tools[%d]: a tool needs a name", i), "invalid_tool")
		}
		out.Tools = append(out.Tools, openai.Tool{Type: "function", CacheControl: t.CacheControl,
			Function: openai.ToolFunction{Name: t.Name, Description: t.Description, Parameters: t.InputSchema}})
	}
	if c := req.ToolChoice; c != nil {
		var choice any
		switch c.Type {
		case "auto", "":
			choice = "auto"
		case "any":
			choice = "required"
		case "none":
			choice = "none"
		case "tool":
			choice = map[string]any{"type": "function", "function": map[string]string{"name": c.Name}}
		default:
			return nil, openai.InvalidRequest(fmt.Sprintf("tool_choice.type %q is not auto, any, tool or none", c.Type), "invalid_tool_choice")
		}
		out.ToolChoice, _ = json.Marshal(choice)
	}
	effort, err := reasoningEffort(req)
	if err != nil {
		return nil, err
	}
	out.ReasoningEffort = effort
	return out, nil
}

// reasoningEffort reads thinking (and output_config.effort) as the
// router's reasoning_effort: a budget as the nearest effort, adaptive as
// its effort (medium when unsaid), disabled as none; "" leaves the tier's
// default.
func reasoningEffort(req *Request) (string, *openai.Error) {
	th := req.Thinking
	if th == nil {
		return "", nil
	}
	switch th.Type {
	case "disabled":
		return "none", nil
	case "enabled":
		switch b := th.BudgetTokens; {
		case b >= budgetHigh:
			return "high", nil
		case b >= budgetMedium:
			return "medium", nil
		case b >= budgetLow:
			return "low", nil
		}
		return "minimal", nil
	case "adaptive":
		effort := "medium"
		if oc := req.OutputConfig; oc != nil && oc.Effort != "" {
			effort = oc.Effort
		}
		if effort == "max" {
			effort = "high"
		}
		return effort, nil
	}
	return "", openai.InvalidRequest(fmt.Sprintf("thinking.type %q is not enabled, adaptive or disabled", th.Type), "invalid_thinking")
}

func text(s string) *string { return &s }

// systemMessage is a system prompt (the top-level one, or one Claude Code
// sends inside messages) as a system message with its cache points.
func systemMessage(where string, c Content) (openai.Message, *openai.Error) {
	m := openai.Message{Role: "system"}
	for j, b := range c {
		if b.Type != "text" {
			return m, openai.InvalidRequest(fmt.Sprintf("%s.content[%d]: a system prompt holds text blocks only, not %q", where, j, b.Type), "unsupported_content")
		}
		m.Content.Parts = append(m.Content.Parts, openai.ContentPart{Type: "text", Text: text(b.Text), CacheControl: b.CacheControl})
	}
	return m, nil
}

// userMessages is a user turn: its tool results first, as tool messages,
// then its other content as one user message.
func userMessages(where string, c Content) ([]openai.Message, *openai.Error) {
	var out []openai.Message
	user := openai.Message{Role: "user"}
	for j, b := range c {
		at := fmt.Sprintf("%s.content[%d]", where, j)
		if b.Type == "tool_result" {
			tm := openai.Message{Role: "tool", ToolCallID: b.ToolUseID, CacheControl: b.CacheControl}
			for k, rb := range b.Content {
				p, err := part(fmt.Sprintf("%s.content[%d]", at, k), rb)
				if err != nil {
					return nil, err
				}
				tm.Content.Parts = append(tm.Content.Parts, p)
			}
			if b.IsError && len(tm.Content.Parts) > 0 && tm.Content.Parts[0].Text != nil {
				tm.Content.Parts[0].Text = text("(the tool failed) " + *tm.Content.Parts[0].Text)
			}
			out = append(out, tm)
			continue
		}
		p, err := part(at, b)
		if err != nil {
			return nil, err
		}
		user.Content.Parts = append(user.Content.Parts, p)
	}
	if len(user.Content.Parts) > 0 {
		out = append(out, user)
	}
	return out, nil
}

// part is a text, image or document block as an OpenAI content part.
func part(where string, b Block) (openai.ContentPart, *openai.Error) {
	switch b.Type {
	case "text":
		return openai.ContentPart{Type: "text", Text: text(b.Text), CacheControl: b.CacheControl}, nil
	case "image", "document":
		s := b.Source
		if s == nil {
			return openai.ContentPart{}, openai.InvalidRequest(where+": "+b.Type+" without a source", "unsupported_content")
		}
		switch s.Type {
		case "base64":
			url := "data:" + s.MediaType + ";base64," + s.Data
			if b.Type == "image" {
				return openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: url}, CacheControl: b.CacheControl}, nil
			}
			name := b.Title
			if name == "" {
				name = "document"
			}
			return openai.ContentPart{Type: "file", File: &openai.File{Filename: name, FileData: url}, CacheControl: b.CacheControl}, nil
		case "text":
			if b.Type == "document" {
				return openai.ContentPart{Type: "text", Text: text(s.Data), CacheControl: b.CacheControl}, nil
			}
		}
		return openai.ContentPart{}, openai.InvalidRequest(fmt.Sprintf("%s: a %s source of type %q cannot reach this tier (send base64 data)", where, b.Type, s.Type), "unsupported_content")
	}
	return openai.ContentPart{}, openai.InvalidRequest(fmt.Sprintf("%s: content block type %q is not supported on this tier", where, b.Type), "unsupported_content")
}

// assistantMessage is a model turn: its text, its tool calls, and its
// thinking as reasoning_details (signed text, or redacted data).
func assistantMessage(where string, c Content) (openai.Message, *openai.Error) {
	m := openai.Message{Role: "assistant"}
	var texts []string
	for j, b := range c {
		switch b.Type {
		case "text":
			texts = append(texts, b.Text)
			if b.CacheControl != nil {
				m.CacheControl = b.CacheControl
			}
		case "tool_use":
			input := b.Input
			if len(input) == 0 {
				input = json.RawMessage(`{}`)
			}
			args, _ := json.Marshal(string(input))
			m.ToolCalls = append(m.ToolCalls, openai.ToolCall{ID: b.ID, Type: "function", CacheControl: b.CacheControl,
				Function: openai.FunctionCall{Name: b.Name, Arguments: args}})
		case "thinking":
			m.ReasoningDetails = append(m.ReasoningDetails, openai.ReasoningDetail{Type: openai.ReasoningText, Text: b.Thinking, Signature: b.Signature, Format: openai.ReasoningFormat, Index: len(m.ReasoningDetails)})
		case "redacted_thinking":
			m.ReasoningDetails = append(m.ReasoningDetails, openai.ReasoningDetail{Type: openai.ReasoningEncrypted, Data: b.Data, Format: openai.ReasoningFormat, Index: len(m.ReasoningDetails)})
		default:
			return m, openai.InvalidRequest(fmt.Sprintf("%s.content[%d]: content block type %q is not supported in an assistant turn on this tier", where, j, b.Type), "unsupported_content")
		}
	}
	if len(texts) > 0 {
		m.Content = openai.Content{Parts: []openai.ContentPart{{Type: "text", Text: text(strings.Join(texts, "\n"))}}, IsString: true}
	}
	return m, nil
}

// ClassifyView is the request as the auto classifier reads it: roles,
// text, tool calls' arguments and the declared tools. Unlike ToChat it
// never fails: a block it has no place for only goes unread.
func ClassifyView(req *Request) *openai.ChatRequest {
	out := &openai.ChatRequest{Model: req.Model}
	if t := req.System.Text(); t != "" {
		out.Messages = append(out.Messages, openai.Message{Role: "system", Content: openai.Content{Parts: []openai.ContentPart{{Type: "text", Text: text(t)}}, IsString: true}})
	}
	for _, m := range req.Messages {
		om := openai.Message{Role: m.Role}
		var texts []string
		for _, b := range m.Content {
			switch b.Type {
			case "text":
				texts = append(texts, b.Text)
			case "tool_result":
				texts = append(texts, b.Content.Text())
			case "tool_use":
				om.ToolCalls = append(om.ToolCalls, openai.ToolCall{ID: b.ID, Function: openai.FunctionCall{Name: b.Name, Arguments: b.Input}})
			}
		}
		om.Content = openai.Content{Parts: []openai.ContentPart{{Type: "text", Text: text(strings.Join(texts, "\n"))}}, IsString: true}
		out.Messages = append(out.Messages, om)
	}
	for _, t := range req.Tools {
		out.Tools = append(out.Tools, openai.Tool{Type: "function", Function: openai.ToolFunction{Name: t.Name}})
	}
	return out
}

// EstimateTokens guesses a request's input tokens where no tokenizer can
// count them: about four characters a token, over the text of the system
// prompt, messages, tool calls and results, and tool declarations, plus
// a little for each message.
func EstimateTokens(req *Request) int {
	chars := utf8.RuneCountInString(req.System.Text())
	var count func(c Content)
	count = func(c Content) {
		for _, b := range c {
			chars += utf8.RuneCountInString(b.Text) + utf8.RuneCountInString(b.Thinking) + len(b.Input) + 4
			count(b.Content)
		}
	}
	for _, m := range req.Messages {
		count(m.Content)
	}
	for _, t := range req.Tools {
		chars += len(t.Name) + utf8.RuneCountInString(t.Description) + len(t.InputSchema)
	}
	return chars/4 + 1
}
