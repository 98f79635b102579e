package bedrock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// ProfileState is the verdict of a profile check.
type ProfileState string

const (
	ProfileUnknown  ProfileState = ""         // not checked yet
	ProfileOK       ProfileState = "ok"       // credentials retrieved
	ProfileExpiring ProfileState = "expiring" // usable, but not for long
	ProfileError    ProfileState = "error"    // unusable; Problem says why
)

// ExpiringSoon is how close to expiry credentials are reported as expiring.
const ExpiringSoon = 15 * time.Minute

// ProfileHealth is what a check found out about one AWS profile.
type ProfileHealth struct {
	Profile string // "" is the default credential chain
	State   ProfileState
	// KeyID is the access key id with all but its first four and last four
	// characters masked.
	KeyID   string
	Source  string // the SDK's credential source, e.g. SSOProvider
	Region  string // the profile's region ("" when it sets none)
	Expires time.Time
	// Account and ARN come from the optional STS check.
	Account string
	ARN     string
	Problem string // the cause and the fix, when State is not ok
	Checked time.Time
	// SSOSession is what `aws sso login` signs in for an SSO profile (its
	// sso_session, or a legacy profile's start URL); "" otherwise.
	// SessionExpires is when that session ends, from the AWS CLI's token
	// cache (zero when unknown); SignIn is set when signing in again is the
	// fix: the session is missing, over, or ends within ExpiringSoon.
	SSOSession     string
	SessionExpires time.Time
	SignIn         bool
}

// Name is how the profile is shown to the user.
func (h ProfileHealth) Name() string {
	if h.Profile == "" {
		return "default chain"
	}
	return h.Profile
}

// CheckTimeout bounds getting a profile's credentials, in a health check
// and before a request alike: neither may hang on a credential_process or
// an SSO endpoint. It also bounds a health check's STS call.
const CheckTimeout = 10 * time.Second

// credentialTimeout is CheckTimeout; tests lower it.
var credentialTimeout = CheckTimeout

// CheckProfile loads a profile the way the router's clients do and
// retrieves its credentials. With verify it also asks STS who the
// credentials belong to (AWS_ENDPOINT_URL_STS points that elsewhere).
func CheckProfile(ctx context.Context, profile string, verify bool) ProfileHealth {
	h := ProfileHealth{Profile: profile, Checked: time.Now()}
	fail := func(err error) ProfileHealth {
		h.State = ProfileError
		h.SignIn = h.SSOSession != "" && isSSOSessionError(err)
		if p, ok := CredentialProblem(profile, err); ok {
			h.Problem = p
		} else if errors.Is(err, context.DeadlineExceeded) {
			h.Problem = fmt.Sprintf("STS did not answer within %s for %s", CheckTimeout, who(profile))
		} else {
			h.Problem = err.Error()
		}
		return h
	}

	// Loading reads files; Retrieve bounds itself with the same bound a
	// request has, so both report a slow profile alike.
	cfg, err := LoadAWSConfig(ctx, profile, "", nil)
	if err != nil {
		return fail(err)
	}
	h.Region = cfg.Region
	h.SSOSession = ssoSessionOf(&cfg)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		h = fail(err)
		if h.SSOSession != "" {
			checkSSOSession(&h, h.SSOSession, time.Now())
		}
		return h
	}
	kind := credentialKindOf(cfg.Credentials)
	h.KeyID, h.Source = MaskKeyID(creds.AccessKeyID), creds.Source
	h.State = ProfileOK
	if creds.CanExpire {
		h.Expires = creds.Expires
		if left := time.Until(creds.Expires); left < ExpiringSoon {
			h.State = ProfileExpiring
			h.Problem = fmt.Sprintf("the credentials of %s expire in %s%s", who(profile), Minutes(left), expiringHint(profile, kind))
		}
	}
	if h.SSOSession != "" {
		checkSSOSession(&h, h.SSOSession, time.Now())
	}
	if !verify {
		return h
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // STS is global; any region answers
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			h.State = ProfileError
			switch apiErr.ErrorCode() {
			case "ExpiredToken", "ExpiredTokenException":
				h.Problem = fmt.Sprintf("AWS says the credentials of %s have expired; %s", who(profile), refreshFix(profile, kind))
			case "InvalidClientTokenId", "SignatureDoesNotMatch":
				h.Problem = fmt.Sprintf("AWS does not accept the credentials of %s (%s); %s", who(profile), apiErr.ErrorCode(), refreshFix(profile, kind))
			default:
				h.Problem = fmt.Sprintf("STS GetCallerIdentity for %s failed: %s", who(profile), apiErr.ErrorMessage())
			}
			return h
		}
		return fail(err)
	}
	h.Account, h.ARN = deref(id.Account), deref(id.Arn)
	return h
}

// MaskKeyID shows only the ends of an access key id: AKIA…WXYZ.
func MaskKeyID(id string) string {
	if len(id) <= 8 {
		return "…"
	}
	return id[:4] + "…" + id[len(id)-4:]
}
