package openai

import (
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Stream writes a streaming response as server-sent events: one
// chat.completion.chunk (or text_completion) object per event, each flushed
// to the client as soon as it is written. Chunks are assembled by hand from
// a precomputed head because this is the per-token hot path.
type Stream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	text bool   // text_completion chunks instead of chat.completion.chunk
	head []byte // `data: {"id":…,"model":…,"choices":[`
	buf  []byte
	err  error
}

// NewStream prepares a stream for the given endpoint; nothing is written
// until the first event.
func NewStream(w http.ResponseWriter, ep Endpoint, id string, created int64, model string) *Stream {
	object := "chat.completion.chunk"
	if ep == Completions {
		object = "text_completion"
	}
	head := make([]byte, 0, 128+len(id)+len(model))
	head = append(head, `data: {"id":`...)
	head = appendString(head, id)
	head = append(head, `,"object":"`...)
	head = append(head, object...)
	head = append(head, `","created":`...)
	head = strconv.AppendInt(head, created, 10)
	head = append(head, `,"model":`...)
	head = appendString(head, model)
	head = append(head, `,"choices":[`...)
	return &Stream{w: w, rc: http.NewResponseController(w), text: ep == Completions, head: head, buf: make([]byte, 0, 512)}
}

// Begin sends the event-stream headers and, for chat, the first delta
// announcing the assistant role.
func (s *Stream) Begin() error {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	if s.text {
		return s.flush()
	}
	return s.delta(`{"role":"assistant"}`)
}

// Content sends a text delta.
func (s *Stream) Content(text string) error {
	if text == "" {
		return s.err
	}
	if s.text {
		s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"text":`...)
		s.buf = appendString(s.buf, text)
		s.buf = append(s.buf, `,"logprobs":null,"finish_reason":null}]}`...)
		return s.send()
	}
	s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"delta":{"content":`...)
	s.buf = appendString(s.buf, text)
	s.buf = append(s.buf, `},"finish_reason":null}]}`...)
	return s.send()
}

// Reasoning sends a reasoning_content delta (chat only).
func (s *Stream) Reasoning(text string) error {
	if text == "" || s.text {
		return s.err
	}
	s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"delta":{"reasoning_content":`...)
	s.buf = appendString(s.buf, text)
	s.buf = append(s.buf, `},"finish_reason":null}]}`...)
	return s.send()
}

// ReasoningDetail sends one piece of a thinking block as a
// reasoning_details delta (OpenRouter's shape; pieces with the same index
// make one block), with its text also as reasoning_content for clients
// that read only that (chat only).
func (s *Stream) ReasoningDetail(d ReasoningDetail) error {
	if s.text || (d.Text == "" && d.Signature == "" && d.Data == "") {
		return s.err
	}
	s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"delta":{`...)
	if d.Text != "" {
		s.buf = append(s.buf, `"reasoning_content":`...)
		s.buf = appendString(s.buf, d.Text)
		s.buf = append(s.buf, ',')
	}
	s.buf = append(s.buf, `"reasoning_details":[{"type":`...)
	s.buf = appendString(s.buf, d.Type)
	for _, f := range []struct{ key, value string }{{"text", d.Text}, {"signature", d.Signature}, {"data", d.Data}, {"format", d.Format}} {
		if f.value != "" {
			s.buf = append(s.buf, ',', '"')
			s.buf = append(s.buf, f.key...)
			s.buf = append(s.buf, '"', ':')
			s.buf = appendString(s.buf, f.value)
		}
	}
	s.buf = append(s.buf, `,"index":`...)
	s.buf = strconv.AppendInt(s.buf, int64(d.Index), 10)
	s.buf = append(s.buf, `}]},"finish_reason":null}]}`...)
	return s.send()
}

// ToolCallStart announces tool call number index with its id and name and
// empty arguments.
func (s *Stream) ToolCallStart(index int, id, name string) error {
	if s.text {
		return s.err
	}
	s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"delta":{"tool_calls":[{"index":`...)
	s.buf = strconv.AppendInt(s.buf, int64(index), 10)
	s.buf = append(s.buf, `,"id":`...)
	s.buf = appendString(s.buf, id)
	s.buf = append(s.buf, `,"type":"function","function":{"name":`...)
	s.buf = appendString(s.buf, name)
	s.buf = append(s.buf, `,"arguments":""}}]},"finish_reason":null}]}`...)
	return s.send()
}

// ToolCallArguments sends a fragment of tool call number index's JSON
// arguments.
func (s *Stream) ToolCallArguments(index int, fragment string) error {
	if fragment == "" || s.text {
		return s.err
	}
	s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"delta":{"tool_calls":[{"index":`...)
	s.buf = strconv.AppendInt(s.buf, int64(index), 10)
	s.buf = append(s.buf, `,"function":{"arguments":`...)
	s.buf = appendString(s.buf, fragment)
	s.buf = append(s.buf, `}}]},"finish_reason":null}]}`...)
	return s.send()
}

// Finish sends the final chunk with the finish reason.
func (s *Stream) Finish(reason string) error { return s.FinishNative(reason, "") }

// FinishNative sends the final chunk with the finish reason and, when not
// empty, the upstream's own stop reason as native_finish_reason.
func (s *Stream) FinishNative(reason, native string) error {
	s.buf = append(s.buf[:0], s.head...)
	if s.text {
		s.buf = append(s.buf, `{"index":0,"text":"","logprobs":null,"finish_reason":`...)
	} else {
		s.buf = append(s.buf, `{"index":0,"delta":{},"finish_reason":`...)
	}
	s.buf = appendString(s.buf, reason)
	if native != "" {
		s.buf = append(s.buf, `,"native_finish_reason":`...)
		s.buf = appendString(s.buf, native)
	}
	s.buf = append(s.buf, `}]}`...)
	return s.send()
}

// Usage sends the usage chunk (empty choices) that stream_options
// include_usage asks for.
func (s *Stream) Usage(u Usage) error {
	s.buf = append(s.buf[:0], s.head...)
	s.buf = append(s.buf, `],"usage":{"prompt_tokens":`...)
	s.buf = strconv.AppendInt(s.buf, int64(u.PromptTokens), 10)
	s.buf = append(s.buf, `,"completion_tokens":`...)
	s.buf = strconv.AppendInt(s.buf, int64(u.CompletionTokens), 10)
	s.buf = append(s.buf, `,"total_tokens":`...)
	s.buf = strconv.AppendInt(s.buf, int64(u.TotalTokens), 10)
	if d := u.PromptTokensDetails; d != nil {
		s.buf = append(s.buf, `,"prompt_tokens_details":{"cached_tokens":`...)
		s.buf = strconv.AppendInt(s.buf, int64(d.CachedTokens), 10)
		if d.CacheWriteTokens != 0 { // omitempty, as in a JSON answer
			s.buf = append(s.buf, `,"cache_write_tokens":`...)
			s.buf = strconv.AppendInt(s.buf, int64(d.CacheWriteTokens), 10)
		}
		s.buf = append(s.buf, '}')
	}
	s.buf = append(s.buf, `}}`...)
	return s.send()
}

// Fail ends the stream after an upstream failure: a chunk whose
// finish_reason is "error" and which carries the error object, and no
// [DONE], so no client mistakes a broken answer for a complete one.
func (s *Stream) Fail(e *Error) error {
	body, _ := json.Marshal(e)
	s.buf = append(s.buf[:0], s.head...)
	if s.text {
		s.buf = append(s.buf, `{"index":0,"text":"","logprobs":null,"finish_reason":"error"}],"error":`...)
	} else {
		s.buf = append(s.buf, `{"index":0,"delta":{},"finish_reason":"error"}],"error":`...)
	}
	s.buf = append(s.buf, body...)
	s.buf = append(s.buf, '}')
	return s.send()
}

// Done sends the closing "data: [DONE]" event.
func (s *Stream) Done() error {
	if s.err != nil {
		return s.err
	}
	if _, s.err = s.w.Write([]byte("data: [DONE]\n\n")); s.err != nil {
		return s.err
	}
	return s.flush()
}

// Err is the first write error (the client went away), if any.
func (s *Stream) Err() error { return s.err }

func (s *Stream) delta(delta string) error {
	s.buf = append(append(s.buf[:0], s.head...), `{"index":0,"delta":`...)
	s.buf = append(s.buf, delta...)
	s.buf = append(s.buf, `,"finish_reason":null}]}`...)
	return s.send()
}

func (s *Stream) send() error {
	if s.err != nil {
		return s.err
	}
	s.buf = append(s.buf, "\n\n"...)
	if _, s.err = s.w.Write(s.buf); s.err != nil {
		return s.err
	}
	return s.flush()
}

func (s *Stream) flush() error {
	if s.err == nil {
		s.err = s.rc.Flush()
	}
	return s.err
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid JSON, but not valid JavaScript in older parsers.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
