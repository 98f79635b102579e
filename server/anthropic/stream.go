package anthropic

import (
	"encoding/json"
	"net/http"

	"github.com/llmstack/llmstack/server/openai"
)

// Events writes an Anthropic stream: "event: <type>\ndata: <json>\n\n"
// per event, each flushed as soon as it is written.
type Events struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
	err error
}

// NewEvents prepares a stream on w; Begin sends the headers.
func NewEvents(w http.ResponseWriter) *Events {
	return &Events{w: w, rc: http.NewResponseController(w)}
}

// Begin sends the event-stream headers with status 200.
func (e *Events) Begin() error {
	h := e.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	e.w.WriteHeader(http.StatusOK)
	return e.flush()
}

// Raw sends one event whose data is already JSON.
func (e *Events) Raw(typ string, data []byte) error {
	if e.err != nil {
		return e.err
	}
	e.buf = append(e.buf[:0], "event: "...)
	e.buf = append(e.buf, typ...)
	e.buf = append(e.buf, "\ndata: "...)
	e.buf = append(e.buf, data...)
	e.buf = append(e.buf, "\n\n"...)
	if _, e.err = e.w.Write(e.buf); e.err != nil {
		return e.err
	}
	return e.flush()
}

// Send sends one event, v marshalled as its data.
func (e *Events) Send(typ string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.Raw(typ, data)
}

// Fail ends the stream with an error event: never a clean message_stop,
// so no client takes a broken answer for a whole one.
func (e *Events) Fail(oe *openai.Error) error { return e.Send("error", FromOpenAI(oe)) }

// Err is the first write error (the client went away), if any.
func (e *Events) Err() error { return e.err }

func (e *Events) flush() error {
	if e.err == nil {
		e.err = e.rc.Flush()
	}
	return e.err
}
