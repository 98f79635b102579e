package bedrock

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/openai"
)

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Flush()                      {}

// BenchmarkRelayText is the router's per-chunk cost of a stream: one
// Bedrock text delta relayed as an OpenAI chunk. `go test -run '^$'
// -bench Relay -benchmem ./server/bedrock`.
func BenchmarkRelayText(b *testing.B) {
	benchmarkRelay(b, evText(0, "fmt.Println(\"hello\")\n\tif err != nil {"))
}

// BenchmarkRelayToolInput relays a fragment of a tool call's arguments.
func BenchmarkRelayToolInput(b *testing.B) {
	benchmarkRelay(b, evToolInput(1, `{"cmd":"go test ./...","timeout":`))
}

func benchmarkRelay(b *testing.B, ev types.ConverseStreamOutput) {
	stream := openai.NewStream(&discardWriter{h: http.Header{}}, openai.ChatCompletions, "chatcmpl-0123456789", 1700000000, "code-smart")
	rl := newRelay(stream)
	if err := stream.Begin(); err != nil {
		b.Fatal(err)
	}
	for _, start := range []types.ConverseStreamOutput{evMessageStart(), evToolStart(1, "tooluse_1", "bash")} {
		if err := rl.event(start); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rl.event(ev); err != nil {
			b.Fatal(err)
		}
	}
}
