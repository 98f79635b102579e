package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// rootKey holds the *rootAnswer of a GET or HEAD of `/`.
type rootKey struct{}

// rootAnswer records that the router answered `/` itself, and why.
type rootAnswer struct {
	version        string
	llamaSwapError string // "" while llama-swap answers
}

// root hands `/` to llama-swap, whose `/` leads to its web UI (/ui), and
// answers it itself when llama-swap does not: clients look at the base
// URL first (Claude Code sends HEAD /), and a 502 there reads as a broken
// router on a machine that runs no local models.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	s.passThrough(w, r.WithContext(context.WithValue(r.Context(), rootKey{}, &rootAnswer{version: s.version})))
}

// answerRoot writes the router's own `/` for a request root marked, when
// llama-swap at target failed with err, and reports whether it did.
func answerRoot(w http.ResponseWriter, r *http.Request, target *url.URL, err error) bool {
	ra, ok := r.Context().Value(rootKey{}).(*rootAnswer)
	if !ok {
		return false
	}
	ra.llamaSwapError = llamaSwapError(target, err).Message
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "llmstack %s: AWS Bedrock and local llama-swap models behind one endpoint.\n\n", ra.version)
	io.WriteString(w, `POST /v1/chat/completions, POST /v1/completions    OpenAI-compatible; model: a tier, an alias or auto
POST /v1/messages, POST /v1/messages/count_tokens  Anthropic's Messages API (Claude Code)
GET /v1/models                                     auto, the tiers and llama-swap's models
GET /health                                        the router, its tiers and llama-swap

Every other path goes to llama-swap, which is down: `+ra.llamaSwapError+"\n")
	return true
}
