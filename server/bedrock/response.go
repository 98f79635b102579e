package bedrock

import (
	"encoding/base64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/openai"
)

// FinishReason maps a Converse stop reason to OpenAI's finish_reason.
func FinishReason(r types.StopReason) string {
	switch r {
	case types.StopReasonMaxTokens, types.StopReasonModelContextWindowExceeded:
		return "length"
	case types.StopReasonToolUse:
		return "tool_calls"
	case types.StopReasonGuardrailIntervened, types.StopReasonContentFiltered:
		return "content_filter"
	}
	return "stop" // end_turn, stop_sequence and anything new
}

// Answer is the part of a Converse response an OpenAI response is made of.
type Answer struct {
	Text      string
	Reasoning string
	// Thinking holds the reasoning blocks as Bedrock sent them, with their
	// signatures, for reasoning_details and the thinking memory.
	Thinking  []ReasoningContent
	ToolCalls []openai.ResponseToolCall
	Finish    string
	// Native is Bedrock's own stop reason (end_turn, stop_sequence…).
	Native string
	Usage  openai.Usage
}

// AnswerFrom reads text, reasoning, tool calls, stop reason and usage out of
// a Converse response.
func AnswerFrom(out *bedrockruntime.ConverseOutput) Answer {
	var a Answer
	var text, reasoning strings.Builder
	if msg, ok := out.Output.(*types.ConverseOutputMemberMessage); ok {
		for _, b := range msg.Value.Content {
			switch b := b.(type) {
			case *types.ContentBlockMemberText:
				text.WriteString(b.Value)
			case *types.ContentBlockMemberReasoningContent:
				switch r := b.Value.(type) {
				case *types.ReasoningContentBlockMemberReasoningText:
					reasoning.WriteString(deref(r.Value.Text))
					a.Thinking = append(a.Thinking, ReasoningContent{ReasoningText: &ReasoningText{Text: deref(r.Value.Text), Signature: deref(r.Value.Signature)}})
				case *types.ReasoningContentBlockMemberRedactedContent:
					a.Thinking = append(a.Thinking, ReasoningContent{RedactedContent: r.Value})
				}
			case *types.ContentBlockMemberToolUse:
				args := "{}"
				if b.Value.Input != nil {
					if raw, err := b.Value.Input.MarshalSmithyDocument(); err == nil && len(raw) > 0 && string(raw) != "null" {
						args = string(raw)
					}
				}
				id := deref(b.Value.ToolUseId)
				if id == "" {
					id = openai.NewToolCallID()
				}
				a.ToolCalls = append(a.ToolCalls, openai.ResponseToolCall{
					ID:       id,
					Type:     "function",
					Function: openai.ResponseFunction{Name: deref(b.Value.Name), Arguments: args},
				})
			}
		}
	}
	a.Text, a.Reasoning = text.String(), reasoning.String()
	a.Finish = FinishReason(out.StopReason)
	a.Native = string(out.StopReason)
	a.Usage = usage(out.Usage)
	return a
}

// ChatCompletion renders the answer as a chat.completion. Content is null
// when the turn is only tool calls.
func (a Answer) ChatCompletion(id string, created int64, model string) openai.ChatCompletion {
	msg := openai.ResponseMessage{Role: "assistant", ReasoningContent: a.Reasoning, ReasoningDetails: reasoningDetails(a.Thinking), ToolCalls: a.ToolCalls}
	if a.Text != "" || len(a.ToolCalls) == 0 {
		text := a.Text
		msg.Content = &text
	}
	return openai.ChatCompletion{
		ID:      id,
		Object:  "chat.completion",
		Created: created,
		Model:   model,
		Choices: []openai.ChatChoice{{Index: 0, Message: msg, FinishReason: a.Finish, NativeFinishReason: a.Native}},
		Usage:   a.Usage,
	}
}

// reasoningDetails renders thinking blocks as OpenRouter's
// reasoning_details, which clients that keep them send back as they are.
func reasoningDetails(blocks []ReasoningContent) []openai.ReasoningDetail {
	var out []openai.ReasoningDetail
	for i, b := range blocks {
		out = append(out, reasoningDetail(i, b))
	}
	return out
}

func reasoningDetail(index int, b ReasoningContent) openai.ReasoningDetail {
	if b.ReasoningText == nil {
		return openai.ReasoningDetail{Type: openai.ReasoningEncrypted, Data: base64.StdEncoding.EncodeToString(b.RedactedContent), Format: openai.ReasoningFormat, Index: index}
	}
	return openai.ReasoningDetail{Type: openai.ReasoningText, Text: b.ReasoningText.Text, Signature: b.ReasoningText.Signature, Format: openai.ReasoningFormat, Index: index}
}

// memoryKeys are the keys the answer's thinking is remembered under: the
// tool call ids the client got and the text it will send back, in the
// context of the request (ConverseRequest.memoryContext).
func (a Answer) memoryKeys(context string) []string {
	ids := make([]string, len(a.ToolCalls))
	for i, tc := range a.ToolCalls {
		ids[i] = tc.ID
	}
	return answerKeys(context, a.Text, ids)
}

// TextCompletion renders the answer as a text_completion.
func (a Answer) TextCompletion(id string, created int64, model string) openai.TextCompletion {
	return openai.TextCompletion{
		ID:      id,
		Object:  "text_completion",
		Created: created,
		Model:   model,
		Choices: []openai.TextChoice{{Index: 0, Text: a.Text, FinishReason: a.Finish, NativeFinishReason: a.Native}},
		Usage:   a.Usage,
	}
}

func usage(u *types.TokenUsage) openai.Usage {
	if u == nil {
		return openai.Usage{}
	}
	// Bedrock counts the prompt tokens read from and written to the cache
	// apart from inputTokens; OpenAI's prompt_tokens counts them all, and
	// tells those read from the cache in cached_tokens.
	read, write := int(deref(u.CacheReadInputTokens)), int(deref(u.CacheWriteInputTokens))
	out := openai.Usage{
		PromptTokens:     int(deref(u.InputTokens)) + read + write,
		CompletionTokens: int(deref(u.OutputTokens)),
		TotalTokens:      int(deref(u.TotalTokens)),
	}
	if u.CacheReadInputTokens != nil || u.CacheWriteInputTokens != nil {
		d := &openai.PromptTokensDetails{CachedTokens: read, CacheWriteTokens: write}
		for _, c := range u.CacheDetails {
			if c.Ttl == types.CacheTTLOneHour {
				d.CacheWrite1hTokens += int(deref(c.InputTokens))
			}
		}
		out.PromptTokensDetails = d
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
