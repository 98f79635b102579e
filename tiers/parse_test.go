package tiers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/assets"
	"github.com/llmstack/llmstack/internal/golden"
)

// TestParse parses each testdata/parse/*.ini and compares the resulting
// config (or the error text) with the .golden file next to it.
func TestParse(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_PROFILE", "team-dev")
	t.Setenv("LLMSTACK_TEST_UNSET_VAR", "")
	t.Setenv("LLMSTACK_TEST_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("LLAMA_SWAP_URL", "")
	t.Setenv("LLMSTACK_TEST_ROUTER_KEY", testRouterKey)
	t.Setenv("LLMSTACK_TEST_SHORT_KEY", "short-key")
	files, err := filepath.Glob("testdata/parse/*.ini")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".ini")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse("models.ini", data)
			out := render(cfg, err)
			for _, key := range []string{testRouterKey, "short-key", "hunter2"} {
				if strings.Contains(string(out), key) {
					t.Errorf("the parsed config or its error shows router_api_key's value %q:\n%s", key, out)
				}
			}
			golden.Assert(t, "parse/"+name+".golden", out)
		})
	}
}

// testRouterKey is the router_api_key of team.ini; no golden may show it.
const testRouterKey = "team-key-0123456789abcdef"

func render(cfg *Config, err error) []byte {
	if err != nil {
		return []byte("error:\n" + err.Error() + "\n")
	}
	out, _ := json.MarshalIndent(cfg, "", "  ")
	return append(out, '\n')
}

func TestDefaultModelsINI(t *testing.T) {
	cfg, err := Parse("models.ini", assets.DefaultModelsINI)
	if err != nil {
		t.Fatalf("embedded default models.ini does not parse: %v", err)
	}
	for _, role := range []string{RoleFast, RoleAgent, RolePlan, RolePlanUncensored} {
		if cfg.ByRole(role) == nil {
			t.Errorf("default models.ini has no tier with role %q", role)
		}
	}
	if cfg.Addr() != "127.0.0.1:10101" {
		t.Errorf("default address = %s", cfg.Addr())
	}
}

func TestSecretsNeverEchoed(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	for _, file := range []string{"secrets.ini", "continuation-secret.ini", "duplicates.ini", "credential-variants.ini"} {
		data, err := os.ReadFile("testdata/parse/" + file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse("models.ini", data)
		if err == nil {
			t.Errorf("%s: credentials in models.ini were accepted", file)
			continue
		}
		for _, secret := range []string{"AKIAEXAMPLEKEYVALUE1", "wJalrXUtnFEMIEXAMPLESECRETVALUE", "FwoGZXIvYXdzEXAMPLETOKENVALUE", "123456789012",
			"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENG", "ABSKQmVkcm9ja0FQ", "sk-local-abc123"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error message echoes a secret %q:\n%s", file, secret, err)
			}
		}
	}
}

func TestLlamaSwapURLFromEnv(t *testing.T) {
	t.Setenv("LLAMA_SWAP_URL", "http://10.0.0.5:8080/")
	cfg, err := Parse("models.ini", []byte("[DEFAULT]\nllama_swap_url = http://127.0.0.1:1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LlamaSwapURL != "http://10.0.0.5:8080" {
		t.Errorf("LlamaSwapURL = %q, want the environment's value", cfg.LlamaSwapURL)
	}
}

func TestLookupAndChannels(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_PROFILE", "team-dev")
	data, _ := os.ReadFile("testdata/parse/python-compat.ini")
	cfg, err := Parse("models.ini", data)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		model   string
		useNext bool
		tier    string
		active  string
		channel Channel
	}{
		{"code-fast", false, "code-fast", "us.anthropic.claude-haiku-4-5-20251001-v1:0", ChannelCurrent},
		{"quick", true, "code-fast", "us.anthropic.claude-haiku-4-5-20251001-v1:0", ChannelCurrent},
		{"code-smart", false, "code-smart", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", ChannelCurrent},
		{"code-smart", true, "code-smart", "us.anthropic.claude-opus-4-5-20251101-v1:0", ChannelNext},
		{"local-coder", true, "local-coder", "bartowski/Qwen_Qwen3-30B-A3B-GGUF/Qwen_Qwen3-30B-A3B-Q4_K_M.gguf", ChannelCurrent}, // llama-swap picks gguf files
		{"local-coder", false, "local-coder", "bartowski/Qwen_Qwen3-30B-A3B-GGUF/Qwen_Qwen3-30B-A3B-Q4_K_M.gguf", ChannelCurrent},
	}
	if got := cfg.Lookup("local-coder").NextModel(); got != "bartowski/Qwen_Qwen3-30B-A3B-GGUF/Qwen_Qwen3-30B-A3B-Q6_K.gguf" {
		t.Errorf("gguf NextModel = %q", got)
	}
	for _, tt := range tests {
		tier := cfg.Lookup(tt.model)
		if tier == nil || tier.Name != tt.tier {
			t.Errorf("Lookup(%q) = %v, want tier %s", tt.model, tier, tt.tier)
			continue
		}
		if got := tier.Model(tt.useNext); got != tt.active {
			t.Errorf("%s next=%v: model %q, want %q", tt.model, tt.useNext, got, tt.active)
		}
		if got := tier.Channel(tt.useNext); got != tt.channel {
			t.Errorf("%s next=%v: channel %q, want %q", tt.model, tt.useNext, got, tt.channel)
		}
	}
	smart := cfg.Lookup("code-smart").Bedrock
	if got := smart.Active(true).Region; got != "us-west-2" {
		t.Errorf("next region = %q, want aws_region_next", got)
	}
	fast := cfg.Lookup("code-fast").Bedrock
	if got := fast.Active(true).Region; got != "eu-west-1" {
		t.Errorf("region without a next target = %q, want the [DEFAULT] region", got)
	}
	if cfg.Lookup("unknown") != nil || cfg.Lookup("notes") != nil {
		t.Error("Lookup found a tier that does not exist")
	}
	if got := cfg.Profiles(); len(got) != 2 || got[0] != "" || got[1] != "team-dev" {
		t.Errorf("Profiles() = %q, want default chain and team-dev", got)
	}
}

func TestUseNextFromEnv(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{{"1", true}, {"true", true}, {"YES", true}, {" on ", true}, {"0", false}, {"", false}, {"next", false}} {
		t.Setenv("LLMSTACK_USE_NEXT", tt.val)
		if got := UseNextFromEnv(); got != tt.want {
			t.Errorf("LLMSTACK_USE_NEXT=%q: %v, want %v", tt.val, got, tt.want)
		}
	}
}

func TestParseSampler(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"temp=0.2, top_p=0.9, top_k=20, min_p=0.05, rep_pen=1.05", "temp=0.2, top_p=0.9, top_k=20, min_p=0.05, rep_pen=1.05", ""},
		{" TEMP = 0.5 ,", "temp=0.5", ""},
		{"", "", ""},
		{"temp", "", `"temp" is not key=value`},
		{"temp=warm", "", `temp="warm" is not a number`},
	}
	for _, tt := range tests {
		s, err := ParseSampler(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSampler(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || s.String() != tt.want {
			t.Errorf("ParseSampler(%q) = %q, %v; want %q", tt.in, s.String(), err, tt.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_PROFILE", "team-dev")
	t.Setenv("LLAMA_SWAP_URL", "")
	data, _ := os.ReadFile("testdata/parse/python-compat.ini")
	cfg, err := Parse("models.ini", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range []bool{false, true} {
		var b strings.Builder
		if err := cfg.WriteTable(&b, next); err != nil {
			t.Fatal(err)
		}
		name := "table-current.txt"
		if next {
			name = "table-next.txt"
		}
		golden.Assert(t, name, []byte(b.String()))
	}
}

func TestResolvePath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("HOME", dir)
	t.Setenv(ConfigEnv, "")

	// First run: the default file is written from the embedded one.
	path, created, err := ResolvePath("")
	if err != nil || !created || path != filepath.Join(dir, "xdg", "llmstack", "models.ini") {
		t.Fatalf("first run: %q created=%v err=%v", path, created, err)
	}
	if data, _ := os.ReadFile(path); string(data) != string(assets.DefaultModelsINI) {
		t.Error("the written models.ini is not the embedded default")
	}
	// Second run: it is used as is.
	os.WriteFile(path, []byte("[code-fast]\naws_model_id = mine\n"), 0o644)
	if p, created, err := ResolvePath(""); err != nil || created || p != path {
		t.Errorf("second run: %q created=%v err=%v", p, created, err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "mine") {
		t.Error("an existing models.ini was overwritten")
	}
	// $LLMSTACK_CONFIG, then --config, win; neither is created when missing.
	envPath := filepath.Join(dir, "env.ini")
	os.WriteFile(envPath, nil, 0o644)
	t.Setenv(ConfigEnv, envPath)
	if p, _, err := ResolvePath(""); err != nil || p != envPath {
		t.Errorf("LLMSTACK_CONFIG: %q %v", p, err)
	}
	flagPath := filepath.Join(dir, "missing.ini")
	if p, created, err := ResolvePath(flagPath); err == nil || created || p != flagPath {
		t.Errorf("a missing --config file: %q created=%v err=%v", p, created, err)
	}
}

// TestFallbackChain: a tier's fallbacks in the order a request tries them,
// each fallback's own fallbacks right after it, every tier once.
func TestFallbackChain(t *testing.T) {
	const ini = `[a]
aws_model_id = m-a
fallback = b, c
[b]
aws_model_id = m-b
fallback = d, c
[c]
aws_model_id = m-c
aliases = cee
[d]
aws_model_id = m-d
fallback = cee
[alone]
aws_model_id = m-alone
`
	cfg, err := Parse("models.ini", []byte(ini))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tier string
		want string
	}{
		{"a", "b d c"},
		{"b", "d c"},
		{"d", "c"},
		{"c", ""},
		{"alone", ""},
	} {
		var names []string
		for _, f := range cfg.FallbackChain(cfg.Lookup(tc.tier)) {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("FallbackChain(%s) = %q, want %q", tc.tier, got, tc.want)
		}
	}
}

// TestRouterAPIKey: team mode's key is read from the environment, shown
// nowhere, and its reference is kept for the commands that print it.
func TestRouterAPIKey(t *testing.T) {
	t.Setenv("LLMSTACK_TEST_ROUTER_KEY", testRouterKey)
	t.Setenv("LLMSTACK_TEST_EMPTY_KEY", "")
	for _, tc := range []struct {
		name, ini string
		key, ref  string
		host      string
		wantErr   string
	}{
		{name: "loopback without a key", ini: "[DEFAULT]\nrouter_host = 127.0.0.1\n", host: "127.0.0.1"},
		{name: "loopback with a key", ini: "[DEFAULT]\nrouter_api_key = ${LLMSTACK_TEST_ROUTER_KEY}\n", key: testRouterKey, ref: "${LLMSTACK_TEST_ROUTER_KEY}", host: "127.0.0.1"},
		{name: "team host with a key", ini: "[DEFAULT]\nrouter_host = llm.example.internal\nrouter_api_key = $LLMSTACK_TEST_ROUTER_KEY\n", key: testRouterKey, ref: "$LLMSTACK_TEST_ROUTER_KEY", host: "llm.example.internal"},
		{name: "team host without a key", ini: "[DEFAULT]\nrouter_host = 10.1.2.3\n",
			wantErr: `[DEFAULT] router_host = "10.1.2.3": is not a loopback address, so it needs router_api_key = ${ENV_VAR}`},
		{name: "team host with an empty key", ini: "[DEFAULT]\nrouter_host = 10.1.2.3\nrouter_api_key = ${LLMSTACK_TEST_EMPTY_KEY:-}\n",
			wantErr: `router_host = "10.1.2.3": is not a loopback address, so it needs router_api_key`},
		{name: "key in a tier", ini: "[code-fast]\naws_model_id = m\nrouter_api_key = ${LLMSTACK_TEST_ROUTER_KEY}\n",
			wantErr: "[code-fast] router_api_key: belongs in [DEFAULT]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("models.ini", []byte(tc.ini))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testRouterKey) {
					t.Errorf("the error shows the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(cfg.RouterAPIKey) != tc.key || cfg.RouterAPIKeyRef != tc.ref || cfg.RouterHost != tc.host {
				t.Errorf("key %q ref %q host %q; want %q %q %q", cfg.RouterAPIKey, cfg.RouterAPIKeyRef, cfg.RouterHost, tc.key, tc.ref, tc.host)
			}
			if s := fmt.Sprint(cfg.RouterAPIKey) + fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg.RouterAPIKey); tc.key != "" && strings.Contains(s, tc.key) {
				t.Errorf("printing the config shows the key: %s", s)
			}
		})
	}
}
