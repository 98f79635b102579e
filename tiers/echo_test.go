package tiers

import (
	"strings"
	"testing"
)

// TestErrorsNeverEchoSecrets: whatever check a value fails, the error (which
// check prints, serve logs and /health shows as config_error) never echoes
// a value that may hold a secret: a URL with a user name or password in any
// scheme or shape, a value spanning lines, a value that came from the
// environment (its reference is shown instead) or one that looks like a key.
func TestErrorsNeverEchoSecrets(t *testing.T) {
	t.Setenv("LLAMA_SWAP_URL", "")
	t.Setenv("LLMSTACK_TEST_TOKEN", "tok9f8e7d6c5b4a3210")
	t.Setenv("LLMSTACK_TEST_MODEL", "model tok9f8e7d6c5b4a3210")
	tests := []struct {
		name   string
		env    map[string]string
		ini    string
		hidden []string // none of these may appear
		want   string   // in the error
	}{
		{name: "password in an ftp URL",
			ini:    "[code-fast]\naws_model_id = m\naws_endpoint_url = ftp://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY@example.com\n",
			hidden: []string{"wJalrXUtnFEMI", "AKIAIOSFODNN7EXAMPLE", "K7MDENG"}, want: "aws_endpoint_url"},
		{name: "password in a URL continued on the next line",
			ini:    "[code-fast]\naws_model_id = m\naws_endpoint_url = https://admin:Sup3rS3cretPassw0rd@bedrock.internal.example\n  /v1\n",
			hidden: []string{"Sup3rS3cretPassw0rd", "admin"}, want: "aws_endpoint_url"},
		{name: "password in a URL with a space",
			ini:    "[DEFAULT]\nllama_swap_url = http://u:pw@127.0.0.1:10102 x\n",
			hidden: []string{"u:pw"}, want: "llama_swap_url"},
		{name: "user and password without a scheme",
			ini:    "[DEFAULT]\nllama_swap_url = u:hunter2hunter2@127.0.0.1:10102\n",
			hidden: []string{"hunter2"}, want: "llama_swap_url"},
		{name: "region from the environment",
			ini:    "[code-fast]\naws_model_id = m\naws_region = ${LLMSTACK_TEST_TOKEN}\n",
			hidden: []string{"tok9f8e7d6c5b4a3210"}, want: `aws_region = "${LLMSTACK_TEST_TOKEN}"`},
		{name: "model id from the environment",
			ini:    "[code-fast]\naws_model_id = $LLMSTACK_TEST_MODEL\n",
			hidden: []string{"tok9f8e7d6c5b4a3210"}, want: `aws_model_id = "$LLMSTACK_TEST_MODEL"`},
		{name: "inherited from DEFAULT through the environment",
			ini:    "[DEFAULT]\naws_profile = ${LLMSTACK_TEST_MODEL}\n[code-fast]\naws_model_id = m\n",
			hidden: []string{"tok9f8e7d6c5b4a3210"}, want: `aws_profile = "${LLMSTACK_TEST_MODEL}"`},
		{name: "a default that holds a password",
			ini:    "[DEFAULT]\nllama_swap_url = ${LLMSTACK_TEST_NOPE_URL:-ftp://me:hunter2hunter2@127.0.0.1}\n",
			hidden: []string{"hunter2"}, want: "llama_swap_url"},
		{name: "LLAMA_SWAP_URL", env: map[string]string{"LLAMA_SWAP_URL": "http://u:pw@127.0.0.1 x"},
			ini:    "[code-fast]\naws_model_id = m\n",
			hidden: []string{"u:pw"}, want: `llama_swap_url = "$LLAMA_SWAP_URL"`},
		{name: "an access key id as the region",
			ini:    "[code-fast]\naws_model_id = m\naws_region = ${LLMSTACK_TEST_NOPE_REGION:-AKIAIOSFODNN7EXAMPLE}\n",
			hidden: []string{"AKIAIOSFODNN7EXAMPLE"}, want: "aws_region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := Parse("models.ini", []byte(tt.ini))
			if err == nil {
				t.Fatalf("accepted:\n%s", render(cfg, nil))
			}
			for _, h := range tt.hidden {
				if strings.Contains(err.Error(), h) {
					t.Errorf("the error echoes %q:\n%v", h, err)
				}
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the error does not say %s:\n%v", tt.want, err)
			}
		})
	}
}

// TestKeylessSecretsNotEchoed: a secret pasted without a key name, on its
// own line or on an indented line that continues another key's value, is
// refused and shown at most by a short prefix or its size.
func TestKeylessSecretsNotEchoed(t *testing.T) {
	const secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name string
		ini  string
		want string
	}{
		{"bare line", "[code-fast]\naws_model_id = m\n" + secret + "\n", `models.ini:3 [code-fast]: "wJal…" (38 characters) is not a "key = value" line`},
		{"bare line, lower case", "[code-fast]\naws_model_id = m\nhunter2hunter2\n", `"hunt…" (14 characters)`},
		{"before any section", secret + "\n", `models.ini:1: "wJal…" (38 characters)`},
		{"first word of a line", secret + " more\n", `models.ini:1: "wJal…" (38 characters)… is not`},
		{"continues aws_region", "[code-fast]\naws_model_id = m\naws_region = us-east-1\n  " + secret + "\n", "[code-fast] aws_region: must be one AWS region like us-east-1, eu-central-2 or us-gov-west-1 (a value spanning 2 lines, not shown)"},
		{"continues description after a blank line", "[code-fast]\naws_model_id = m\nctx_size = x\n\n  " + secret + "\n", "ctx_size: must contain a whole number of tokens (a value spanning 3 lines, not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("models.ini", []byte(tt.ini))
			if err == nil {
				t.Fatalf("accepted:\n%s", render(cfg, nil))
			}
			if strings.Contains(err.Error(), secret[:8]) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error echoes the secret:\n%v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the error does not say %s:\n%v", tt.want, err)
			}
		})
	}
}
