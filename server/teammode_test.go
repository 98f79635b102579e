package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// teamKey is the router key of the team-mode tests; nothing the router
// writes may contain it.
const teamKey = "team-key-7f3a9c1e5b2d4a6f8e0c"

// newTeamFixture is the end-to-end fixture with router_api_key set (from
// the environment, as models.ini requires) and router_host host.
func newTeamFixture(t *testing.T, host string) *fixture {
	t.Helper()
	t.Setenv("LLMSTACK_TEST_TEAM_KEY", teamKey)
	ini := strings.Replace(modelsINI, "[DEFAULT]\n", "[DEFAULT]\nrouter_host = "+host+"\nrouter_api_key = ${LLMSTACK_TEST_TEAM_KEY}\n", 1)
	return newFixtureINI(t, fakebedrock.Options{}, ini)
}

// send makes a request to the router with the given headers (Host sets
// the Host header) and returns the response with its body read.
func (f *fixture) send(method, path, body string, header map[string]string) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// TestTeamModeKey: with router_api_key set, every route needs the key, as
// a bearer token or in x-api-key; without it, or with another, the answer
// is a 401 in the caller's dialect that shows no key.
func TestTeamModeKey(t *testing.T) {
	f := newTeamFixture(t, "127.0.0.1")
	chat := `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`
	msgs := `{"model":"code-fast","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`
	routes := []struct {
		method, path, body string
		anthropic          bool
	}{
		{"POST", "/v1/chat/completions", chat, false},
		{"POST", "/v1/completions", `{"model":"code-fast","prompt":"hi"}`, false},
		{"POST", "/v1/messages", msgs, true},
		{"POST", "/v1/messages/count_tokens", msgs, true},
		{"GET", "/v1/models", "", false},
		{"GET", "/health", "", false},
		{"GET", "/v1/llama-swap-only", "", false},
	}
	auths := []struct {
		name   string
		header map[string]string
		ok     bool
	}{
		{"no key", nil, false},
		{"wrong bearer", map[string]string{"Authorization": "Bearer " + teamKey + "x"}, false},
		{"wrong x-api-key", map[string]string{"x-api-key": teamKey[:len(teamKey)-1]}, false},
		{"key without Bearer", map[string]string{"Authorization": teamKey}, false},
		{"bearer", map[string]string{"Authorization": "Bearer " + teamKey}, true},
		{"lower-case bearer", map[string]string{"Authorization": "bearer " + teamKey}, true},
		{"x-api-key", map[string]string{"x-api-key": teamKey}, true},
		{"x-api-key, another bearer", map[string]string{"x-api-key": teamKey, "Authorization": "Bearer llama-swaps-own"}, true},
	}
	for _, rt := range routes {
		for _, a := range auths {
			t.Run(rt.method+rt.path+"/"+a.name, func(t *testing.T) {
				resp, body := f.send(rt.method, rt.path, rt.body, a.header)
				for k, vs := range resp.Header {
					if strings.Contains(k+strings.Join(vs, " "), teamKey) {
						t.Errorf("response header %s shows the key", k)
					}
				}
				if strings.Contains(body, teamKey) {
					t.Errorf("the response shows the key: %s", body)
				}
				if a.ok {
					if resp.StatusCode != 200 {
						t.Errorf("status %d with the key: %s", resp.StatusCode, body)
					}
					return
				}
				if resp.StatusCode != 401 {
					t.Fatalf("status %d without the key, want 401: %s", resp.StatusCode, body)
				}
				want := `{"error":{"message":`
				if rt.anthropic {
					want = `{"type":"error","error":{"type":"authentication_error","message":`
				}
				if !strings.HasPrefix(body, want) || !strings.Contains(body, "router_api_key") {
					t.Errorf("401 body %s; want %s… naming router_api_key", body, want)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			})
		}
	}
	if strings.Contains(f.logs.String(), teamKey) {
		t.Errorf("the log shows the key:\n%s", f.logs.String())
	}
	if !strings.Contains(f.logs.String(), "without the router's API key") {
		t.Errorf("refused requests are not logged:\n%s", f.logs.String())
	}
}

// TestTeamModePassThrough: the router's key is the router's: it does not
// reach llama-swap, while a key of llama-swap's own in the other header
// does.
func TestTeamModePassThrough(t *testing.T) {
	f := newTeamFixture(t, "127.0.0.1")
	body := `{"model":"local","messages":[{"role":"user","content":"hi"}]}`
	for _, tc := range []struct {
		name       string
		header     map[string]string
		wantAuth   string
		wantAPIKey string
	}{
		{"bearer", map[string]string{"Authorization": "Bearer " + teamKey}, "", ""},
		{"x-api-key", map[string]string{"X-Api-Key": teamKey}, "", ""},
		{"x-api-key and llama-swap's bearer", map[string]string{"X-Api-Key": teamKey, "Authorization": "Bearer llama-swaps-own"}, "Bearer llama-swaps-own", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := f.send("POST", "/v1/chat/completions", body, tc.header)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, data)
			}
			got := f.llama.received()
			last := got[len(got)-1]
			if a, k := last.Header.Get("Authorization"), last.Header.Get("X-Api-Key"); a != tc.wantAuth || k != tc.wantAPIKey {
				t.Errorf("llama-swap got Authorization %q, x-api-key %q; want %q, %q", a, k, tc.wantAuth, tc.wantAPIKey)
			}
		})
	}
}

// TestTeamModeHost: with a team router_host, the Host guard takes that
// host besides loopback names, and still refuses others; Origin rules
// are as on loopback.
func TestTeamModeHost(t *testing.T) {
	f := newTeamFixture(t, "10.20.30.40")
	auth := "Bearer " + teamKey
	for _, tc := range []struct {
		host, origin string
		want         int
	}{
		{"10.20.30.40:10101", "", 200},
		{"10.20.30.40", "", 200},
		{"localhost:10101", "", 200},
		{"evil.example:10101", "", 403},
		{"10.20.30.41:10101", "", 403},
		{"10.20.30.40:10101", "https://evil.example", 403},
	} {
		resp, body := f.send("GET", "/v1/models", "", map[string]string{"Host": tc.host, "Origin": tc.origin, "Authorization": auth})
		if resp.StatusCode != tc.want {
			t.Errorf("Host %s Origin %q: status %d, want %d: %s", tc.host, tc.origin, resp.StatusCode, tc.want, body)
		}
	}
}

// TestListenAddress: a non-loopback listen address needs router_api_key;
// serve refuses it otherwise and says what to set.
func TestListenAddress(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		keyed   bool
		wantErr string
	}{
		{"127.0.0.1:10101", false, ""},
		{"[::1]:10101", false, ""},
		{"0.0.0.0:10101", false, "set router_api_key = ${ENV_VAR}"},
		{"192.168.1.5:10101", false, "is not a loopback address"},
		{"0.0.0.0:10101", true, ""},
		{"llm.example.internal:10101", true, ""},
		{"nonsense", true, "listen address"},
	} {
		err := server.CheckListenAddr(tc.addr, tc.keyed)
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("CheckListenAddr(%q, keyed %v) = %v, want %q", tc.addr, tc.keyed, err, tc.wantErr)
		}
	}
	// Run refuses before it listens.
	cfg, err := tiers.Parse("models.ini", []byte("[code-fast]\naws_model_id = m\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Run(ctx, cfg, "0.0.0.0:0", server.Options{}, nil); err == nil || !strings.Contains(err.Error(), "router_api_key") {
		t.Errorf("Run on 0.0.0.0 without a key: %v", err)
	}
}
