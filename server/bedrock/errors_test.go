package bedrock

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server/openai"
)

// serveChat sends one chat request for a tier on profile and endpoint
// through the dispatcher, as the router does.
func serveChat(t *testing.T, profile, endpoint string, stream bool) *httptest.ResponseRecorder {
	t.Helper()
	tier := testTier(t, "", 0)
	tier.Bedrock.Profile, tier.Bedrock.EndpointURL = profile, endpoint
	body := fmt.Sprintf(`{"model":"agent","stream":%t,"messages":[{"role":"user","content":"hi"}]}`, stream)
	req, oerr := openai.DecodeRequest([]byte(body), openai.ChatCompletions)
	if oerr != nil {
		t.Fatal(oerr.Message)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
	NewDispatcher().Serve(w, r, openai.ChatCompletions, req, tier, false)
	return w
}

// errorMessage is the message of the OpenAI error object in w.
func errorMessage(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Error struct{ Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an OpenAI error object: %s", w.Body)
	}
	return e.Error.Message
}

// TestHTTPErrorSaysWhatIsWrong sends chat requests that fail before or at
// Bedrock and checks that the error names the real cause and the fix that
// fits the profile, and no credential.
func TestHTTPErrorSaysWhatIsWrong(t *testing.T) {
	expiredToken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ExpiredTokenException")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"message":"The security token included in the request is expired"}`)
	}))
	defer expiredToken.Close()

	awsConfig(t, `[profile static]
aws_access_key_id = AKIASTATICKEY0000001
aws_secret_access_key = static-secret-value

[profile nosource]
role_arn = arn:aws:iam::123456789012:role/dev

[profile badsource]
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = nosuch

`+processProfile("stale", time.Now().Add(-time.Hour))+processProfile("helper", time.Now().Add(time.Hour)))

	tests := []struct {
		name     string
		profile  string
		endpoint string
		status   int
		says     []string
		not      []string
	}{
		{"unreachable endpoint", "static", "http://127.0.0.1:1", 502,
			[]string{"cannot reach Bedrock at 127.0.0.1:1", "us-east-1", "connection refused"},
			[]string{"AKIASTATICKEY0000001", "static-secret-value"}},
		{"unreachable endpoint with a password in its URL", "static", "http://user:hunter2@127.0.0.1:1", 502,
			[]string{"cannot reach Bedrock at 127.0.0.1:1", "us-east-1"},
			[]string{"hunter2", "user:", "AKIASTATICKEY0000001"}},
		{"role_arn without source_profile", "nosource", "http://127.0.0.1:1", 401,
			[]string{`profile "nosource"`, "role_arn", "source_profile", "credential_source"},
			[]string{"aws_profile"}},
		{"source_profile that does not exist", "badsource", "http://127.0.0.1:1", 401,
			[]string{`profile "badsource"`, `source_profile "nosuch"`, "not in the AWS config files"},
			[]string{"aws_profile"}},
		{"credential_process returning expired credentials", "stale", "http://127.0.0.1:1", 401,
			[]string{`credential_process of profile "stale" returned credentials that expired`},
			[]string{"sso"}},
		{"Bedrock refusing a credential_process profile's token", "helper", expiredToken.URL, 401,
			[]string{"ExpiredTokenException", "credential_process"},
			[]string{"sso"}},
		{"Bedrock refusing a static profile's token", "static", expiredToken.URL, 401,
			[]string{"ExpiredTokenException", "keys"},
			[]string{"sso", "AKIASTATICKEY0000001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serveChat(t, tt.profile, tt.endpoint, false)
			body := errorMessage(t, w)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, body)
			}
			for _, s := range tt.says {
				if !strings.Contains(body, s) {
					t.Errorf("%s\ndoes not say %q", body, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
					t.Errorf("%s\nsays %q", body, s)
				}
			}
		})
	}
}
