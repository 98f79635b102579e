package server

import (
	"sync"
	"time"

	"github.com/llmstack/llmstack/server/openai"
)

// TierStats counts what a tier has served since the router started.
type TierStats struct {
	Requests    int64
	Errors      int64
	LastLatency time.Duration
	// LastStatus is the last request's HTTP status or, for a stream that
	// failed after it started, its error's.
	LastStatus  int
	LastError   string
	LastErrorAt time.Time
	// FailuresInARow counts the failed requests since the last one that
	// succeeded (a client that went away counts as neither).
	FailuresInARow int64
	// Token totals as Bedrock counted them; CachedTokens of the
	// PromptTokens were read from the prompt cache.
	PromptTokens     int64
	CachedTokens     int64
	CompletionTokens int64
	// FallbacksTaken counts the requests this tier handed to a fallback
	// because its model throttled, was unavailable or timed out;
	// LastFallback says the last one: "code-fast after ThrottlingException".
	FallbacksTaken int64
	LastFallback   string
}

type tierStats struct {
	mu sync.Mutex
	m  map[string]*TierStats
}

func (t *tierStats) entry(tier string) *TierStats {
	if t.m == nil {
		t.m = map[string]*TierStats{}
	}
	st := t.m[tier]
	if st == nil {
		st = &TierStats{}
		t.m[tier] = st
	}
	return st
}

// fellBack counts a request the tier handed to a fallback.
func (t *tierStats) fellBack(tier, what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.entry(tier)
	st.FallbacksTaken++
	st.LastFallback = what
}

func (t *tierStats) record(tier string, status int, err *openai.Error, latency time.Duration, usage *openai.Usage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.entry(tier)
	st.Requests++
	st.LastLatency = latency
	if usage != nil {
		st.PromptTokens += int64(usage.PromptTokens)
		st.CompletionTokens += int64(usage.CompletionTokens)
		if d := usage.PromptTokensDetails; d != nil {
			st.CachedTokens += int64(d.CachedTokens)
		}
	}
	st.LastStatus = status
	if err != nil && status < 400 {
		// A stream that failed after its 200 went out failed all the
		// same: it counts as its error's status, for the tier's health.
		st.LastStatus = err.Status
	}
	switch {
	case err == nil && st.LastStatus < 400:
		st.FailuresInARow = 0
	case err == nil || err.Status != 499:
		st.FailuresInARow++
	}
	if err != nil && err.Status != 499 {
		st.Errors++
		st.LastError = err.Message
		st.LastErrorAt = time.Now()
	}
}

func (t *tierStats) get(tier string) TierStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st := t.m[tier]; st != nil {
		return *st
	}
	return TierStats{}
}
