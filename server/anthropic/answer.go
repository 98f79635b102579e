package anthropic

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
)

// MessageAnswer is an Anthropic answer (non-streaming), and the message of a
// stream's message_start.
type MessageAnswer struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	Role         string  `json:"role"`
	Model        string  `json:"model"`
	Content      []Block `json:"content"`
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
	Usage        Usage   `json:"usage"`
}

// Usage counts an answer's tokens the Anthropic way: input_tokens
// excludes the prompt tokens read from or written to the cache.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	// CacheCreation splits CacheCreationInputTokens by TTL, when the
	// answer says (Claude's answers do).
	CacheCreation *CacheCreation `json:"cache_creation,omitempty"`
}

// CacheCreation is the tokens written to the cache with each TTL.
type CacheCreation struct {
	Ephemeral5mInputTokens int `json:"ephemeral_5m_input_tokens"`
	Ephemeral1hInputTokens int `json:"ephemeral_1h_input_tokens"`
}

// OpenAIUsage is u as the router's statistics and prices count tokens:
// prompt tokens include those of the cache, cached tokens are those read
// from it, cache writes are counted apart with their one-hour part (a
// write without a TTL split is a five-minute one, the default).
func (u Usage) OpenAIUsage() openai.Usage {
	prompt := u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
	out := openai.Usage{PromptTokens: prompt, CompletionTokens: u.OutputTokens, TotalTokens: prompt + u.OutputTokens}
	if u.CacheCreationInputTokens != 0 || u.CacheReadInputTokens != 0 {
		d := &openai.PromptTokensDetails{CachedTokens: u.CacheReadInputTokens, CacheWriteTokens: u.CacheCreationInputTokens}
		if c := u.CacheCreation; c != nil {
			d.CacheWrite1hTokens = min(c.Ephemeral1hInputTokens, u.CacheCreationInputTokens)
		}
		out.PromptTokensDetails = d
	}
	return out
}

// usageFrom is the router's usage of a Converse answer as Anthropic
// reports it: the tokens read from and written to the cache apart from
// input_tokens.
func usageFrom(u *openai.Usage) Usage {
	if u == nil {
		return Usage{}
	}
	read, write := 0, 0
	if d := u.PromptTokensDetails; d != nil {
		read, write = d.CachedTokens, d.CacheWriteTokens
	}
	return Usage{InputTokens: max(0, u.PromptTokens-read-write), OutputTokens: u.CompletionTokens, CacheReadInputTokens: read, CacheCreationInputTokens: write}
}

// StopReason is the Anthropic stop_reason of an OpenAI finish_reason,
// Bedrock's own (native) reason first where Anthropic has the same one.
func StopReason(finish, native string) string {
	switch native {
	case "end_turn", "tool_use", "max_tokens", "stop_sequence", "model_context_window_exceeded":
		return native
	}
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

// messageID makes an Anthropic-style id of the router's response id.
func messageID(id string) string {
	if i := strings.IndexByte(id, '-'); i >= 0 {
		id = id[i+1:]
	}
	return "msg_" + id
}

// AnswerWriter is the http.ResponseWriter a Messages request hands to the
// router's OpenAI dispatcher (for tiers served through Converse): what the
// dispatcher writes — a chat.completion, a stream of chunks, an error —
// reaches the client as the Anthropic answer, stream or error, event by
// event as it is written. Call Finish, with the error the dispatcher's
// outcome reports, when it returns.
type AnswerWriter struct {
	w     http.ResponseWriter
	model string

	status int
	body   bytes.Buffer // an answer or error, or the stream's partial event
	ev     *Events

	// Stream state: the block open now, by its type and index, and the
	// reasoning_details index of an open thinking block.
	started   bool
	open      string
	index     int
	thinkIdx  int
	stop      string
	usage     *openai.Usage
	ended     bool
	id        string
	streamErr error
	// failed holds the error a failed stream ended with, until Finish
	// sends it with its status (which the chunk does not carry).
	failed *openai.Error
}

// NewAnswerWriter writes Anthropic answers to w, naming model in them.
func NewAnswerWriter(w http.ResponseWriter, model string) *AnswerWriter {
	return &AnswerWriter{w: w, model: model, index: -1}
}

// Header is the client's response header.
func (a *AnswerWriter) Header() http.Header { return a.w.Header() }

// WriteHeader starts a stream (an event-stream 200) or holds the status of
// a JSON answer until Finish.
func (a *AnswerWriter) WriteHeader(code int) {
	if a.status != 0 {
		return
	}
	a.status = code
	if code == http.StatusOK && strings.HasPrefix(a.w.Header().Get("Content-Type"), "text/event-stream") {
		a.ev = NewEvents(a.w)
		a.streamErr = a.ev.Begin()
	}
}

// Write takes the dispatcher's bytes: a stream's are translated per event.
func (a *AnswerWriter) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.WriteHeader(http.StatusOK)
	}
	a.body.Write(p)
	if a.ev == nil {
		return len(p), nil
	}
	for {
		buf := a.body.Bytes()
		i := bytes.Index(buf, []byte("\n\n"))
		if i < 0 {
			break
		}
		event := string(buf[:i])
		a.body.Next(i + 2)
		for _, line := range strings.Split(event, "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				a.chunk(data)
			}
		}
	}
	if a.streamErr == nil {
		a.streamErr = a.ev.Err()
	}
	return len(p), a.streamErr
}

// FlushError reports the client's write error: events are flushed as
// they are translated.
func (a *AnswerWriter) FlushError() error { return a.streamErr }

// streamChunk is the part of a chat.completion.chunk the translation reads.
type streamChunk struct {
	ID      string `json:"id"`
	Choices []struct {
		Delta struct {
			Content          *string                  `json:"content"`
			ReasoningDetails []openai.ReasoningDetail `json:"reasoning_details"`
			ToolCalls        []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason       *string `json:"finish_reason"`
		NativeFinishReason string  `json:"native_finish_reason"`
	} `json:"choices"`
	Usage *openai.Usage `json:"usage"`
	Error *openai.Error `json:"error"`
}

func (a *AnswerWriter) send(typ string, v any) {
	if a.streamErr == nil {
		a.streamErr = a.ev.Send(typ, v)
	}
}

func (a *AnswerWriter) startBlock(typ string, block any) {
	a.closeBlock()
	a.index++
	a.open = typ
	a.send("content_block_start", map[string]any{"type": "content_block_start", "index": a.index, "content_block": block})
}

func (a *AnswerWriter) delta(d any) {
	a.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": a.index, "delta": d})
}

func (a *AnswerWriter) closeBlock() {
	if a.open == "" {
		return
	}
	a.open = ""
	a.send("content_block_stop", map[string]any{"type": "content_block_stop", "index": a.index})
}

func (a *AnswerWriter) chunk(data string) {
	if a.ended {
		return
	}
	if data == "[DONE]" {
		a.end()
		return
	}
	var c streamChunk
	if json.Unmarshal([]byte(data), &c) != nil {
		return
	}
	if !a.started {
		a.started, a.id = true, messageID(c.ID)
		a.send("message_start", map[string]any{"type": "message_start", "message": MessageAnswer{
			ID: a.id, Type: "message", Role: "assistant", Model: a.model, Content: []Block{},
		}})
	}
	if c.Error != nil {
		a.ended, a.failed = true, c.Error
		return
	}
	if c.Usage != nil {
		a.usage = c.Usage
	}
	for _, ch := range c.Choices {
		for _, d := range ch.Delta.ReasoningDetails {
			switch d.Type {
			case openai.ReasoningEncrypted:
				a.startBlock("redacted_thinking", Block{Type: "redacted_thinking", Data: d.Data})
				a.closeBlock()
			case openai.ReasoningText:
				if a.open != "thinking" || a.thinkIdx != d.Index {
					a.startBlock("thinking", map[string]string{"type": "thinking", "thinking": "", "signature": ""})
					a.thinkIdx = d.Index
				}
				if d.Text != "" {
					a.delta(map[string]string{"type": "thinking_delta", "thinking": d.Text})
				}
				if d.Signature != "" {
					a.delta(map[string]string{"type": "signature_delta", "signature": d.Signature})
				}
			}
		}
		if t := ch.Delta.Content; t != nil && *t != "" {
			if a.open != "text" {
				a.startBlock("text", map[string]string{"type": "text", "text": ""})
			}
			a.delta(map[string]string{"type": "text_delta", "text": *t})
		}
		for _, tc := range ch.Delta.ToolCalls {
			if tc.ID != "" {
				a.startBlock("tool_use", map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Function.Name, "input": map[string]any{}})
			}
			if tc.Function.Arguments != "" && a.open == "tool_use" {
				a.delta(map[string]string{"type": "input_json_delta", "partial_json": tc.Function.Arguments})
			}
		}
		if ch.FinishReason != nil {
			a.closeBlock()
			a.stop = StopReason(*ch.FinishReason, ch.NativeFinishReason)
		}
	}
}

// end sends the closing message_delta (stop reason, usage) and
// message_stop.
func (a *AnswerWriter) end() {
	a.ended = true
	a.closeBlock()
	stop := a.stop
	if stop == "" {
		stop = "end_turn"
	}
	a.send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": usageFrom(a.usage)})
	a.send("message_stop", map[string]string{"type": "message_stop"})
}

// Finish writes a JSON answer or error held until now, or the error event
// of a stream that failed: e, the dispatcher's error with its status (the
// one mapping of the cause), else the error the stream carried.
func (a *AnswerWriter) Finish(e *openai.Error) {
	if a.ev != nil {
		if a.failed != nil && a.streamErr == nil {
			if e == nil {
				e = a.failed
			}
			a.streamErr = a.ev.Fail(e)
		}
		return
	}
	if a.status == 0 {
		return
	}
	raw := a.body.Bytes()
	a.w.Header().Del("Content-Length")
	if a.status >= 400 {
		var e struct {
			Error *openai.Error `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == nil {
			e.Error = &openai.Error{Message: strings.TrimSpace(string(raw))}
		}
		e.Error.Status = a.status
		WriteError(a.w, e.Error)
		return
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal(raw, &cc); err != nil || len(cc.Choices) == 0 {
		WriteError(a.w, &openai.Error{Status: http.StatusBadGateway, Message: "the tier's answer could not be read", Type: openai.TypeUpstream})
		return
	}
	writeJSON(a.w, MessageFromChat(cc, a.model))
}

// MessageFromChat is a chat.completion as an Anthropic message: thinking
// blocks (signed, or redacted), text, then tool_use blocks.
func MessageFromChat(cc openai.ChatCompletion, model string) MessageAnswer {
	ch := cc.Choices[0]
	m := MessageAnswer{ID: messageID(cc.ID), Type: "message", Role: "assistant", Model: model, Content: []Block{}, Usage: usageFrom(&cc.Usage)}
	for _, d := range ch.Message.ReasoningDetails {
		if d.Type == openai.ReasoningEncrypted {
			m.Content = append(m.Content, Block{Type: "redacted_thinking", Data: d.Data})
		} else {
			m.Content = append(m.Content, Block{Type: "thinking", Thinking: d.Text, Signature: d.Signature})
		}
	}
	if t := ch.Message.Content; t != nil && *t != "" {
		m.Content = append(m.Content, Block{Type: "text", Text: *t})
	}
	for _, tc := range ch.Message.ToolCalls {
		input := json.RawMessage(tc.Function.Arguments)
		if !json.Valid(input) {
			input = json.RawMessage(`{}`)
		}
		m.Content = append(m.Content, Block{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: input})
	}
	stop := StopReason(ch.FinishReason, ch.NativeFinishReason)
	m.StopReason = &stop
	return m
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
