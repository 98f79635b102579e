package openai

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The hand-written hot paths against what encoding/json would do in their
// place: `go test -run '^$' -bench . -benchmem ./server/openai`.

// discardWriter is a ResponseWriter that keeps nothing, so a benchmark
// measures the chunk assembly alone.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Flush()                      {}

// delta is a typical streamed text delta: a few words with a quote and a
// line break to escape.
const delta = "fmt.Println(\"hello\")\n\tif err != nil {"

// BenchmarkStreamContent is the per-token cost of the SSE writer: one
// chat.completion.chunk assembled and written.
func BenchmarkStreamContent(b *testing.B) {
	s := NewStream(&discardWriter{h: http.Header{}}, ChatCompletions, "chatcmpl-0123456789", 1700000000, "code-smart")
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Content(delta); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamContentEncodingJSON is the same chunk marshalled by
// encoding/json, for comparison.
func BenchmarkStreamContentEncodingJSON(b *testing.B) {
	type chunkDelta struct {
		Content string `json:"content"`
	}
	type choice struct {
		Index        int        `json:"index"`
		Delta        chunkDelta `json:"delta"`
		FinishReason *string    `json:"finish_reason"`
	}
	type chunk struct {
		ID      string   `json:"id"`
		Object  string   `json:"object"`
		Created int64    `json:"created"`
		Model   string   `json:"model"`
		Choices []choice `json:"choices"`
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body, err := json.Marshal(chunk{ID: "chatcmpl-0123456789", Object: "chat.completion.chunk", Created: 1700000000, Model: "code-smart", Choices: []choice{{Delta: chunkDelta{Content: delta}}}})
		if err != nil {
			b.Fatal(err)
		}
		w.Write([]byte("data: "))
		w.Write(body)
		w.Write([]byte("\n\n"))
	}
}

// BenchmarkAppendString is the JSON string encoder of the writer.
func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(delta)))
	for b.Loop() {
		buf = appendString(buf[:0], delta)
	}
}

// BenchmarkAppendStringEncodingJSON is encoding/json's string encoder.
func BenchmarkAppendStringEncodingJSON(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(delta)))
	for b.Loop() {
		if _, err := json.Marshal(delta); err != nil {
			b.Fatal(err)
		}
	}
}

// content is a message body as agents send them: code with escapes.
var content = func() []byte {
	raw, _ := json.Marshal(strings.Repeat("func main() {\n\tfmt.Println(\"hi\")\n}\n", 200))
	return raw
}()

// BenchmarkUnquote is the decoder of message content strings.
func BenchmarkUnquote(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, err := unquote(content); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnquoteEncodingJSON is encoding/json decoding the same string.
func BenchmarkUnquoteEncodingJSON(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		var s string
		if err := json.Unmarshal(content, &s); err != nil {
			b.Fatal(err)
		}
	}
}
