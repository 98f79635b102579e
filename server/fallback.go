package server

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/tiers"
)

// An attempt serves a request with one tier, writing to w.
type attempt func(w http.ResponseWriter, tier *tiers.Tier) bedrock.Outcome

// serveBedrock answers a request for a bedrock tier with serve, and, when
// the tier's model throttles, is unavailable or times out before anything
// reached the client, with each of the tier's fallbacks in turn (those
// over their daily budget left out). The route header and the log line
// name the fallbacks taken; the answer is the first attempt's that did not
// fail that way, or the last attempt's failure.
func (s *Server) serveBedrock(w http.ResponseWriter, r *http.Request, start time.Time, cfg *tiers.Config, tier *tiers.Tier, model, reason string, stream bool, serve attempt) {
	route := tier.Name + "; reason=" + reason
	chain := []*tiers.Tier{tier}
	if fallbacks := cfg.FallbackChain(tier); len(fallbacks) > 0 {
		now := s.now()
		for _, f := range fallbacks {
			if s.overBudget(f, now) != nil {
				s.log.Info("fallback left out: over its daily budget", "tier", tier.Name, "fallback", f.Name)
				continue
			}
			chain = append(chain, f)
		}
	}
	if len(chain) == 1 {
		w.Header().Set(RouteHeader, route)
		s.bedrockDone(w, r, start, tier, model, reason, stream, serve(w, tier))
		return
	}

	base := w.Header().Clone()
	var taken []string // "code-fast after ThrottlingException", in order
	for i, t := range chain {
		last := i == len(chain)-1
		aw := &attemptWriter{w: w, header: base.Clone(), hold: !last}
		aw.header.Set(RouteHeader, route+fallbackRoute(taken))
		began := time.Now()
		out := serve(aw, t)
		if cause := fallbackCause(out); !last && aw.held != 0 && cause != "" {
			// This tier's model failed; the request is not lost, but the
			// tier's health should show it.
			s.stats.record(t.Name, out.Status, out.Err, time.Since(began), out.Usage)
			step := chain[i+1].Name + " after " + cause
			taken = append(taken, step)
			s.stats.fellBack(t.Name, step)
			s.log.Info("falling back", "tier", t.Name, "fallback", chain[i+1].Name, "error", out.Err.Message)
			continue
		}
		aw.release()
		attrs := []any{}
		if len(taken) > 0 {
			attrs = append(attrs, "fallback_from", tier.Name, "fallback", strings.Join(taken, "; "))
		}
		s.bedrockDone(aw, r, start, t, model, reason, stream, out, attrs...)
		return
	}
}

// fallbackRoute is what the route header adds for the fallbacks taken.
func fallbackRoute(taken []string) string {
	var b strings.Builder
	for _, step := range taken {
		b.WriteString("; fallback=" + step)
	}
	return b.String()
}

// fallbackCause names why an attempt's failure is worth a fallback — the
// model throttled (429), was unavailable or overloaded (503) or timed out
// (408) — or is "" when it is not: the request itself is at fault, the
// client has gone, or the router is shutting down.
func fallbackCause(out bedrock.Outcome) string {
	e := out.Err
	if e == nil || out.ClientGone || e.Code == "shutting_down" {
		return ""
	}
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusRequestTimeout:
	default:
		return ""
	}
	if e.Code != "" {
		return e.Code
	}
	return http.StatusText(e.Status)
}

// attemptWriter is the client's response writer for one attempt. The
// attempt's headers are its own until it commits, so a failed attempt's
// (its repairs, say) never reach the client. When hold is set, a
// failure's status that a fallback could answer instead (fallbackStatus)
// is held back with its body: the client has seen nothing yet, and
// release sends it if no fallback follows. Any other status, and any
// byte of a stream, commits: from then on the answer is this attempt's.
type attemptWriter struct {
	w      http.ResponseWriter
	header http.Header
	hold   bool

	held      int // status held back; 0 if none
	body      bytes.Buffer
	committed bool
}

func (a *attemptWriter) Header() http.Header { return a.header }

func (a *attemptWriter) WriteHeader(code int) {
	if a.committed || a.held != 0 {
		return
	}
	if a.hold && fallbackStatus(code) {
		a.held = code
		return
	}
	a.commit(code)
}

func (a *attemptWriter) commit(code int) {
	a.committed = true
	h := a.w.Header()
	for k := range h {
		delete(h, k)
	}
	for k, v := range a.header {
		h[k] = v
	}
	a.w.WriteHeader(code)
}

func (a *attemptWriter) Write(p []byte) (int, error) {
	if !a.committed && a.held == 0 {
		a.WriteHeader(http.StatusOK)
	}
	if a.held != 0 {
		return a.body.Write(p)
	}
	return a.w.Write(p)
}

// FlushError flushes a committed answer; a held one has nothing to flush.
func (a *attemptWriter) FlushError() error {
	if !a.committed {
		return nil
	}
	return http.NewResponseController(a.w).Flush()
}

// Flush is FlushError for callers that take an http.Flusher.
func (a *attemptWriter) Flush() { _ = a.FlushError() }

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (a *attemptWriter) Unwrap() http.ResponseWriter { return a.w }

// release sends a held failure: no fallback is to answer instead.
func (a *attemptWriter) release() {
	if a.held == 0 || a.committed {
		return
	}
	code := a.held
	a.held = 0
	a.commit(code)
	_, _ = a.w.Write(a.body.Bytes())
}

// fallbackStatus reports whether a failure with this status may be
// answered by a fallback instead.
func fallbackStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable || code == http.StatusRequestTimeout
}
