package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRejectsForeignHost: binding loopback does not make the router
// "this machine only". A web page on a domain that resolves to 127.0.0.1
// (DNS rebinding) reaches it with its own Host header and, being same-origin
// for the browser, can read the answers: /health (profiles, masked key ids,
// config path), /v1/models, and completions billed to the user's AWS
// account, plus every llama-swap route through the pass-through. The router
// checks neither Host nor Origin. A request whose Host is not a loopback
// name or address should be refused.
func TestRejectsForeignHost(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/health", "/v1/models"} {
		req, err := http.NewRequest(http.MethodGet, f.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "attacker.example:10101"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("GET %s with Host attacker.example: status %d, want it refused (403/421)", path, resp.StatusCode)
		}
	}
}

// TestCrossOriginSimpleRequestReachesBedrock: any web page the user
// visits can make the browser POST a "simple" cross-origin request
// (Content-Type text/plain, no preflight) to http://127.0.0.1:10101. The
// router does not look at Content-Type or Origin, so the request is served
// and a paid Bedrock call goes out on the user's credentials.
func TestCrossOriginSimpleRequestReachesBedrock(t *testing.T) {
	f := newFixture(t)
	req, err := http.NewRequest(http.MethodPost, f.url+"/v1/chat/completions",
		strings.NewReader(`{"model":"code-smart","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "https://attacker.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("a cross-site browser request (Origin https://attacker.example) was served with status %d and made %d Bedrock call(s)", resp.StatusCode, n)
	}
}

// TestHostNamesAreCaseInsensitive: host names are case-insensitive and may
// end with the root's dot, so LOCALHOST, LocalHost:10101 and localhost. are
// this machine as much as localhost is; names that only start or end like
// it are not.
func TestHostNamesAreCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		host, origin string
		want         int
	}{
		{"localhost", "", http.StatusOK},
		{"LOCALHOST", "", http.StatusOK},
		{"LocalHost:10101", "", http.StatusOK},
		{"localhost.", "", http.StatusOK},
		{"LOCALHOST.:10101", "", http.StatusOK},
		{"127.0.0.1:10101", "", http.StatusOK},
		{"[::1]:10101", "", http.StatusOK},
		{"localhost", "http://LocalHost:3000", http.StatusOK},
		{"localhost", "http://localhost.:3000", http.StatusOK},
		{"localhost..", "", http.StatusForbidden},
		{"localhost.attacker.example", "", http.StatusForbidden},
		{"LOCALHOST.attacker.example:10101", "", http.StatusForbidden},
		{"attacker.localhost.example", "", http.StatusForbidden},
		{"localhost", "http://LOCALHOST.attacker.example", http.StatusForbidden},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, f.url+"/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("Host %q Origin %q: status %d, want %d: %s", tt.host, tt.origin, resp.StatusCode, tt.want, body)
		}
	}
}
