// Package server is llmstack's HTTP surface: an OpenAI-compatible router on
// loopback that serves bedrock tiers itself (through package bedrock),
// classifies "auto" requests, and hands everything else to llama-swap.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// MaxBodyBytes bounds a request body; agent conversations are large, but
// not this large.
const MaxBodyBytes = 64 << 20

// A request body must keep arriving: after bodyReadGrace it must have come
// at bodyMinRate bytes a second on average, or the request gets a 408 and
// its connection is closed. Agents upload even large bodies far faster; a
// client that trickles a byte at a time would otherwise hold its
// connection open for good. Variables so tests can lower them.
var (
	bodyReadGrace       = 10 * time.Second
	bodyMinRate   int64 = 64 << 10
)

// RouteHeader tells the client which tier answered and why.
const RouteHeader = "X-LLMStack-Route"

// RepairsHeader tells the client what a bedrock tier changed in its
// request so Bedrock would take it (set by the bedrock dispatcher once the
// request is translated, before the answer starts).
const RepairsHeader = bedrock.RepairsHeader

// Options configure a Server.
type Options struct {
	// UseNext starts the server on the next channel.
	UseNext bool
	// Logger receives one line per request and upstream problems
	// (default: discard).
	Logger *slog.Logger
	// Version is reported by /health.
	Version string
	// ShutdownGrace is how long Serve lets requests in flight finish
	// after its context ends (default DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// UsagePath is the usage file that keeps spend across restarts
	// (DefaultUsagePath for the tray and serve); "" keeps it in memory.
	UsagePath string
	// Clock tells the time for spend and budgets (default time.Now).
	Clock func() time.Time
}

// Server routes OpenAI-compatible requests. Its tier set and channel can be
// swapped while it serves; each request uses the ones it started with.
type Server struct {
	cfg     atomic.Pointer[tiers.Config]
	useNext atomic.Bool
	log     *slog.Logger
	version string
	grace   time.Duration

	bedrock *bedrock.Dispatcher
	proxy   *llamaSwapProxy
	stats   tierStats
	usage   *usageStore
	clock   func() time.Time
	live    liveState
	mux     *http.ServeMux
	// key is router_api_key as the server started with it: changing it
	// takes a restart, like the listen address.
	key routerKey
	// hosts are the Host headers taken besides loopback names.
	hosts atomic.Pointer[hostGuard]

	stopping context.Context
	stop     context.CancelFunc

	// reloadMu orders reloads: the watcher and the tray's Reload may
	// apply one at the same time.
	reloadMu sync.Mutex
	// inflight counts requests being served, for the shutdown message.
	inflight atomic.Int64
}

// New returns a server for cfg.
func New(cfg *tiers.Config, opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log, version: opts.Version, grace: opts.ShutdownGrace, bedrock: bedrock.NewDispatcher()}
	if s.grace <= 0 {
		s.grace = DefaultShutdownGrace
	}
	s.clock = opts.Clock
	if s.clock == nil {
		s.clock = time.Now
	}
	s.usage = openUsage(opts.UsagePath, s.now(), log)
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.bedrock.Stopping = s.stopping
	s.proxy = newLlamaSwapProxy(log)
	s.cfg.Store(cfg)
	s.key = newRouterKey(cfg.RouterAPIKey)
	s.hosts.Store(newHostGuard(cfg.RouterHost, s.key.set))
	s.live.loaded = time.Now()
	s.useNext.Store(opts.UseNext)

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		s.complete(w, r, openai.ChatCompletions)
	})
	s.mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		s.complete(w, r, openai.Completions)
	})
	// The completion routes are the router's whatever the method: any
	// other than POST is answered here, not handed to llama-swap.
	s.mux.HandleFunc("/v1/chat/completions", s.postOnly)
	s.mux.HandleFunc("/v1/completions", s.postOnly)
	// Anthropic's Messages API, for Claude Code (messages.go).
	s.mux.HandleFunc("POST /v1/messages", s.messages)
	s.mux.HandleFunc("POST /v1/messages/count_tokens", s.countTokens)
	s.mux.HandleFunc("/v1/messages", s.messagesPostOnly)
	s.mux.HandleFunc("/v1/messages/count_tokens", s.messagesPostOnly)
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.HandleFunc("GET /{$}", s.root) // and HEAD
	s.mux.HandleFunc("/", s.passThrough)
	return s
}

// ServeHTTP routes one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	defer func() {
		// A bug must cost one request, not the process.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("internal error", "path", r.URL.Path, "panic", fmt.Sprint(v))
			openai.WriteError(w, &openai.Error{Status: http.StatusInternalServerError, Message: "internal error in llmstack; see its log", Type: openai.TypeServer, Code: "internal_error"})
		}
	}()
	if refuseForeign(w, r, s.hosts.Load()) {
		s.log.Warn("refused a request from a web page or foreign host", "method", r.Method, "path", r.URL.Path, "host", r.Host, "origin", r.Header.Get("Origin"))
		return
	}
	if !s.authorize(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// SetConfig swaps in a new tier set. Requests already running finish on the
// old one.
func (s *Server) SetConfig(cfg *tiers.Config) {
	s.cfg.Store(cfg)
	s.setHealth(func(h *liveState) { h.configErr, h.loaded = "", time.Now() })
}

// Config is the tier set new requests use.
func (s *Server) Config() *tiers.Config { return s.cfg.Load() }

// SetUseNext switches every tier that has a next target to it (true) or
// back to its current target (false), for requests that start from now on.
func (s *Server) SetUseNext(on bool) {
	if s.useNext.Swap(on) != on {
		s.log.Info("channel switched", "channel", map[bool]string{false: "current", true: "next"}[on])
		s.notify()
	}
}

// UseNext reports whether the next channel is selected.
func (s *Server) UseNext() bool { return s.useNext.Load() }

func (s *Server) complete(w http.ResponseWriter, r *http.Request, ep openai.Endpoint) {
	start := time.Now()
	cfg, useNext := s.cfg.Load(), s.useNext.Load()

	body, ok := s.requestBody(w, r, start)
	if !ok {
		return
	}

	// Only bedrock tiers and the classifier need the whole request;
	// llama-swap's models go by their name.
	model := peekModel(body)
	var req *openai.ChatRequest
	var decodeErr *openai.Error
	if t := cfg.Lookup(model); model == "" || model == tiers.AutoModel || (t != nil && t.Backend != tiers.BackendGGUF) {
		req, decodeErr = decodeRequest(body, ep)
		if req != nil {
			model = req.Model
		}
	}

	var tier *tiers.Tier
	reason := "explicit"
	switch {
	case model == "" || model == tiers.AutoModel:
		if decodeErr != nil {
			s.reject(w, r, start, decodeErr)
			return
		}
		route := Classify(req, cfg.Routing)
		tier = TierForRole(cfg, route.Role)
		if tier == nil {
			s.reject(w, r, start, &openai.Error{Status: http.StatusNotFound, Message: fmt.Sprintf("model %q: %s defines no tiers", tiers.AutoModel, cfg.Path), Type: openai.TypeNotFound, Code: "model_not_found"})
			return
		}
		reason = route.Reason
		if tier.Role != route.Role {
			reason += fmt.Sprintf("; no %s tier", route.Role)
		}
	default:
		tier = cfg.Lookup(model)
		if tier != nil && tier.Name != model {
			reason = "alias " + model
		}
	}

	if tier == nil || tier.Backend == tiers.BackendGGUF {
		s.toLlamaSwap(w, r, start, cfg, tier, model, reason, body)
		return
	}

	w.Header().Set(RouteHeader, tier.Name+"; reason="+reason)
	if decodeErr != nil {
		s.reject(w, r, start, decodeErr)
		return
	}
	if e := s.budgetRefusal(w, tier); e != nil {
		s.reject(w, r, start, e)
		return
	}
	s.serveBedrock(w, r, start, cfg, tier, model, reason, req.Stream, func(w http.ResponseWriter, t *tiers.Tier) bedrock.Outcome {
		return s.bedrock.Serve(w, r, ep, req, t, useNext)
	})
}

// toLlamaSwap hands a request for llama-swap's model (tier nil: a name no
// tier has) to llama-swap with its body as it came, except that "auto",
// aliases and Claude names become the tier's name.
func (s *Server) toLlamaSwap(w http.ResponseWriter, r *http.Request, start time.Time, cfg *tiers.Config, tier *tiers.Tier, model, reason string, body []byte) {
	route := "llama-swap; reason=unknown model"
	if tier != nil {
		route = tier.Name + "; reason=" + reason
		if model != tier.Name {
			body = rewriteModel(body, tier.Name)
		}
	}
	w.Header().Set(RouteHeader, route)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", fmt.Sprint(len(body)))
	s.forward(w, r, start, cfg, tier, model)
}

// budgetRefusal is the 429 of a tier that has spent its daily budget, with
// Retry-After set on w; nil when the tier may answer. Every route to a
// bedrock tier asks it first.
func (s *Server) budgetRefusal(w http.ResponseWriter, tier *tiers.Tier) *openai.Error {
	now := s.now()
	e := s.overBudget(tier, now)
	if e != nil {
		w.Header().Set("Retry-After", retryAfter(now))
	}
	return e
}

// bedrockDone counts a bedrock tier's answer in the tier's stats and
// writes its log line, with the repairs the tier made (as the response
// header names them).
func (s *Server) bedrockDone(w http.ResponseWriter, r *http.Request, start time.Time, tier *tiers.Tier, model, reason string, stream bool, out bedrock.Outcome, extra ...any) {
	elapsed := time.Since(start)
	s.stats.record(tier.Name, out.Status, out.Err, elapsed, out.Usage)
	s.recordSpend(tier, out.Target.ModelID, out.Usage)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "model", model, "tier", tier.Name, "reason", reason,
		"bedrock_model", out.Target.ModelID, "stream", stream, "status", out.Status, "dur", elapsed.Round(time.Microsecond)}
	if repairs := w.Header().Get(RepairsHeader); repairs != "" {
		attrs = append(attrs, "repairs", repairs)
	}
	attrs = append(attrs, extra...)
	switch {
	case out.ClientGone:
		s.log.Info("request", append(attrs, "error", "client closed the connection")...)
	case out.Err != nil:
		s.log.Warn("request", append(attrs, "error", out.Err.Message)...)
	default:
		s.log.Info("request", attrs...)
	}
}

// postOnly answers a request to a completion route made with a method
// other than POST.
func (s *Server) postOnly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.reject(w, r, time.Now(), &openai.Error{Status: http.StatusMethodNotAllowed, Type: openai.TypeInvalidRequest, Code: "method_not_allowed",
		Message: fmt.Sprintf("%s %s: this route takes POST only", r.Method, r.URL.Path)})
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, start time.Time, e *openai.Error) {
	openai.WriteError(w, e)
	s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", e.Status, "dur", time.Since(start).Round(time.Microsecond), "error", e.Message)
}

// requestBody reads the body for any route. A body over MaxBodyBytes gets a
// 413, one that arrives too slowly a 408 (and its connection is closed); a
// client that goes away mid-body is logged (499) and gets nothing.
func (s *Server) requestBody(w http.ResponseWriter, r *http.Request, start time.Time) ([]byte, bool) {
	return s.requestBodyAs(w, r, start, s.reject)
}

// requestBodyAs is requestBody answering its failures with reject (the
// Anthropic routes answer in their own error shape).
func (s *Server) requestBodyAs(w http.ResponseWriter, r *http.Request, start time.Time, reject func(http.ResponseWriter, *http.Request, time.Time, *openai.Error)) ([]byte, bool) {
	body, err := readBody(w, r)
	if err == nil {
		return body, true
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		reject(w, r, start, &openai.Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body is larger than %d MiB", MaxBodyBytes>>20), Type: openai.TypeInvalidRequest, Code: "body_too_large"})
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The rest of the body may still be on its way: this connection
		// cannot carry another request.
		w.Header().Set("Connection", "close")
		reject(w, r, start, &openai.Error{Status: http.StatusRequestTimeout, Type: openai.TypeTimeout, Code: "body_too_slow",
			Message: fmt.Sprintf("request body arrived too slowly (%d bytes in %s): llmstack waits %s, then needs at least %d KiB a second", len(body), time.Since(start).Round(time.Millisecond), bodyReadGrace, bodyMinRate>>10)})
	default:
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", 499, "dur", time.Since(start).Round(time.Microsecond), "error", "reading body: "+err.Error())
	}
	return nil, false
}

// readBody reads a request body of at most MaxBodyBytes, in one
// allocation when the client sent its length, at the pace bodyReadGrace
// and bodyMinRate ask for.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	src := r.Body
	if src != nil && src != http.NoBody {
		paced := &pacedBody{ReadCloser: src, rc: http.NewResponseController(w), start: time.Now()}
		defer paced.release()
		src = paced
	}
	body := http.MaxBytesReader(w, src, MaxBodyBytes)
	if n := r.ContentLength; n > 0 && n <= MaxBodyBytes {
		// Trust the declared length only so far: the bytes must arrive.
		buf := bytes.NewBuffer(make([]byte, 0, min(n+1, 1<<20))) // +1: ReadFrom's EOF probe fits
		_, err := buf.ReadFrom(body)
		return buf.Bytes(), err
	}
	return io.ReadAll(body)
}

// pacedBody sets the connection's read deadline before each read of a
// request body: bodyReadGrace from the start, plus the time the bytes read
// so far may take at bodyMinRate. A body arriving fast moves it ever
// further out; one that trickles meets it and reads fail with
// os.ErrDeadlineExceeded.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	n     int64
	// done is set once a read fails or ends the body: net/http then owns
	// the deadline again (it reads on in the background to notice a
	// client that leaves, and a deadline left set would cut the answer).
	done     bool
	timedOut bool
}

func (p *pacedBody) Read(b []byte) (int, error) {
	if !p.done && bodyMinRate > 0 {
		allowed := bodyReadGrace + time.Duration(p.n)*time.Second/time.Duration(bodyMinRate)
		if err := p.rc.SetReadDeadline(p.start.Add(allowed)); err != nil {
			p.done = true // not a real connection (a test recorder): nothing to bound
		}
	}
	n, err := p.ReadCloser.Read(b)
	p.n += int64(n)
	if err != nil {
		p.done = true
		p.timedOut = errors.Is(err, os.ErrDeadlineExceeded)
	}
	return n, err
}

// release clears the deadline once the body has been read, or has failed
// otherwise than by being too slow: a passed deadline must stay, or
// net/http would wait for the rest of a trickled body before closing.
func (p *pacedBody) release() {
	if !p.timedOut {
		_ = p.rc.SetReadDeadline(time.Time{})
	}
}

// decodeRequest decodes a request body whole; tests count its calls.
var decodeRequest = openai.DecodeRequest

// peekModel reads the top-level "model" of a JSON object body, without
// decoding the rest: routing a request to llama-swap needs nothing else,
// and agents' bodies can be megabytes of history. It is "" when the body
// is not an object, breaks off before its model, or names none (the full
// decode then says what is wrong). The first "model" counts; a body that
// repeats it is decoded whole when the first names a bedrock tier, and
// the decode's (the last) wins.
func peekModel(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if key == "model" {
			v, err := dec.Token()
			if s, ok := v.(string); ok && err == nil {
				return s
			}
			return ""
		}
		// Skip the value: scanned, not decoded into Go values.
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// rewriteModel sets "model" in a JSON object body, keeping every other
// field as sent.
func rewriteModel(body []byte, model string) []byte {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return body
	}
	fields["model"], _ = json.Marshal(model)
	out, err := json.Marshal(fields)
	if err != nil {
		return body
	}
	return out
}

// CheckLoopback checks that a listen address is on loopback: the router serves this
// machine only.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if !tiers.IsLoopbackHost(host) {
		return fmt.Errorf("listen address %q is not a loopback address: llmstack serves this machine only (use 127.0.0.1 or ::1)", addr)
	}
	return nil
}

// DefaultShutdownGrace is how long Serve lets requests in flight finish
// after its context ends before cutting the rest short.
const DefaultShutdownGrace = 30 * time.Second

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to the
// shutdown grace period, then cancels the Bedrock calls still running (their streams
// end with an error chunk) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if n := s.inflight.Load(); n > 0 {
		s.log.Info("stopping: letting requests in flight finish", "requests", n, "grace", s.grace)
	} else {
		s.log.Info("stopping")
	}
	// After the grace period, streams still running are told to end (with
	// an error chunk); Shutdown then has a moment to see them go.
	cut := time.AfterFunc(s.grace, s.stop)
	defer cut.Stop()
	shutdown, cancel := context.WithTimeout(context.Background(), s.grace+3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		s.log.Warn("shutdown: closing connections still open", "error", err)
		srv.Close()
	}
	s.stop()
	s.usage.flush() // the last batch of the usage file
	return nil
}
