package tiers

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/assets"
)

// TestCredentialsRefusedWherever: a credential key is refused wherever the
// configparser rules put it — its own line, an indented line that continues
// the value above (in a tier or in [DEFAULT]), any delimiter and case, an
// unclosed section header, a line without a delimiter, or a value that
// names one — and the error never shows the secret.
func TestCredentialsRefusedWherever(t *testing.T) {
	const secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRET"
	t.Setenv("LLMSTACK_TEST_SECRET_REGION", "us-east-1\naws_secret_access_key = "+secret)
	tests := []struct {
		name string
		ini  string
		want string // in the error
	}{
		{"continues aws_region", "[code-fast]\nrole = fast\naws_model_id = m\naws_region = us-east-1\n  aws_secret_access_key = " + secret + "\n", "aws_secret_access_key"},
		{"continues aws_endpoint_url", "[code-fast]\naws_model_id = m\naws_endpoint_url = http://127.0.0.1:4599\n  aws_secret_access_key = " + secret + "\n", "aws_secret_access_key"},
		{"continues with colon", "[code-fast]\naws_model_id = m\naws_profile = work\n\taws_secret_access_key: " + secret + "\n", "aws_secret_access_key"},
		{"continues in upper case", "[code-fast]\naws_model_id = m\ndescription = fast\n  AWS_SECRET_ACCESS_KEY = " + secret + "\n", "aws_secret_access_key"},
		{"continues a DEFAULT key", "[DEFAULT]\naws_region = us-east-1\n    aws_session_token = " + secret + "\n\n[code-fast]\naws_model_id = m\n", "aws_session_token"},
		{"continues after a blank line", "[code-fast]\naws_model_id = m\naws_region = us-east-1\n\n  aws_secret_access_key = " + secret + "\n", "aws_secret_access_key"},
		{"own line upper case", "[code-fast]\naws_model_id = m\nAWS_SECRET_ACCESS_KEY = " + secret + "\n", "aws_secret_access_key"},
		{"own line colon", "[code-fast]\naws_model_id = m\naws_secret_access_key:" + secret + "\n", "aws_secret_access_key"},
		{"dashes", "[code-fast]\naws_model_id = m\naws-secret-access-key = " + secret + "\n", "aws-secret-access-key"},
		{"in a value", "[code-fast]\naws_model_id = m\naws_region = aws_secret_access_key=" + secret + "\n", "aws_region"},
		{"unclosed header with =", "[aws_secret_access_key=" + secret + "\n", `"[aws_secret_access_key"`},
		{"unclosed header with space", "[code-fast]\naws_model_id = m\n[aws_secret_access_key " + secret + "\n", `"[aws_secret_access_key"`},
		{"header holding one", "[aws_secret_access_key=" + secret + "]\naws_model_id = m\n", "section header"},
		{"no delimiter", "[code-fast]\naws_model_id = m\naws_secret_access_key " + secret + "\n", `"aws_secret_access_key"`},
		{"duplicate", "[code-fast]\naws_model_id = m\naws_secret_access_key = a" + secret + "\naws_secret_access_key = b" + secret + "\n", "aws_secret_access_key"},
		{"from the environment", "[code-fast]\naws_model_id = m\naws_region = $LLMSTACK_TEST_SECRET_REGION\n", "aws_region"},
		{"password in a URL", "[code-fast]\naws_model_id = m\naws_endpoint_url = https://me:" + secret + "@bedrock.example\n", "aws_endpoint_url"},
		{"password in llama_swap_url", "[DEFAULT]\nllama_swap_url = http://me:" + secret + "@127.0.0.1:10102\n", "llama_swap_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("models.ini", []byte(tt.ini))
			if err == nil {
				t.Fatalf("accepted:\n%s", render(cfg, nil))
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
				t.Errorf("the error echoes the secret:\n%v", err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.want)) {
				t.Errorf("the error does not name %s:\n%v", tt.want, err)
			}
		})
	}
}

// TestValueShapes: the values that pick an identity or a destination are
// checked against their own shape, so nothing with a newline or a space in
// it reaches a region, profile, model id or URL.
func TestValueShapes(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
	}{
		{"aws_region", "us-east-1", true},
		{"aws_region", "eu-central-2", true},
		{"aws_region", "us-gov-west-1", true},
		{"aws_region", "ap-southeast-5", true},
		{"aws_region_next", "us-west-2", true},
		{"aws_region", "us-east-1\nus-west-2", false},
		{"aws_region", "US East", false},
		{"aws_region", "us-east", false},
		{"aws_region_next", "mars", false},
		{"aws_profile", "work", true},
		{"aws_profile", "team.dev-2@corp", true},
		{"aws_profile", "my work", false},
		{"aws_profile", "work\nother", false},
		{"aws_model_id", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", true},
		{"aws_model_id", "anthropic.claude-3-5-haiku-20241022-v1:0", true},
		{"aws_model_id", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0", true},
		{"aws_model_id", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6", true},
		{"aws_model_id", "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:provisioned-model/abc123", true},
		{"aws_model_id", "m", true},
		{"aws_model_id", "model a", false},
		{"aws_model_id", "model-a\nmodel-b", false},
		{"aws_model_id", "arn:aws:s3:::bucket/key", false},
		{"aws_model_id_next", "us.anthropic.claude-opus-4-5-20251101-v1:0", true},
		{"aws_model_id_next", "opus next", false},
		{"aws_endpoint_url", "http://127.0.0.1:4599", true},
		{"aws_endpoint_url", "https://bedrock-runtime.us-east-1.amazonaws.com", true},
		{"aws_endpoint_url", "http://127.0.0.1:4599/a b", false},
		{"aws_endpoint_url", "http://127.0.0.1:4599\nhttp://evil", false},
		{"aws_endpoint_url", "ftp://127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			ini := "[code-fast]\n"
			if tt.key != "aws_model_id" {
				ini += "aws_model_id = m\n"
			}
			// An indented line continues the value: the way a newline gets in.
			ini += tt.key + " = " + strings.ReplaceAll(tt.value, "\n", "\n  ") + "\n"
			cfg, err := Parse("models.ini", []byte(ini))
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted:\n%s", render(cfg, nil))
			}
			// The key, then its value or (a value that is not shown) ":".
			if e := err.Error(); !strings.Contains(e, "[code-fast] "+tt.key+" ") && !strings.Contains(e, "[code-fast] "+tt.key+":") {
				t.Errorf("the error does not name [code-fast] %s:\n%v", tt.key, err)
			}
		})
	}
}

// TestEnvReferences: an environment reference that is unset or empty is an
// error naming the variable, for every key, so a request is never signed
// with whatever identity the default chain finds; ${NAME:-default} is the
// way to fall back on purpose.
func TestEnvReferences(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_PROFILE", "team-dev")
	t.Setenv("LLMSTACK_TEST_EMPTY", "")
	t.Setenv("LLAMA_SWAP_URL", "")
	tests := []struct {
		name    string
		ini     string
		wantErr string // "" when it must parse
		check   func(*Config) string
	}{
		{name: "unset profile", ini: "[code-fast]\naws_model_id = m\naws_profile = $LLMSTACK_TEST_NOPE_PROFILE\n",
			wantErr: "[code-fast] aws_profile: refers to environment variable LLMSTACK_TEST_NOPE_PROFILE, which is not set"},
		{name: "unset region braces", ini: "[code-fast]\naws_model_id = m\naws_region = ${LLMSTACK_TEST_NOPE_REGION}\n",
			wantErr: "[code-fast] aws_region: refers to environment variable LLMSTACK_TEST_NOPE_REGION, which is not set"},
		{name: "empty profile", ini: "[code-fast]\naws_model_id = m\naws_profile = $LLMSTACK_TEST_EMPTY\n",
			wantErr: "LLMSTACK_TEST_EMPTY, which is empty"},
		{name: "unset in DEFAULT", ini: "[DEFAULT]\naws_profile = $LLMSTACK_TEST_NOPE\n\n[code-fast]\naws_model_id = m\n",
			wantErr: "[DEFAULT] aws_profile: refers to environment variable LLMSTACK_TEST_NOPE"},
		{name: "unset router_port", ini: "[DEFAULT]\nrouter_port = ${LLMSTACK_TEST_NOPE_PORT}\n",
			wantErr: "[DEFAULT] router_port: refers to environment variable LLMSTACK_TEST_NOPE_PORT"},
		{name: "unset router_host", ini: "[DEFAULT]\nrouter_host = $LLMSTACK_TEST_NOPE_HOST\n",
			wantErr: "[DEFAULT] router_host: refers to environment variable LLMSTACK_TEST_NOPE_HOST"},
		{name: "unset llama_swap_url", ini: "[DEFAULT]\nllama_swap_url = $LLMSTACK_TEST_NOPE_URL\n",
			wantErr: "[DEFAULT] llama_swap_url: refers to environment variable LLMSTACK_TEST_NOPE_URL"},
		{name: "unset in ROUTING", ini: "[ROUTING]\nmulti_turn = $LLMSTACK_TEST_NOPE_TURNS\n",
			wantErr: "[ROUTING] multi_turn: refers to environment variable LLMSTACK_TEST_NOPE_TURNS"},
		{name: "unset model id", ini: "[code-fast]\naws_model_id = $LLMSTACK_TEST_NOPE_MODEL\n",
			wantErr: "[code-fast] aws_model_id: refers to environment variable LLMSTACK_TEST_NOPE_MODEL"},
		{name: "set", ini: "[code-fast]\naws_model_id = m\naws_profile = ${LLMSTACK_TEST_PROFILE}\n",
			check: func(c *Config) string { return c.Tiers[0].Bedrock.Profile }},
		{name: "default used", ini: "[code-fast]\naws_model_id = m\naws_region = ${LLMSTACK_TEST_NOPE_REGION:-eu-west-1}\n",
			check: func(c *Config) string { return c.Tiers[0].Bedrock.Region }},
		{name: "default not used", ini: "[code-fast]\naws_model_id = m\naws_profile = ${LLMSTACK_TEST_PROFILE:-other}\n",
			check: func(c *Config) string { return c.Tiers[0].Bedrock.Profile }},
		{name: "default for empty", ini: "[code-fast]\naws_model_id = m\naws_profile = ${LLMSTACK_TEST_EMPTY:-fallback}\n",
			check: func(c *Config) string { return c.Tiers[0].Bedrock.Profile }},
		{name: "deliberately empty", ini: "[code-fast]\naws_model_id = m\naws_profile = ${LLMSTACK_TEST_NOPE_PROFILE:-}\n",
			check: func(c *Config) string { return "[" + c.Tiers[0].Bedrock.Profile + "]" }},
		{name: "bad default still checked", ini: "[code-fast]\naws_model_id = m\naws_region = ${LLMSTACK_TEST_NOPE_REGION:-moon base}\n",
			wantErr: "[code-fast] aws_region"},
	}
	want := map[string]string{"set": "team-dev", "default used": "eu-west-1", "default not used": "team-dev", "default for empty": "fallback", "deliberately empty": "[]"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("models.ini", []byte(tt.ini))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(cfg); got != want[tt.name] {
				t.Errorf("got %q, want %q", got, want[tt.name])
			}
		})
	}
}

// TestDuplicates: configparser (strict) refuses a section or a key that
// appears twice; keys are case-insensitive. [DEFAULT] may appear twice, as
// in configparser, but its keys still only once.
func TestDuplicates(t *testing.T) {
	tests := []struct {
		name    string
		ini     string
		wantErr string
	}{
		{"section", "[code-fast]\naws_model_id = a\n\n[code-fast]\naws_model_id = b\n",
			"models.ini:4 [code-fast]: section [code-fast] appears again (first on line 1)"},
		{"key", "[code-fast]\naws_model_id = a\naws_model_id = b\n",
			"models.ini:3 [code-fast] aws_model_id: set again (first on line 2)"},
		{"key in another case", "[code-fast]\nrole = fast\naws_model_id = a\nRole = agent\n",
			"models.ini:4 [code-fast] role: set again (first on line 2; keys are case-insensitive)"},
		{"key across a repeated DEFAULT", "[DEFAULT]\naws_region = us-east-1\n[DEFAULT]\naws_region = us-west-2\n",
			"models.ini:4 [DEFAULT] aws_region: set again (first on line 2)"},
		{"key in a repeated section", "[a]\naws_model_id = a\n[b]\naws_model_id = b\n[a]\nrole = fast\n",
			"models.ini:5 [a]: section [a] appears again (first on line 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("models.ini", []byte(tt.ini))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// configparser takes a second [DEFAULT] block as more of the first.
	cfg, err := Parse("models.ini", []byte("[DEFAULT]\naws_region = us-east-1\n[DEFAULT]\naws_profile = work\n[code-fast]\naws_model_id = m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Tiers[0].Bedrock; b.Region != "us-east-1" || b.Profile != "work" {
		t.Errorf("two [DEFAULT] blocks: region %q profile %q", b.Region, b.Profile)
	}
}

// TestUnknownRoleNoted: a role the classifier never routes to is noted by
// check, and the tier still loads.
func TestUnknownRoleNoted(t *testing.T) {
	cfg, err := Parse("models.ini", []byte("[code-fast]\nrole = fsat\naws_model_id = m\n\n[code-smart]\nrole = agent\naws_model_id = m2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tiers) != 2 {
		t.Fatalf("tiers: %d, want 2", len(cfg.Tiers))
	}
	want := `models.ini [code-fast] role = "fsat" is not a role auto routes to (fast, agent, plan or plan-uncensored); the tier is served by name only`
	if len(cfg.Notes) != 1 || cfg.Notes[0] != want {
		t.Errorf("notes = %q, want [%q]", cfg.Notes, want)
	}
}

// TestCredentialVariantsRefused: credential key names beyond the AWS SDK's
// own (any key naming a secret, password, access key, session or bearer
// token), credential-shaped values anywhere (AWS access key ids, Bedrock
// API keys) and "key = value" credentials in comments are refused, by line,
// without echoing what matched. An api_key is allowed only as an
// environment reference. Comments that only mention a key name stay fine.
func TestCredentialVariantsRefused(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_ROUTER_KEY", "sk-local-abc123-team") // router_api_key takes 16 characters or more
	t.Setenv("LLMSTACK_TEST_BEDROCK_KEY", "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlMTIzNDU2Nzg5MA==")
	t.Setenv("LLMSTACK_TEST_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	const (
		akid = "AKIAIOSFODNN7EXAMPLE"
		sec  = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
		absk = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlMTIzNDU2Nzg5MA=="
	)
	tier := "[code-fast]\naws_model_id = m\n"
	tests := []struct {
		name string
		ini  string
		want string // "" when the file must be accepted
	}{
		{"inline comment", tier + "aws_region = us-east-1 ; aws_secret_access_key = " + sec + "\n", "models.ini:3 [code-fast]"},
		{"full-line hash comment", tier + "# aws_access_key_id = " + akid + "\n", "models.ini:3 [code-fast]"},
		{"full-line comment without spaces", tier + ";aws_secret_access_key=" + sec + "\n", "models.ini:3 [code-fast]"},
		{"comment with a colon", tier + "; aws_session_token: FwoGZXIvYXdzEXAMPLE\n", "models.ini:3"},
		{"indented comment", tier + "    # password = hunter2hunter2\n", "models.ini:3"},
		{"comment before any section", "; aws_secret_key = " + sec + "\n" + tier, "models.ini:1"},
		{"aws_access_key", tier + "aws_access_key = " + akid + "\n", "models.ini:3 [code-fast] aws_access_key: credentials do not belong"},
		{"aws_secret_key", tier + "aws_secret_key = " + sec + "\n", "models.ini:3 [code-fast] aws_secret_key: credentials do not belong"},
		{"secret_access_key", tier + "secret_access_key = " + sec + "\n", "models.ini:3 [code-fast] secret_access_key: credentials do not belong"},
		{"bedrock api key", tier + "aws_bearer_token_bedrock = " + absk + "\n", "models.ini:3 [code-fast] aws_bearer_token_bedrock: credentials do not belong"},
		{"password", tier + "Proxy-Password = hunter2hunter2\n", "models.ini:3 [code-fast] proxy-password: credentials do not belong"},
		{"passwd", tier + "passwd = hunter2hunter2\n", "models.ini:3 [code-fast] passwd"},
		{"session_token", tier + "my_session_token = hunter2hunter2\n", "models.ini:3 [code-fast] my_session_token"},
		{"a secret continuing a value", tier + "aws_region = us-east-1\n  aws_secret_key = " + sec + "\n", "models.ini:4 [code-fast] aws_region"},
		{"an access key id as description", tier + "description = " + akid + "\n", "models.ini:3 [code-fast] description: the value holds what looks like an AWS access key id"},
		{"an access key id in prose", tier + "description = keys " + akid + ", yes\n", "models.ini:3 [code-fast] description: the value holds what looks like an AWS access key id"},
		{"a temporary key id", tier + "description = ASIAIOSFODNN7EXAMPLE\n", "AWS access key id"},
		{"a bedrock api key as a value", tier + "aliases = " + absk + "\n", "models.ini:3 [code-fast] aliases: the value holds what looks like a Bedrock API key"},
		{"an access key id continuing a value", tier + "description = a\n  " + akid + "\n", "models.ini:4 [code-fast] description"},
		{"an access key id in a comment", tier + "; old key " + akid + "\n", "models.ini:3"},
		{"an access key id in a header", "[" + akid + "]\naws_model_id = m\n", "models.ini:1"},
		{"an access key id alone", tier + akid + "\n", "models.ini:3"},
		{"api key in the file", "[DEFAULT]\nrouter_api_key = sk-local-abc123\n", "models.ini:2 [DEFAULT] router_api_key: must be an environment reference like ${VAR}"},
		{"api key with a default", "[DEFAULT]\nrouter_api_key = ${LLMSTACK_TEST_NOPE:-sk-local-abc123}\n", "router_api_key: must be an environment reference like ${VAR}"},
		{"api key in a comment", tier + "; router_api_key = sk-local-abc123\n", "models.ini:3"},
		{"api key from the environment", "[DEFAULT]\nrouter_api_key = ${LLMSTACK_TEST_ROUTER_KEY}\n" + tier, ""},
		{"an access key id from the environment", tier + "aws_profile = ${LLMSTACK_TEST_KEY_ID}\n", "[code-fast] aws_profile: environment variable LLMSTACK_TEST_KEY_ID holds what looks like an AWS access key id"},
		{"a bedrock api key as an api key", "[DEFAULT]\nrouter_api_key = ${LLMSTACK_TEST_BEDROCK_KEY}\n" + tier, ""},
		{"api key continued", "[DEFAULT]\nrouter_api_key = ${LLMSTACK_TEST_ROUTER_KEY}\n  sk-local-abc123\n" + tier, "models.ini:3 [DEFAULT] router_api_key: an indented line continues router_api_key"},
		{"api key as $VAR", "[DEFAULT]\nrouter_api_key = $LLMSTACK_TEST_ROUTER_KEY\n" + tier, ""},
		{"api key reference in a comment", tier + "; router_api_key = ${LLMSTACK_ROUTER_KEY}\n", ""},
		{"prose comments", tier + "; Put keys, SSO or credential_process in ~/.aws/config, never aws_secret_access_key.\n" +
			"# aws_session_token and passwords: none here\n; password managers are fine\n; note: aws_access_key_id =\n", ""},
		{"prose values", tier + "description = keeps secrets and passwords out of prompts\n", ""},
		{"long upper-case model id", "[code-fast]\naws_model_id = ABIAMODELX\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("models.ini", []byte(tt.ini))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted:\n%s", render(cfg, nil))
			}
			for _, s := range []string{akid, sec[:12], absk[:12], "hunter2", "sk-local", "FwoGZXIv"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error echoes %q:\n%v", s, err)
				}
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the error does not say %s:\n%v", tt.want, err)
			}
		})
	}
}

// TestShippedExamplesPass: the built-in models.ini and every models.ini
// example in the README pass the credential guard (their comments talk
// about credentials without holding any).
func TestShippedExamplesPass(t *testing.T) {
	t.Setenv("LLAMA_SWAP_URL", "")
	t.Setenv("LLMSTACK_KEY", "the-team-key-of-the-readme") // team mode's example names it
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```ini\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no ini block in README.md")
	}
	inputs := map[string][]byte{"assets/models.ini": assets.DefaultModelsINI}
	for i, b := range blocks {
		inputs[fmt.Sprintf("README.md ini block %d", i+1)] = b[1]
	}
	for name, data := range inputs {
		if _, err := Parse(name, data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
