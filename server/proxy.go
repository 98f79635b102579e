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
	"syscall"
	"time"

	"github.com/llmstack/llmstack/server/anthropic"
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

// llamaSwapHeaderTimeout bounds how long llama-swap may take to start its
// answer. It is generous: llama-swap may load a model first, and a
// non-streaming answer starts only once it is complete. Tests lower it.
var llamaSwapHeaderTimeout = 30 * time.Minute

// llamaSwapDialTimeout bounds connecting to llama-swap, which is local.
const llamaSwapDialTimeout = 5 * time.Second

type targetKey struct{}

// anthropicErrorsKey marks a request of the Anthropic routes, whose
// failures are Anthropic error objects.
type anthropicErrorsKey struct{}

// upstreamReadKey holds the request's *upstreamRead.
type upstreamReadKey struct{}

// upstreamRead keeps the first error reading llama-swap's answer, so a
// stream that breaks off can be told from a client that left.
type upstreamRead struct {
	err error
}

// watchedBody is llama-swap's response body, reporting its read errors
// to an upstreamRead.
type watchedBody struct {
	io.ReadCloser
	up *upstreamRead
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.up.err == nil {
		b.up.err = err
	}
	return n, err
}

func newLlamaSwapProxy(log *slog.Logger) *llamaSwapProxy {
	transport := &http.Transport{
		Proxy:                 nil, // llama-swap is local; never via a proxy
		DialContext:           (&net.Dialer{Timeout: llamaSwapDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: llamaSwapHeaderTimeout,
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
		ModifyResponse: func(resp *http.Response) error {
			if up, ok := resp.Request.Context().Value(upstreamReadKey{}).(*upstreamRead); ok {
				resp.Body = &watchedBody{ReadCloser: resp.Body, up: up}
			}
			return nil
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
				return // the client left; nobody to tell
			}
			target := r.Context().Value(targetKey{}).(*url.URL)
			if answerRoot(w, r, target, err) {
				return
			}
			writeError := openai.WriteError
			if r.Context().Value(anthropicErrorsKey{}) != nil {
				writeError = anthropic.WriteError
			}
			writeError(w, llamaSwapError(target, err))
		},
	}
	return p
}

// llamaSwapError is what a client is told when llama-swap did not answer:
// the cause in plain words (a bare transport error can read "EOF"), and a
// 504 when it took too long.
func llamaSwapError(target *url.URL, err error) *openai.Error {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		msg := fmt.Sprintf("llama-swap at %s did not start its answer within %s (loading a model that takes longer? a stuck model?)", target, llamaSwapHeaderTimeout)
		if op := (*net.OpError)(nil); errors.As(err, &op) && op.Op == "dial" {
			msg = fmt.Sprintf("llama-swap at %s did not accept the connection within %s (is it running? set llama_swap_url in models.ini or LLAMA_SWAP_URL)", target, llamaSwapDialTimeout)
		}
		return &openai.Error{Status: http.StatusGatewayTimeout, Message: msg, Type: openai.TypeTimeout, Code: "llama_swap_timeout"}
	}
	cause := err.Error()
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		cause = "it closed the connection without answering"
	case errors.Is(err, syscall.ECONNREFUSED):
		cause = "connection refused"
	}
	return &openai.Error{
		Status:  http.StatusBadGateway,
		Message: fmt.Sprintf("llama-swap at %s did not answer (is it running? set llama_swap_url in models.ini or LLAMA_SWAP_URL): %s", target, cause),
		Type:    openai.TypeUpstream,
		Code:    "llama_swap_unreachable",
	}
}

// forward proxies r to llama-swap, logs it and records the outcome under
// the tier (if any), also when the answer breaks off mid-stream.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, start time.Time, cfg *tiers.Config, tier *tiers.Tier, model string) {
	target, err := url.Parse(cfg.LlamaSwapURL)
	if err != nil {
		openai.WriteError(w, &openai.Error{Status: http.StatusInternalServerError, Message: "llama_swap_url: " + err.Error(), Type: openai.TypeServer, Code: "bad_config"})
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	up := &upstreamRead{}
	ctx := context.WithValue(r.Context(), targetKey{}, target)
	r = r.WithContext(context.WithValue(ctx, upstreamReadKey{}, up))
	defer func() {
		// Once the answer has begun, ReverseProxy reports a failed copy
		// only by aborting the handler (and its ErrorHandler is not
		// called): the request is logged and counted here, and the
		// abort goes on so the client cannot take a cut stream for a
		// whole one.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				s.logForward(r, start, tier, model, sw.status, brokenStream(r, sw, up))
			}
			panic(v)
		}
	}()
	s.proxy.rp.ServeHTTP(sw, r)
	failure := ""
	if sw.status == 0 {
		failure = clientGone
	}
	s.logForward(r, start, tier, model, sw.status, failure)
}

// clientGone is what the log and stats say of a request whose client
// closed the connection before the answer was complete.
const clientGone = "client went away"

// brokenStream says why a proxied answer broke off after it began.
func brokenStream(r *http.Request, sw *statusWriter, up *upstreamRead) string {
	switch {
	case sw.writeErr != nil || r.Context().Err() != nil:
		return clientGone
	case up.err != nil:
		return fmt.Sprintf("llama-swap closed the stream before the answer was complete (%v)", up.err)
	default:
		return "the answer from llama-swap broke off"
	}
}

// logForward writes the log line of a proxied request and counts it under
// its tier. failure is why it did not complete ("" when it did); status is
// what the client was sent (0: nothing).
func (s *Server) logForward(r *http.Request, start time.Time, tier *tiers.Tier, model string, status int, failure string) {
	elapsed := time.Since(start)
	if status == 0 {
		status = 499
	}
	upstream := "llama-swap"
	ra, _ := r.Context().Value(rootKey{}).(*rootAnswer)
	if ra != nil && ra.llamaSwapError != "" {
		upstream = "llmstack" // root answered for a llama-swap that did not
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "model", model, "upstream", upstream, "status", status, "dur", elapsed.Round(time.Microsecond)}
	if tier != nil {
		var e *openai.Error
		switch {
		case failure == clientGone:
			// The client's choice, not the tier's fault: counted, not an error.
		case failure != "":
			e = &openai.Error{Status: http.StatusBadGateway, Message: failure}
		case status >= 400:
			e = &openai.Error{Status: status, Message: fmt.Sprintf("llama-swap answered %d", status)}
		}
		s.stats.record(tier.Name, status, e, elapsed, nil)
		attrs = append(attrs, "tier", tier.Name)
	}
	switch {
	case failure == "":
		s.log.Info("request", attrs...)
	case failure == clientGone:
		s.log.Info("request", append(attrs, "error", failure)...)
	default:
		s.log.Warn("request", append(attrs, "error", failure)...)
	}
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

// statusWriter remembers the status of a proxied response, and whether
// writing it to the client failed.
type statusWriter struct {
	http.ResponseWriter
	status   int
	writeErr error
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
	n, err := w.ResponseWriter.Write(b)
	if err != nil && w.writeErr == nil {
		w.writeErr = err
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection to flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
