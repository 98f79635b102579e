package bedrock

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsConfig points the SDK at a config file with the given content and
// nothing else from the environment.
func awsConfig(t *testing.T, content string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("HOME", dir)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func processProfile(name string, expires time.Time) string {
	doc := fmt.Sprintf(`{"Version":1,"AccessKeyId":"ASIAPROCESSKEY000042","SecretAccessKey":"s","SessionToken":"t","Expiration":"%s"}`, expires.UTC().Format(time.RFC3339))
	return fmt.Sprintf("[profile %s]\nregion = eu-west-1\ncredential_process = /bin/echo '%s'\n", name, doc)
}

func TestCheckProfile(t *testing.T) {
	config := `[default]
aws_access_key_id = AKIADEFAULTKEY000001
aws_secret_access_key = s

[profile static]
region = us-west-2
aws_access_key_id = AKIASTATICKEY0000001
aws_secret_access_key = s

[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile failing]
credential_process = /bin/sh -c "exit 7"

[profile chained]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = nosuch

[profile nosource]
role_arn = arn:aws:iam::123456789012:role/x

[profile empty]
region = us-east-1

[profile emptysource]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = empty
` + processProfile("fresh", time.Now().Add(2*time.Hour)) + processProfile("expiring", time.Now().Add(5*time.Minute)) +
		processProfile("stale", time.Now().Add(-time.Hour))
	tests := []struct {
		profile string
		state   ProfileState
		keyID   string
		region  string
		problem []string
		not     []string // what the problem must not say
	}{
		{"", ProfileOK, "AKIA…0001", "", nil, nil},
		{"static", ProfileOK, "AKIA…0001", "us-west-2", nil, nil},
		{"fresh", ProfileOK, "ASIA…0042", "eu-west-1", nil, nil},
		{"expiring", ProfileExpiring, "ASIA…0042", "eu-west-1", []string{"expire in", `profile "expiring"`}, []string{"sso"}},
		{"missing", ProfileError, "", "", []string{`AWS profile "missing" is not in the AWS config files`, "aws configure --profile missing"}, nil},
		{"sso", ProfileError, "", "us-east-1", []string{"SSO session", "aws sso login --profile sso"}, nil},
		{"failing", ProfileError, "", "", []string{"credential_process", "exit status 7"}, []string{"sso"}},
		{"chained", ProfileError, "", "", []string{`profile "chained"`, `source_profile "nosuch"`, "not in the AWS config files"}, []string{"aws_profile"}},
		{"nosource", ProfileError, "", "", []string{`profile "nosource"`, "role_arn", "source_profile", "credential_source"}, []string{"aws_profile"}},
		{"emptysource", ProfileError, "", "", []string{`profile "emptysource"`, `source_profile "empty"`, "no credentials"}, []string{"aws_profile"}},
		{"stale", ProfileError, "", "eu-west-1", []string{`credential_process of profile "stale" returned credentials that expired`}, []string{"sso"}},
	}
	awsConfig(t, config)
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			h := CheckProfile(context.Background(), tt.profile, false)
			if h.State != tt.state || h.KeyID != tt.keyID || h.Region != tt.region {
				t.Errorf("CheckProfile(%q) = state %q key %q region %q, problem %q; want %q %q %q",
					tt.profile, h.State, h.KeyID, h.Region, h.Problem, tt.state, tt.keyID, tt.region)
			}
			for _, p := range tt.problem {
				if !strings.Contains(h.Problem, p) {
					t.Errorf("problem %q does not say %q", h.Problem, p)
				}
			}
			for _, p := range tt.not {
				if strings.Contains(strings.ToLower(h.Problem), p) {
					t.Errorf("problem %q says %q", h.Problem, p)
				}
			}
			if h.State == ProfileOK && h.Problem != "" {
				t.Errorf("healthy profile with a problem: %q", h.Problem)
			}
			if strings.Contains(fmt.Sprintf("%+v", h), "AKIASTATICKEY0000001") {
				t.Error("the full access key id leaked into the health report")
			}
		})
	}
}

// TestCheckProfileVerify asks a fake STS who the credentials belong to.
func TestCheckProfileVerify(t *testing.T) {
	awsConfig(t, "[profile static]\nregion = us-west-2\naws_access_key_id = AKIASTATICKEY0000001\naws_secret_access_key = s\n"+
		"[profile revoked]\nregion = us-west-2\naws_access_key_id = AKIAREVOKEDKEY000001\naws_secret_access_key = s\n")
	var got []string
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, string(body))
		w.Header().Set("Content-Type", "text/xml")
		if strings.Contains(r.Header.Get("Authorization"), "AKIAREVOKED") {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>r1</RequestId></ErrorResponse>`)
			return
		}
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/dev</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer sts.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)

	h := CheckProfile(context.Background(), "static", true)
	if h.State != ProfileOK || h.Account != "123456789012" || h.ARN != "arn:aws:iam::123456789012:user/dev" {
		t.Errorf("verified profile: %+v", h)
	}
	if len(got) != 1 || !strings.Contains(got[0], "Action=GetCallerIdentity") {
		t.Errorf("STS received %q", got)
	}
	h = CheckProfile(context.Background(), "revoked", true)
	if h.State != ProfileError || !strings.Contains(h.Problem, "does not accept the credentials") {
		t.Errorf("revoked keys: %+v", h)
	}
}

func TestMaskKeyID(t *testing.T) {
	for in, want := range map[string]string{"AKIAIOSFODNN7EXAMPLE": "AKIA…MPLE", "short": "…", "": "…"} {
		if got := MaskKeyID(in); got != want {
			t.Errorf("MaskKeyID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckProfileRoleFromCredentialProcess checks that a role whose
// source profile has a credential_process is assumed with the helper's
// credentials (the router runs such helpers itself, not the SDK).
func TestCheckProfileRoleFromCredentialProcess(t *testing.T) {
	var signedBy []string
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		signedBy = append(signedBy, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLEKEY000000001</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>`+
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/dev/x</Arn><AssumedRoleId>AROAEXAMPLE:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer sts.Close()
	awsConfig(t, processProfile("source", time.Now().Add(time.Hour))+"[profile role]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = source\n")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)

	h := CheckProfile(context.Background(), "role", false)
	if h.State != ProfileOK || h.KeyID != "ASIA…0001" {
		t.Errorf("role profile: %+v", h)
	}
	if len(signedBy) != 1 || !strings.Contains(signedBy[0], "Credential=ASIAPROCESSKEY000042/") {
		t.Errorf("AssumeRole signed with %q, want the helper's key", signedBy)
	}
}
