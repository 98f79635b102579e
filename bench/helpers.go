package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ServeFloor runs the floor: a bare httputil.ReverseProxy per route
// ("listenAddr=targetURL"), the cheapest possible hop between a client and
// an upstream. Its transport keeps as many idle connections as the router's
// Bedrock client (1024) so both hops pool connections alike; nothing else is
// tuned. It prints "floor listening on URL -> TARGET" per route and serves
// until ctx ends.
func ServeFloor(ctx context.Context, routes []string) error {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	}
	errc := make(chan error, len(routes))
	var servers []*http.Server
	for _, r := range routes {
		addr, target, ok := strings.Cut(r, "=")
		if !ok {
			return fmt.Errorf("route %q: want listenAddr=targetURL", r)
		}
		u, err := url.Parse(target)
		if err != nil {
			return fmt.Errorf("route %q: %w", r, err)
		}
		rp := &httputil.ReverseProxy{
			Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = u.Host },
			Transport: transport,
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: bufferBody(rp), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		fmt.Printf("floor listening on http://%s -> %s\n", ln.Addr(), target)
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		for _, s := range servers {
			s.Close()
		}
		return nil
	}
}

// bufferBody reads the request body into memory before h sees it. A
// ReverseProxy that streams the body it is reading from the client to the
// upstream loses streamed answers on HTTP/1.1: the upstream answers once it
// has read the body, the proxy starts the response, the server then
// finishes off the request body under the transport's write loop, and the
// transport closes the upstream connection mid-stream ("ReverseProxy read
// error during body copy: use of closed network connection"). The router
// reads whole bodies too, so this keeps the floor as cheap as it can be
// while correct.
func bufferBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		h.ServeHTTP(w, r)
	})
}

// FakeLlamaSwapAnswer is the chat completion the fake llama-swap answers.
const FakeLlamaSwapAnswer = `{"id":"chatcmpl-local","object":"chat.completion","created":1700000000,"model":"local-model",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"xxxxxxx xxxxxxx xxxxxxx xxxxxxx xxxxxxx xxxxxxx xxxxxxx xxxxxxx "},"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`

// FakeLlamaSwap is a stand-in for llama-swap: it answers every chat
// completion with FakeLlamaSwapAnswer, /health with OK and /v1/models
// with one model.
func FakeLlamaSwap() http.Handler {
	mux := http.NewServeMux()
	answer := []byte(FakeLlamaSwapAnswer)
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(answer)))
		_, _ = w.Write(answer)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "OK") })
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"local-model","object":"model","owned_by":"llama-swap"}]}`)
	})
	return mux
}

// ServeFakeLlamaSwap serves FakeLlamaSwap on addr until ctx ends, printing
// "fakellamaswap listening on URL".
func ServeFakeLlamaSwap(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("fakellamaswap listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: FakeLlamaSwap(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
