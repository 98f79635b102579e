package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// Binding loopback keeps other machines out, but not web pages: a browser
// on this machine can be made to send requests to 127.0.0.1 by any site,
// and with DNS rebinding to read the answers. The router spends the user's
// AWS credentials, so it answers only requests addressed to this machine
// and, from browsers, only pages served from this machine (a local chat
// UI on http://localhost:3000 works; https://example.com does not).

// refuseForeign answers (and returns true for) a request a foreign web page
// caused; it also handles CORS for pages served from this machine.
// hosts names the Host headers taken besides loopback names (team mode).
func refuseForeign(w http.ResponseWriter, r *http.Request, hosts *hostGuard) bool {
	if host := hostname(r.Host); host != "" && !hosts.allows(host) {
		where := "localhost or 127.0.0.1"
		if hosts != nil && hosts.enabled {
			where += " or the router_host of models.ini"
		}
		openai.WriteError(w, &openai.Error{Status: http.StatusForbidden, Type: openai.TypePermission, Code: "foreign_host",
			Message: fmt.Sprintf("Host %q is not this machine: llmstack answers only requests to %s (this guards against DNS rebinding)", r.Host, where)})
		return true
	}
	origin := r.Header.Get("Origin")
	switch {
	case origin != "":
		u, err := url.Parse(origin)
		if err != nil || !isLoopbackName(u.Hostname()) {
			openai.WriteError(w, &openai.Error{Status: http.StatusForbidden, Type: openai.TypePermission, Code: "cross_origin",
				Message: fmt.Sprintf("requests from web pages of %s are refused: only pages served from this machine may use llmstack", origin)})
			return true
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return true
		}
	case r.Header.Get("Sec-Fetch-Site") == "cross-site":
		openai.WriteError(w, &openai.Error{Status: http.StatusForbidden, Type: openai.TypePermission, Code: "cross_origin",
			Message: "cross-site requests from web pages are refused: only pages served from this machine may use llmstack"})
		return true
	}
	return false
}

// isLoopbackName reports whether a host from a Host header or an Origin
// names this machine. Host names are case-insensitive and may be written
// fully qualified, with the root's dot: LOCALHOST and localhost. are
// localhost.
func isLoopbackName(host string) bool {
	return tiers.IsLoopbackHost(strings.TrimSuffix(strings.ToLower(host), "."))
}

// hostname is the host part of a Host header.
func hostname(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return hostport
}
