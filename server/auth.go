package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/llmstack/llmstack/server/anthropic"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// Team mode: with router_api_key set, the router may listen beyond
// loopback, and then every request must carry the key. The key is the
// router's own: it is checked here, taken off the request, and never
// logged or sent on.

// routerKey is the SHA-256 of the router's API key; zero when none is
// set. Comparing digests in constant time tells a caller nothing about
// the key, not even its length.
type routerKey struct {
	set    bool
	digest [sha256.Size]byte
}

func newRouterKey(key tiers.Secret) routerKey {
	if key == "" {
		return routerKey{}
	}
	return routerKey{set: true, digest: sha256.Sum256([]byte(key))}
}

func (k routerKey) matches(candidate string) bool {
	d := sha256.Sum256([]byte(candidate))
	return subtle.ConstantTimeCompare(d[:], k.digest[:]) == 1
}

// authorize answers (and returns false for) a request without the
// router's key, in the caller's dialect. A request with it loses the
// header that carried it, so no handler, log or upstream sees the key.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	if !s.key.set {
		return true
	}
	ok := false
	if v := r.Header.Get("x-api-key"); v != "" && s.key.matches(v) {
		r.Header.Del("x-api-key")
		ok = true
	}
	if scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") && s.key.matches(strings.TrimSpace(token)) {
		r.Header.Del("Authorization")
		ok = true
	}
	if ok {
		return true
	}
	problem := "missing API key"
	if r.Header.Get("Authorization") != "" || r.Header.Get("x-api-key") != "" {
		problem = "wrong API key"
	}
	e := &openai.Error{Status: http.StatusUnauthorized, Type: openai.TypeAuthentication, Code: "invalid_api_key",
		Message: problem + ": this llmstack router takes requests with its key only, sent as Authorization: Bearer <key> or x-api-key: <key> " +
			"(the key is in the environment variable its models.ini names in router_api_key)"}
	w.Header().Set("WWW-Authenticate", `Bearer realm="llmstack"`)
	if strings.HasPrefix(r.URL.Path, "/v1/messages") {
		anthropic.WriteError(w, e)
	} else {
		openai.WriteError(w, e)
	}
	s.log.Warn("refused a request without the router's API key", "method", r.Method, "path", r.URL.Path, "problem", problem, "remote", remoteIP(r))
	return false
}

// remoteIP is the address a request came from, without its port.
func remoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// CheckListenAddr checks that the router may listen on addr: a loopback
// address always, any other only with router_api_key set (keyed).
func CheckListenAddr(addr string, keyed bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if keyed || tiers.IsLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("listen address %s is not a loopback address: to serve other machines, set router_api_key = ${ENV_VAR} in models.ini's [DEFAULT] "+
		"(with the key, %d characters or more, in that environment variable) so every request must carry it; otherwise use 127.0.0.1 or ::1", addr, tiers.MinRouterAPIKeyLen)
}

// hostGuard says which Host headers name this router: loopback names
// always, and in team mode the configured router_host and the addresses
// it resolves to. An unspecified router_host (0.0.0.0, ::) listens on
// every address, so any IP address is taken, and the machine's name: DNS
// rebinding needs a name of the attacker's, never an IP address.
type hostGuard struct {
	names   map[string]bool
	anyIP   bool
	enabled bool
}

func newHostGuard(host string, keyed bool) *hostGuard {
	g := &hostGuard{names: map[string]bool{}}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if !keyed || host == "" || tiers.IsLoopbackHost(host) {
		return g
	}
	g.enabled = true
	g.names[host] = true
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsUnspecified() {
			g.anyIP = true
			if name, err := os.Hostname(); err == nil {
				g.names[strings.ToLower(name)] = true
			}
		}
		return g
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if addrs, err := net.DefaultResolver.LookupHost(ctx, host); err == nil {
		for _, a := range addrs {
			g.names[strings.ToLower(a)] = true
		}
	}
	return g
}

// allows reports whether host (from a Host header, without its port)
// names this router.
func (g *hostGuard) allows(host string) bool {
	if isLoopbackName(host) {
		return true
	}
	if g == nil || !g.enabled {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	return g.names[host] || (g.anyIP && net.ParseIP(host) != nil)
}
