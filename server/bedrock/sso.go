package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
)

// ssoSessionOf is what `aws sso login` signs in for cfg's profile: its
// sso_session's name, or a legacy profile's start URL (the key of the
// CLI's token cache either way); "" for a profile that is not SSO.
func ssoSessionOf(cfg *aws.Config) string {
	r := rootProfile(cfg)
	switch {
	case r.SSOSession != nil && r.SSOSession.Name != "":
		return r.SSOSession.Name
	case r.SSOSessionName != "":
		return r.SSOSessionName
	}
	return r.SSOStartURL
}

// ssoToken is what health reads of a cached SSO token; never the token.
type ssoToken struct {
	expires time.Time
	// refreshable: the token has a refresh token (sso_session profiles,
	// the CLI's default), and the SDK renews it by itself when it runs
	// out. expires is then the access token's (about an hour), not the
	// session's, whose end the cache does not hold (registrationExpiresAt
	// is the CLI's client registration, months away).
	refreshable bool
}

// readSSOToken reads the CLI's cached token for an SSO session. ok is
// false when there is none (never signed in, or signed out).
func readSSOToken(session string) (tok ssoToken, ok bool) {
	path, err := ssocreds.StandardCachedTokenFilepath(session)
	if err != nil {
		return tok, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return tok, false
	}
	var doc struct {
		ExpiresAt    string `json:"expiresAt"`
		RefreshToken string `json:"refreshToken"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return tok, false
	}
	tok.expires, _ = time.Parse(time.RFC3339, doc.ExpiresAt)
	tok.refreshable = doc.RefreshToken != ""
	return tok, true
}

// isSSOSessionError tells a failure that signing in again fixes.
func isSSOSessionError(err error) bool {
	var invalid *ssocreds.InvalidTokenError
	msg := err.Error()
	return errors.As(err, &invalid) || strings.Contains(msg, "SSO token") || strings.Contains(msg, "SSO session")
}

// checkSSOSession adds what the token cache says about an SSO profile's
// session to h. The session, not the role credentials it hands out (which
// the SDK renews while the session lasts), is what ends work mid-task.
// Its end is known, and warned of, only for a token without a refresh
// token (a legacy profile without sso_session, or a token cached so): a
// refreshable token's expiry is its access token's, which the SDK renews,
// so no end is shown for it.
func checkSSOSession(h *ProfileHealth, session string, now time.Time) {
	h.SSOSession = session
	tok, ok := readSSOToken(session)
	if !ok {
		return
	}
	if tok.refreshable {
		if h.State != ProfileError {
			// The role credentials are renewed with it too.
			h.Expires = time.Time{}
			h.State, h.Problem = ProfileOK, ""
		}
		return
	}
	h.SessionExpires = tok.expires
	if h.State == ProfileError || tok.expires.IsZero() {
		return
	}
	h.Expires = tok.expires
	h.State, h.Problem = ProfileOK, ""
	if left := tok.expires.Sub(now); left < ExpiringSoon {
		h.State, h.SignIn = ProfileExpiring, true
		h.Problem = fmt.Sprintf("the SSO session of %s expires in %s; sign in again with `aws sso login%s`", who(h.Profile), Minutes(left), profileFlag(h.Profile))
	}
}

// Minutes renders a short time left for people, as the profile problems
// and the tray's notifications say it: "12 min" (never below "0 min").
func Minutes(d time.Duration) string {
	return fmt.Sprintf("%d min", max(0, int(d.Round(time.Minute).Minutes())))
}
