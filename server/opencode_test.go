package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/assets"
	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// opencodeINI covers what the opencode config takes from models.ini: a
// thinking tier, price overrides, a one-hour cache, a tier without a
// price, an alias, and a gguf tier without max_output_tokens.
const opencodeINI = `[code-fast]
role = fast
aws_model_id = global.anthropic.claude-haiku-4-5-20251001-v1:0
ctx_size = 200000
max_output_tokens = 16000
price_output_per_mtok = 4.5

[code-smart]
role = agent
description = Agentic coding with tools
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_model_id_next = us.anthropic.claude-opus-4-5-20251101-v1:0
ctx_size = 200000
max_output_tokens = 32000
prompt_cache = on
prompt_cache_ttl = 1h
aliases = smart

[llama]
aws_model_id = meta.llama3-3-70b-instruct-v1:0
ctx_size = 128000
max_output_tokens = 8192

[plan-uncensored]
role = plan-uncensored
hf_repo = org/repo-GGUF
hf_file = model.gguf
ctx_size = 32768
`

func TestOpencodeConfig(t *testing.T) {
	t.Setenv("LLAMA_SWAP_URL", "")
	tests := []struct {
		name    string
		ini     []byte
		useNext bool
	}{
		{"tiers", []byte(opencodeINI), false},
		{"tiers-next", []byte(opencodeINI), true},
		{"default-models-ini", assets.DefaultModelsINI, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tiers.Parse("models.ini", tt.ini)
			if err != nil {
				t.Fatal(err)
			}
			out, err := server.OpencodeConfig(cfg, "http://127.0.0.1:10101/v1", tt.useNext)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "opencode/"+tt.name+".json", out)
		})
	}
}

func TestMergeOpencodeConfig(t *testing.T) {
	cfg, err := tiers.Parse("models.ini", []byte(opencodeINI))
	if err != nil {
		t.Fatal(err)
	}
	existing, err := os.ReadFile("testdata/opencode/existing.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := server.MergeOpencodeConfig(existing, cfg, "http://127.0.0.1:10101/v1", false)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "opencode/merged.json", out)

	// Merging again changes nothing.
	again, err := server.MergeOpencodeConfig(out, cfg, "http://127.0.0.1:10101/v1", false)
	if err != nil || string(again) != string(out) {
		t.Errorf("a second merge changed the file (%v):\n%s", err, again)
	}
	// An empty file is a new one.
	fresh, err := server.MergeOpencodeConfig(nil, cfg, "http://127.0.0.1:10101/v1", false)
	want, _ := server.OpencodeConfig(cfg, "http://127.0.0.1:10101/v1", false)
	if err != nil || string(fresh) != string(want) {
		t.Errorf("merging into nothing: %v\n%s", err, fresh)
	}

	// What the user set in the llmstack provider stays; only its models
	// and base URL are llmstack's.
	var doc struct {
		Provider map[string]struct {
			Name    string
			Options map[string]any
			Models  map[string]any
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Provider["llmstack"]
	if p.Name != "my router" || p.Options["apiKey"] != "{env:LLMSTACK_KEY}" || p.Options["timeout"] != 300000.0 ||
		p.Options["headers"].(map[string]any)["X-Team"] != "core" || p.Options["baseURL"] != "http://127.0.0.1:10101/v1" {
		t.Errorf("llmstack provider after the merge: name %q, options %v", p.Name, p.Options)
	}
	if _, stale := p.Models["stale-tier"]; stale || p.Models["code-smart"] == nil {
		t.Errorf("models not replaced: %v", p.Models)
	}

	for _, bad := range []struct{ name, content, says string }{
		{"comments", "{\n  // my settings\n  \"theme\": \"x\"\n}", "not one plain JSON object"},
		{"array", `["x"]`, "not one plain JSON object"},
		{"two objects", `{} {}`, "more after the object"},
		{"provider not an object", `{"provider": "llmstack"}`, `"provider" is not a JSON object`},
		{"llmstack not an object", `{"provider": {"llmstack": true}}`, `"provider.llmstack" is not a JSON object`},
		{"options not an object", `{"provider": {"llmstack": {"options": []}}}`, `"provider.llmstack.options" is not a JSON object`},
		{"duplicate key", `{"model": "a/b", "theme": "x", "model": "c/d"}`, `"model" twice`},
		{"duplicate nested key", `{"provider": {"llmstack": {"options": {"baseURL": "x", "baseURL": "y"}}}}`, `"baseURL" twice in provider.llmstack.options`},
		{"duplicate key elsewhere", `{"keybinds": {"leader": "a", "leader": "b"}}`, `"leader" twice in keybinds`},
		{"duplicate provider", `{"provider": {"llmstack": {}, "llmstack": {}}}`, `"llmstack" twice in provider`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			out, err := server.MergeOpencodeConfig([]byte(bad.content), cfg, "http://127.0.0.1:10101/v1", false)
			if err == nil || !strings.Contains(err.Error(), bad.says) || out != nil {
				t.Errorf("merge into %q: %v, %q; want an error saying %q", bad.content, err, out, bad.says)
			}
		})
	}
}

// TestOpencodeConfigShape checks the fields opencode reads, whatever the
// golden files say.
func TestOpencodeConfigShape(t *testing.T) {
	cfg, _ := tiers.Parse("models.ini", []byte(opencodeINI))
	out, _ := server.OpencodeConfig(cfg, "http://127.0.0.1:10101/v1", false)
	var doc struct {
		Model      string
		SmallModel string `json:"small_model"`
		Provider   map[string]struct {
			NPM     string
			Options struct{ BaseURL string }
			Models  map[string]struct {
				Reasoning bool
				Variants  map[string]map[string]string
				Limit     *struct{ Context, Output int }
				Cost      *struct {
					Input, Output float64
					CacheRead     float64 `json:"cache_read"`
					CacheWrite    float64 `json:"cache_write"`
				}
			}
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Provider["llmstack"]
	if p.NPM != "@ai-sdk/openai-compatible" || p.Options.BaseURL != "http://127.0.0.1:10101/v1" || doc.SmallModel != "llmstack/code-fast" {
		t.Errorf("provider %+v, small_model %q", p, doc.SmallModel)
	}
	for _, name := range []string{"auto", "code-fast", "code-smart", "smart", "llama", "plan-uncensored"} {
		if _, ok := p.Models[name]; !ok {
			t.Errorf("no model %q", name)
		}
	}
	smart := p.Models["code-smart"]
	if !smart.Reasoning || smart.Variants["high"]["reasoningEffort"] != "high" || smart.Limit.Context != 200000 || smart.Limit.Output != 32000 {
		t.Errorf("code-smart: %+v", smart)
	}
	// Sonnet 4.5 through us.: 10 % over the global price; the one-hour
	// cache write, as the tier's prompt_cache_ttl says.
	if c := smart.Cost; c == nil || c.Input != 3.3 || c.CacheWrite != 6.6 {
		t.Errorf("code-smart cost: %+v", smart.Cost)
	}
	if l := p.Models["llama"]; l.Cost != nil || l.Reasoning {
		t.Errorf("llama (no price known, no thinking): %+v", l)
	}
	if g := p.Models["plan-uncensored"]; g.Limit.Output != 8192 || g.Cost == nil || g.Cost.Input != 0 {
		t.Errorf("gguf tier: limit %+v cost %+v", g.Limit, g.Cost)
	}
}

func TestWriteOpencodeConfig(t *testing.T) {
	cfg, _ := tiers.Parse("models.ini", []byte(opencodeINI))
	dir := t.TempDir()
	existing, _ := os.ReadFile("testdata/opencode/existing.json")
	path := dir + "/opencode.json"
	if err := os.WriteFile(path, existing, 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := server.WriteOpencodeConfig(dir, cfg, "http://127.0.0.1:10101/v1", false)
	if err != nil || got != path {
		t.Fatalf("WriteOpencodeConfig = %q, %v", got, err)
	}
	written, _ := os.ReadFile(path)
	want, _ := os.ReadFile("testdata/opencode/merged.json")
	if string(written) != string(want) {
		t.Errorf("written file differs from merged.json:\n%s", written)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left beside opencode.json: %v", entries)
	}

	// A file with comments is left as it is.
	commented := "{\n  // mine\n  \"theme\": \"x\"\n}\n"
	os.WriteFile(path, []byte(commented), 0o644)
	if _, err := server.WriteOpencodeConfig(dir, cfg, "http://127.0.0.1:10101/v1", false); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("commented file: %v, want an error naming it", err)
	}
	if b, _ := os.ReadFile(path); string(b) != commented {
		t.Errorf("commented file was changed:\n%s", b)
	}
	if _, err := server.WriteOpencodeConfig(dir+"/nope", cfg, "http://127.0.0.1:10101/v1", false); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("missing directory: %v", err)
	}

	// A file with a key twice is left as it is: opencode reads the last.
	twice := `{"model": "llmstack/auto", "model": "anthropic/x"}`
	os.WriteFile(path, []byte(twice), 0o644)
	if _, err := server.WriteOpencodeConfig(dir, cfg, "http://127.0.0.1:10101/v1", false); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"model" twice`) {
		t.Errorf("file with a key twice: %v, want an error naming it and the key", err)
	}
	if b, _ := os.ReadFile(path); string(b) != twice {
		t.Errorf("file with a key twice was changed:\n%s", b)
	}
}

// TestWriteOpencodeConfigSymlink: an opencode.json that is a symlink (a
// dotfiles repository's) stays one; the file it points to is updated, with
// its own permissions.
func TestWriteOpencodeConfigSymlink(t *testing.T) {
	cfg, _ := tiers.Parse("models.ini", []byte(opencodeINI))
	dir, dotfiles := t.TempDir(), t.TempDir()
	target := filepath.Join(dotfiles, "opencode.json")
	existing, _ := os.ReadFile("testdata/opencode/existing.json")
	if err := os.WriteFile(target, existing, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "opencode.json")
	rel, _ := filepath.Rel(dir, target)
	if err := os.Symlink(rel, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	got, err := server.WriteOpencodeConfig(dir, cfg, "http://127.0.0.1:10101/v1", false)
	if err != nil {
		t.Fatal(err)
	}
	realTarget, _ := filepath.EvalSymlinks(target)
	if got != realTarget {
		t.Errorf("WriteOpencodeConfig = %q, want the file it wrote, %q", got, realTarget)
	}
	if dest, err := os.Readlink(link); err != nil || dest != rel {
		t.Errorf("opencode.json is no longer the symlink to %s: %q, %v", rel, dest, err)
	}
	written, _ := os.ReadFile(target)
	want, _ := os.ReadFile("testdata/opencode/merged.json")
	if string(written) != string(want) {
		t.Errorf("the symlink's target differs from merged.json:\n%s", written)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v, want its own 0600", fi.Mode().Perm())
	}
	for _, d := range []string{dir, dotfiles} {
		if entries, _ := os.ReadDir(d); len(entries) != 1 {
			t.Errorf("files left in %s: %v", d, entries)
		}
	}

	// A symlink to nothing is refused, not replaced by a file.
	os.Remove(target)
	if _, err := server.WriteOpencodeConfig(dir, cfg, "http://127.0.0.1:10101/v1", false); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("dangling symlink: %v, want an error saying so", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the dangling symlink was replaced: %v", err)
	}
}
