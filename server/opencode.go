package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmstack/llmstack/internal/atomicfile"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/tiers"
)

// OpencodeProvider is the provider id llmstack takes in opencode.json.
const OpencodeProvider = "llmstack"

// opencodeOutputFallback is the output limit given to a tier whose
// models.ini sets no max_output_tokens: opencode needs one to keep room
// for the answer when it compacts, and 32,000 is its own default.
const opencodeOutputFallback = 32000

// opencodeEfforts are the thinking variants of a thinking tier: opencode
// sends the one the user picks (ctrl+t) as reasoning_effort.
var opencodeEfforts = []string{"none", "low", "medium", "high"}

type opencodeProviderConfig struct {
	NPM     string                         `json:"npm"`
	Name    string                         `json:"name"`
	Options opencodeProviderOptions        `json:"options"`
	Models  map[string]opencodeModelConfig `json:"models"`
}

type opencodeProviderOptions struct {
	BaseURL string `json:"baseURL"`
	// APIKey is opencode's reference to the router's key, {env:VAR}, in
	// team mode: the file never holds the key itself.
	APIKey string `json:"apiKey,omitempty"`
}

type opencodeModelConfig struct {
	Name      string                       `json:"name"`
	ToolCall  bool                         `json:"tool_call"`
	Reasoning bool                         `json:"reasoning,omitempty"`
	Variants  map[string]map[string]string `json:"variants,omitempty"`
	Limit     *opencodeLimit               `json:"limit,omitempty"`
	Cost      *opencodeCost                `json:"cost,omitempty"`
}

type opencodeLimit struct {
	Context int `json:"context"`
	Output  int `json:"output"`
}

// opencodeCost is in US dollars per million tokens, as opencode counts.
type opencodeCost struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
}

// OpencodeConfig is opencode.json for cfg: the llmstack provider
// (@ai-sdk/openai-compatible at baseURL) with auto, every tier and every
// alias, "model" auto and "small_model" the fast tier. Limits come from
// ctx_size and max_output_tokens, cost from the price table (and the
// tier's price keys), thinking variants from the model's thinking style.
// auto is described as the agent tier: every request of opencode declares
// tools, and auto sends those there.
func OpencodeConfig(cfg *tiers.Config, baseURL string, useNext bool) ([]byte, error) {
	doc := []member{
		{"$schema", mustJSON("https://opencode.ai/config.json")},
		{"provider", mustJSON(map[string]opencodeProviderConfig{OpencodeProvider: opencodeProvider(cfg, baseURL, useNext)})},
	}
	return encodeObject(append(doc, opencodeModels(cfg)...))
}

// opencodeModels are the top-level "model" and "small_model" members.
func opencodeModels(cfg *tiers.Config) []member {
	out := []member{{"model", mustJSON(OpencodeProvider + "/" + tiers.AutoModel)}}
	if fast := cfg.ByRole(tiers.RoleFast); fast != nil {
		out = append(out, member{"small_model", mustJSON(OpencodeProvider + "/" + fast.Name)})
	}
	return out
}

func opencodeProvider(cfg *tiers.Config, baseURL string, useNext bool) opencodeProviderConfig {
	p := opencodeProviderConfig{NPM: "@ai-sdk/openai-compatible", Name: "llmstack", Options: opencodeProviderOptions{BaseURL: baseURL},
		Models: map[string]opencodeModelConfig{}}
	if v := cfg.RouterAPIKeyVar(); v != "" {
		p.Options.APIKey = "{env:" + v + "}"
	}
	if agent := TierForRole(cfg, tiers.RoleAgent); agent != nil {
		m := opencodeModel(agent, useNext)
		m.Name = "auto (llmstack picks the tier; as " + agent.Name + " with tools)"
		p.Models[tiers.AutoModel] = m
	}
	for _, t := range cfg.Tiers {
		m := opencodeModel(t, useNext)
		p.Models[t.Name] = m
		for _, a := range t.Aliases {
			alias := m
			alias.Name = a + " (alias of " + t.Name + ")"
			p.Models[a] = alias
		}
	}
	return p
}

func opencodeModel(t *tiers.Tier, useNext bool) opencodeModelConfig {
	m := opencodeModelConfig{Name: t.Description, ToolCall: true}
	if m.Name == "" || m.Name == t.Name {
		m.Name = t.Name
	}
	if t.CtxSize > 0 {
		out := t.MaxOutputTokens
		if out <= 0 {
			out = min(opencodeOutputFallback, t.CtxSize/4)
		}
		m.Limit = &opencodeLimit{Context: t.CtxSize, Output: out}
	}
	model := t.Model(useNext)
	if price, ok := bedrock.TierPrice(t, model); ok {
		write := price.CacheWrite5m
		if t.Bedrock != nil && t.Bedrock.PromptCacheTTL == "1h" {
			write = price.CacheWrite1h
		}
		m.Cost = &opencodeCost{Input: round6(price.Input), Output: round6(price.Output), CacheRead: round6(price.CacheRead), CacheWrite: round6(write)}
	}
	if t.Bedrock != nil && (t.Bedrock.Thinking != "" || bedrock.ModelThinking(model) != "") {
		m.Reasoning = true
		m.Variants = map[string]map[string]string{}
		for _, e := range opencodeEfforts {
			m.Variants[e] = map[string]string{"reasoningEffort": e}
		}
	}
	return m
}

// round6 keeps a price readable: 3.3000000000000003 is 3.3.
func round6(v float64) float64 {
	const f = 1e6
	if v < 0 {
		return -round6(-v)
	}
	return float64(int64(v*f+0.5)) / f
}

// MergeOpencodeConfig puts the llmstack provider for cfg into an existing
// opencode.json, keeping every other key and provider as they are, in
// their order. In an llmstack provider the file already has, only
// "models" and options.baseURL are replaced: the user's own settings
// (apiKey, headers, other options, a name) stay. "model" and
// "small_model" are set only where the file has none or names an
// llmstack model. A file that is not one plain JSON object (opencode also
// reads comments, which a rewrite would lose), or that has a key twice in
// one object (opencode reads the last), is refused, untouched.
func MergeOpencodeConfig(existing []byte, cfg *tiers.Config, baseURL string, useNext bool) ([]byte, error) {
	if len(bytes.TrimSpace(existing)) == 0 {
		return OpencodeConfig(cfg, baseURL, useNext)
	}
	doc, err := decodeObject(existing)
	if err != nil {
		return nil, fmt.Errorf("it is not one plain JSON object (%v); llmstack rewrites only plain JSON, so that nothing in it is lost: merge the output of `llmstack opencode` by hand", err)
	}
	if err := duplicateKey(existing); err != nil {
		return nil, err
	}
	var providers []member
	if raw, ok := lookup(doc, "provider"); ok {
		if providers, err = decodeObject(raw); err != nil {
			return nil, fmt.Errorf(`its "provider" is not a JSON object (%v)`, err)
		}
	}
	ours := opencodeProvider(cfg, baseURL, useNext)
	provider := mustJSON(ours)
	if raw, ok := lookup(providers, OpencodeProvider); ok {
		if provider, err = mergeProvider(raw, ours); err != nil {
			return nil, err
		}
	}
	providers = set(providers, OpencodeProvider, provider)
	pj, err := encodeObject(providers)
	if err != nil {
		return nil, err
	}
	if _, ok := lookup(doc, "$schema"); !ok {
		doc = append([]member{{"$schema", mustJSON("https://opencode.ai/config.json")}}, doc...)
	}
	doc = set(doc, "provider", pj)
	for _, m := range opencodeModels(cfg) {
		var current string
		if raw, ok := lookup(doc, m.key); ok && json.Unmarshal(raw, &current) == nil && !strings.HasPrefix(current, OpencodeProvider+"/") {
			continue // the user's own choice of another provider's model
		}
		doc = set(doc, m.key, m.value)
	}
	return encodeObject(doc)
}

// mergeProvider updates the file's llmstack provider (raw) with ours:
// "models" and options.baseURL are replaced, npm and name set where the
// file has none, and everything else the user set is kept.
func mergeProvider(raw json.RawMessage, ours opencodeProviderConfig) (json.RawMessage, error) {
	p, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf(`its "provider.%s" is not a JSON object (%v)`, OpencodeProvider, err)
	}
	var options []member
	if raw, ok := lookup(p, "options"); ok {
		if options, err = decodeObject(raw); err != nil {
			return nil, fmt.Errorf(`its "provider.%s.options" is not a JSON object (%v)`, OpencodeProvider, err)
		}
	}
	options = set(options, "baseURL", mustJSON(ours.Options.BaseURL))
	oj, err := encodeObject(options)
	if err != nil {
		return nil, err
	}
	for _, m := range []member{{"npm", mustJSON(ours.NPM)}, {"name", mustJSON(ours.Name)}} {
		if _, ok := lookup(p, m.key); !ok {
			p = append(p, m)
		}
	}
	p = set(p, "options", oj)
	p = set(p, "models", mustJSON(ours.Models))
	return encodeObject(p)
}

// duplicateKey reports the first key that appears twice in one object of
// a JSON document: opencode reads the last of them, and a merge that
// updated the first would change nothing opencode sees.
func duplicateKey(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := tok.(string)
				if seen[key] {
					where := ""
					if path != "" {
						where = " in " + path
					}
					return fmt.Errorf("it has %q twice%s; opencode reads the last one, so llmstack does not guess which to update: remove one and run again", key, where)
				}
				seen[key] = true
				child := key
				if path != "" {
					child = path + "." + key
				}
				if err := walk(child); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return walk("")
}

// WriteOpencodeConfig merges the llmstack provider into dir/opencode.json
// (MergeOpencodeConfig), creating the file when there is none, and
// returns the path of the file it wrote. The file is replaced whole, by
// rename, with its own permissions; an opencode.json that is a symlink
// stays one, and the file it points to is the one replaced.
func WriteOpencodeConfig(dir string, cfg *tiers.Config, baseURL string, useNext bool) (string, error) {
	path := filepath.Join(dir, "opencode.json")
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			dest, _ := os.Readlink(path)
			return path, fmt.Errorf("%s is a symlink to %s, which cannot be followed (%v); point it at a file, or remove it to have one written", path, dest, unwrapPath(err))
		}
		path = target
	}
	existing, err := os.ReadFile(path)
	perm := os.FileMode(0o644)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return path, fmt.Errorf("%s is not a directory", dir)
		}
	case err != nil:
		return path, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	default:
		if fi, err := os.Stat(path); err == nil {
			perm = fi.Mode().Perm()
		}
	}
	out, err := MergeOpencodeConfig(existing, cfg, baseURL, useNext)
	if err != nil {
		return path, fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.Write(path, out, perm); err != nil {
		return path, fmt.Errorf("cannot write %s: %v", path, err)
	}
	return path, nil
}

// member is one member of a JSON object, kept in the order of the file.
type member struct {
	key   string
	value json.RawMessage
}

func decodeObject(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("it does not start with {")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("there is more after the object")
	}
	return out, nil
}

func encodeObject(ms []member) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func lookup(ms []member, key string) (json.RawMessage, bool) {
	for _, m := range ms {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// set replaces key's value where it is, or appends it.
func set(ms []member, key string, v json.RawMessage) []member {
	for i := range ms {
		if ms[i].key == key {
			ms[i].value = v
			return ms
		}
	}
	return append(ms, member{key, v})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types reach here
	}
	return b
}
