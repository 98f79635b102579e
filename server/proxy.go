package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// llamaSwapProxy hands requests to llama-swap unchanged. The target comes
// from the tier set the request started with, so a reload that moves
// llama-swap takes effect for new requests only.
type llamaSwapProxy struct {
	rp     *httputil.ReverseProxy
	client *http.Client // for the router's own calls (model list, health)
}

type targetKey struct{}

func newLlamaSwapProxy(log *slog.Logger) *llamaSwapProxy {
	transport := &http.Transport{
		Proxy:                 nil, // llama-swap is local; never via a proxy
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	p := &llamaSwapProxy{client: &http.Client{Transport: transport}}
	p.rp = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			target := pr.In.Context().Value(targetKey{}).(*url.URL)
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
				return // the client left; nobody to tell
			}
			target := r.Context().Value(targetKey{}).(*url.URL)
			openai.WriteError(w, &openai.Error{
				Status:  http.StatusBadGateway,
				Message: fmt.Sprintf("llama-swap at %s did not answer (is it running? set llama_swap_url in models.ini or LLAMA_SWAP_URL): %v", target, errors.Unwrap(err)),
				Type:    openai.TypeUpstream,
				Code:    "llama_swap_unreachable",
			})
		},
	}
	return p
}

// forward proxies r to llama-swap and records the outcome under the tier
// (if any).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, start time.Time, cfg *tiers.Config, tier *tiers.Tier, model string) {
	target, err := url.Parse(cfg.LlamaSwapURL)
	if err != nil {
		openai.WriteError(w, &openai.Error{Status: http.StatusInternalServerError, Message: "llama_swap_url: " + err.Error(), Type: openai.TypeServer, Code: "bad_config"})
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), targetKey{}, target))
	s.proxy.rp.ServeHTTP(sw, r)

	elapsed := time.Since(start)
	status := sw.status
	if status == 0 {
		status = 499
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "model", model, "upstream", "llama-swap", "status", status, "dur", elapsed.Round(time.Microsecond)}
	if tier != nil {
		var e *openai.Error
		if status >= 400 {
			e = &openai.Error{Status: status, Message: fmt.Sprintf("llama-swap answered %d", status)}
		}
		s.stats.record(tier.Name, status, e, elapsed, nil)
		attrs = append(attrs, "tier", tier.Name)
	}
	s.log.Info("request", attrs...)
}

// passThrough sends every route the router does not own to llama-swap.
// Bodies are read first and handed over whole, as for chat requests: a
// ReverseProxy that streams the request body can lose the upstream's
// streamed answer on HTTP/1.1 when the upstream answers before it has read
// the body.
func (s *Server) passThrough(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Body != nil && r.Body != http.NoBody {
		body, ok := s.requestBody(w, r, start)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	s.forward(w, r, start, s.cfg.Load(), nil, "")
}

// statusWriter remembers the status of a proxied response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection to flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
