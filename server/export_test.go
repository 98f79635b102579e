package server

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server/openai"
)

// SetBodyReadBounds lowers how long a request body may take, for one
// test; the bounds are restored when it ends.
func SetBodyReadBounds(t testing.TB, grace time.Duration, minRate int64) {
	oldGrace, oldRate := bodyReadGrace, bodyMinRate
	bodyReadGrace, bodyMinRate = grace, minRate
	t.Cleanup(func() { bodyReadGrace, bodyMinRate = oldGrace, oldRate })
}

// CountFullDecodes counts, for one test, the request bodies the router
// decodes whole.
func CountFullDecodes(t testing.TB) *atomic.Int64 {
	var n atomic.Int64
	old := decodeRequest
	decodeRequest = func(body []byte, ep openai.Endpoint) (*openai.ChatRequest, *openai.Error) {
		n.Add(1)
		return old(body, ep)
	}
	t.Cleanup(func() { decodeRequest = old })
	return &n
}

// SetLlamaSwapHeaderTimeout lowers how long llama-swap may take to start
// its answer, for servers made during one test.
func SetLlamaSwapHeaderTimeout(t testing.TB, d time.Duration) {
	old := llamaSwapHeaderTimeout
	llamaSwapHeaderTimeout = d
	t.Cleanup(func() { llamaSwapHeaderTimeout = old })
}

// FlushUsage saves the usage not yet saved, as a shutdown does.
func (s *Server) FlushUsage() { s.usage.flush() }
