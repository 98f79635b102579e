package bedrock

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSSOToken puts a token for an SSO session (its name, or a legacy
// profile's start URL) in the AWS CLI's cache under HOME, as `aws sso
// login` leaves it.
func writeSSOToken(t *testing.T, key string, expires time.Time, refresh bool) {
	t.Helper()
	sum := sha1.Sum([]byte(key))
	path := filepath.Join(os.Getenv("HOME"), ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")
	tok := map[string]string{"accessToken": "sso-access-token-secret", "expiresAt": expires.UTC().Format(time.RFC3339), "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"}
	if refresh {
		tok["refreshToken"], tok["clientId"], tok["clientSecret"] = "r", "c", "s"
	}
	data, _ := json.Marshal(tok)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fakeSSOPortal answers GetRoleCredentials with role credentials that
// expire after roleFor, as the IAM Identity Center portal does.
func fakeSSOPortal(t *testing.T, roleFor time.Duration) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Sso_bearer_token") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"roleCredentials":{"accessKeyId":"ASIASSOROLEKEY000007","secretAccessKey":"s","sessionToken":"t","expiration":%d}}`,
			time.Now().Add(roleFor).UnixMilli())
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SSO", srv.URL)
}

// TestCheckProfileSSOSession checks that health knows an SSO profile's
// session, when it ends, and when `aws sso login` is the fix.
func TestCheckProfileSSOSession(t *testing.T) {
	ssoProfile := func(name, session string) string {
		return fmt.Sprintf("[profile %s]\nsso_session = %s\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n\n[sso-session %[2]s]\nsso_start_url = https://%[2]s.awsapps.com/start\nsso_region = us-east-1\n\n", name, session)
	}
	awsConfig(t, ssoProfile("nologin", "s-none")+ssoProfile("expired", "s-expired")+ssoProfile("soon", "s-soon")+
		ssoProfile("fresh", "s-fresh")+ssoProfile("refreshable", "s-refresh")+
		"[profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\n\n"+
		"[profile legacy-soon]\nsso_start_url = https://legacy-soon.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\n\n"+
		"[profile static]\naws_access_key_id = AKIASTATICKEY0000001\naws_secret_access_key = s\n")
	now := time.Now()
	writeSSOToken(t, "s-expired", now.Add(-time.Hour), false)
	writeSSOToken(t, "s-soon", now.Add(12*time.Minute), false)
	writeSSOToken(t, "s-fresh", now.Add(7*time.Hour), false)
	writeSSOToken(t, "s-refresh", now.Add(10*time.Minute), true)
	writeSSOToken(t, "https://legacy.awsapps.com/start", now.Add(-time.Minute), false)
	writeSSOToken(t, "https://legacy-soon.awsapps.com/start", now.Add(12*time.Minute), false)
	// Role credentials that end before the session are renewed with it:
	// they must not make a profile look as if it were about to die.
	fakeSSOPortal(t, 5*time.Minute)

	tests := []struct {
		profile string
		state   ProfileState
		session string
		signIn  bool
		expires time.Time // the session's end; zero when unknown
		problem []string
	}{
		{"nologin", ProfileError, "s-none", true, time.Time{}, []string{`SSO session of profile "nologin"`, "aws sso login --profile nologin"}},
		{"expired", ProfileError, "s-expired", true, now.Add(-time.Hour), []string{`SSO session of profile "expired"`, "aws sso login --profile expired"}},
		{"soon", ProfileExpiring, "s-soon", true, now.Add(12 * time.Minute), []string{`SSO session of profile "soon" expires in 12 min`, "aws sso login --profile soon"}},
		{"fresh", ProfileOK, "s-fresh", false, now.Add(7 * time.Hour), nil},
		// The SDK renews a token that has a refresh token by itself: its
		// expiresAt is the access token's (about an hour), not the
		// session's, whose end the cache does not hold. No end is shown
		// and no warning given.
		{"refreshable", ProfileOK, "s-refresh", false, time.Time{}, nil},
		{"legacy", ProfileError, "https://legacy.awsapps.com/start", true, now.Add(-time.Minute), []string{"aws sso login --profile legacy"}},
		// A legacy profile's token (no sso_session) has no refresh token:
		// its end is the session's, and it is warned of.
		{"legacy-soon", ProfileExpiring, "https://legacy-soon.awsapps.com/start", true, now.Add(12 * time.Minute), []string{`SSO session of profile "legacy-soon" expires in 12 min`, "aws sso login --profile legacy-soon"}},
		{"static", ProfileOK, "", false, time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			h := CheckProfile(context.Background(), tt.profile, false)
			if h.State != tt.state || h.SSOSession != tt.session || h.SignIn != tt.signIn {
				t.Errorf("CheckProfile(%q) = state %q session %q sign-in %v (problem %q); want %q %q %v",
					tt.profile, h.State, h.SSOSession, h.SignIn, h.Problem, tt.state, tt.session, tt.signIn)
			}
			if d := h.SessionExpires.Sub(tt.expires).Abs(); d > 2*time.Second || h.SessionExpires.IsZero() != tt.expires.IsZero() {
				t.Errorf("session expires %v, want %v", h.SessionExpires, tt.expires)
			}
			if tt.session != "" && tt.state != ProfileError && !h.Expires.Equal(h.SessionExpires) {
				t.Errorf("an SSO profile shows its role credentials' expiry %v, not its session's %v", h.Expires, h.SessionExpires)
			}
			for _, p := range tt.problem {
				if !strings.Contains(h.Problem, p) {
					t.Errorf("problem %q does not say %q", h.Problem, p)
				}
			}
			if strings.Contains(fmt.Sprintf("%+v", h), "sso-access-token-secret") {
				t.Error("the SSO access token leaked into the health report")
			}
		})
	}
}

func TestMinutes(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{12 * time.Minute, "12 min"},
		{11*time.Minute + 40*time.Second, "12 min"},
		{20 * time.Second, "0 min"},
		{-5 * time.Minute, "0 min"},
	} {
		if got := Minutes(tt.d); got != tt.want {
			t.Errorf("Minutes(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
