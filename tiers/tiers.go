// Package tiers owns models.ini: the committable inventory of model tiers that
// the router serves. It parses the file with Python configparser semantics
// (so files written for the Python llmstack keep working), validates it, and
// watches it for edits.
package tiers

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"
)

// Backend says who serves a tier.
type Backend string

const (
	// BackendBedrock tiers are served by AWS Bedrock through the Converse API.
	BackendBedrock Backend = "bedrock"
	// BackendGGUF tiers are served by llama-swap from a GGUF file.
	BackendGGUF Backend = "gguf"
)

// Channel names which of a tier's two targets is live.
type Channel string

const (
	// ChannelCurrent is the tier's primary target (aws_model_id, hf_file).
	ChannelCurrent Channel = "current"
	// ChannelNext is the pre-staged upgrade (aws_model_id_next, hf_file_next).
	ChannelNext Channel = "next"
)

// Roles the auto classifier routes to.
const (
	RoleFast           = "fast"
	RoleAgent          = "agent"
	RolePlan           = "plan"
	RolePlanUncensored = "plan-uncensored"
)

// Defaults for [DEFAULT] and [ROUTING].
const (
	DefaultRouterHost      = "127.0.0.1"
	DefaultRouterPort      = 10101
	DefaultLlamaSwapURL    = "http://127.0.0.1:10102"
	DefaultMultiTurn       = 10
	DefaultFastTokenBudget = 4000
)

// AutoModel is the model name that asks the router to classify the request.
const AutoModel = "auto"

// Config is one parsed models.ini.
type Config struct {
	// Path is the file the config was read from ("" when parsed from memory).
	Path string
	// RouterHost and RouterPort are where the router listens.
	RouterHost string
	RouterPort int
	// LlamaSwapURL is the base URL of llama-swap (no trailing slash).
	LlamaSwapURL string
	// Routing holds the auto classifier's thresholds.
	Routing Routing
	// Tiers in file order.
	Tiers []*Tier
	// RouterAPIKey, when set, is the key every request must carry
	// (team mode); it comes from the environment, never from the file.
	RouterAPIKey Secret `json:",omitempty"`
	// RouterAPIKeyRef is the environment reference router_api_key was
	// read from (${LLMSTACK_KEY}), for commands that tell clients where
	// the key is without showing it.
	RouterAPIKeyRef string `json:",omitempty"`
	// Notes name sections that look like tiers but are not (no model
	// keys and no backend), so a typo in aws_model_id is not silent.
	Notes []string

	byName map[string]*Tier // names and aliases
}

// Routing holds the [ROUTING] thresholds of the auto classifier.
type Routing struct {
	// MultiTurn is the number of user turns at which a conversation goes to
	// the agent tier.
	MultiTurn int
	// FastTokenBudget is the estimated prompt size (tokens) above which a
	// request goes to the agent tier.
	FastTokenBudget int
}

// Tier is one model tier: a name clients ask for and the model behind it.
type Tier struct {
	Name        string
	Role        string
	Description string
	Backend     Backend
	CtxSize     int
	Aliases     []string
	Sampler     Sampler
	// MaxOutputTokens, when set, is the default and the ceiling for the
	// number of tokens a bedrock tier may generate.
	MaxOutputTokens int
	// Price overrides the built-in price table for this tier's model
	// (keys price_*_per_mtok); unset fields keep the table's figure.
	Price PriceOverride `json:",omitzero"`
	// DailyBudgetUSD, when above zero, is what the tier may spend in one
	// local day before it answers 429 (key daily_budget_usd).
	DailyBudgetUSD float64 `json:",omitempty"`
	// Fallbacks name, in order, the bedrock tiers a request goes to when
	// this one's model throttles, is unavailable or times out before it
	// answered (key fallback; tier names, aliases resolved).
	Fallbacks []string `json:",omitempty"`
	Bedrock   *Bedrock // set when Backend is BackendBedrock
	GGUF      *GGUF    // set when Backend is BackendGGUF
}

// Bedrock is where a bedrock tier's requests go. It names an identity (an AWS
// profile), never a secret.
type Bedrock struct {
	ModelID     string
	ModelIDNext string
	Region      string
	RegionNext  string
	Profile     string
	EndpointURL string
	// PromptCache marks the stable prefix of each request (tools, system
	// prompt, conversation so far) for Bedrock's prompt cache.
	PromptCache bool

	// Reasoning is the tier's extended-thinking default (key reasoning),
	// for requests without reasoning_effort.
	Reasoning Reasoning `json:",omitzero"`
	// Thinking overrides the model family's thinking style (key thinking:
	// budget or adaptive); "" uses the router's built-in table.
	Thinking string `json:",omitempty"`
	// PromptCacheTTL is how long the automatic cache points keep a prefix
	// ("5m" or "1h"); "" is Bedrock's default, five minutes.
	PromptCacheTTL string `json:",omitempty"`
	// StreamIdleTimeout ends a stream on which Bedrock sends nothing for
	// this long; 0 means the router's default.
	StreamIdleTimeout time.Duration `json:",omitempty"`
}

// PriceOverride holds a tier's own prices in USD per million tokens. A nil
// field leaves the built-in table's figure (or none) in place.
type PriceOverride struct {
	Input      *float64 `json:",omitempty"`
	Output     *float64 `json:",omitempty"`
	CacheRead  *float64 `json:",omitempty"`
	CacheWrite *float64 `json:",omitempty"`
}

// IsZero reports whether the tier overrides no price.
func (p PriceOverride) IsZero() bool {
	return p.Input == nil && p.Output == nil && p.CacheRead == nil && p.CacheWrite == nil
}

// GGUF is the file llama-swap serves for a gguf tier.
type GGUF struct {
	HFRepo     string
	HFFile     string
	HFRepoNext string
	HFFileNext string
}

// Target is a bedrock tier's model and region on one channel.
type Target struct {
	ModelID string
	Region  string // "" means the profile's or environment's default region
	Channel Channel
}

// HasNext reports whether the tier declares a next-channel model.
func (b *Bedrock) HasNext() bool { return b.ModelIDNext != "" }

// Active returns the target for the given channel choice. A tier without a
// next model stays on its current one; the next region falls back to the
// current region.
func (b *Bedrock) Active(useNext bool) Target {
	if useNext && b.HasNext() {
		region := b.RegionNext
		if region == "" {
			region = b.Region
		}
		return Target{ModelID: b.ModelIDNext, Region: region, Channel: ChannelNext}
	}
	return Target{ModelID: b.ModelID, Region: b.Region, Channel: ChannelCurrent}
}

// HasNext reports whether the tier declares a next-channel file.
func (g *GGUF) HasNext() bool { return g.HFFileNext != "" || g.HFRepoNext != "" }

// Model describes the model serving the tier in one line, for status
// displays: the Bedrock model id of the chosen channel, or "repo/file" for
// gguf tiers. The channel switch is the router's for bedrock tiers only;
// which file llama-swap loads for a gguf tier is llama-swap's
// configuration, so a gguf tier always shows its current file.
func (t *Tier) Model(useNext bool) string {
	switch {
	case t.Bedrock != nil:
		return t.Bedrock.Active(useNext).ModelID
	case t.GGUF != nil:
		return joinNonEmpty(t.GGUF.HFRepo, t.GGUF.HFFile)
	}
	return ""
}

// NextModel is the tier's next-channel model ("repo/file" of
// hf_repo_next/hf_file_next for gguf tiers), or "" when it has none.
func (t *Tier) NextModel() string {
	switch {
	case t.Bedrock != nil && t.Bedrock.HasNext():
		return t.Bedrock.ModelIDNext
	case t.GGUF != nil && t.GGUF.HasNext():
		g := t.GGUF
		return joinNonEmpty(firstNonEmpty(g.HFRepoNext, g.HFRepo), firstNonEmpty(g.HFFileNext, g.HFFile))
	}
	return ""
}

// Channel is the channel the router serves the tier on: next when it is
// selected and the bedrock tier has a next model, else current.
func (t *Tier) Channel(useNext bool) Channel {
	if useNext && t.Bedrock != nil && t.Bedrock.HasNext() {
		return ChannelNext
	}
	return ChannelCurrent
}

// Lookup finds a tier by name or alias.
func (c *Config) Lookup(name string) *Tier {
	return c.byName[name]
}

// ByRole returns the first tier with the given role, or nil.
func (c *Config) ByRole(role string) *Tier {
	for _, t := range c.Tiers {
		if t.Role == role {
			return t
		}
	}
	return nil
}

// Addr is the router's listen address from [DEFAULT].
func (c *Config) Addr() string {
	return joinHostPort(c.RouterHost, c.RouterPort)
}

// FallbackChain is every tier a request for t tries after t, in order:
// each of t's fallbacks followed by its own fallbacks, each tier once.
// Parse refuses cycles, so the chain ends.
func (c *Config) FallbackChain(t *Tier) []*Tier {
	if t == nil || len(t.Fallbacks) == 0 {
		return nil
	}
	seen := map[*Tier]bool{t: true}
	var out []*Tier
	var walk func(*Tier)
	walk = func(t *Tier) {
		for _, name := range t.Fallbacks {
			f := c.Lookup(name)
			if f == nil || seen[f] {
				continue
			}
			seen[f] = true
			out = append(out, f)
			walk(f)
		}
	}
	walk(t)
	return out
}

// RouterAPIKeyVar is the environment variable router_api_key names, or ""
// when no key is set.
func (c *Config) RouterAPIKeyVar() string {
	if c.RouterAPIKey == "" {
		return ""
	}
	ref, _ := parseEnvRef(c.RouterAPIKeyRef)
	return ref.name
}

// Secret is a value that must not be shown: printed, logged or marshalled
// it reads "[redacted]". Convert it to a string to use it.
type Secret string

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return `"[redacted]"` }

// Format hides the secret from every fmt verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// MarshalText hides the secret from JSON and from slog.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Profiles returns the distinct AWS profiles the bedrock tiers use, in tier
// order; "" stands for the SDK's default credential chain.
func (c *Config) Profiles() []string {
	var out []string
	for _, t := range c.Tiers {
		if t.Bedrock != nil && !slices.Contains(out, t.Bedrock.Profile) {
			out = append(out, t.Bedrock.Profile)
		}
	}
	return out
}

// UseNextFromEnv reads LLMSTACK_USE_NEXT: 1, true, yes or on (any case)
// selects the next channel.
func UseNextFromEnv() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("LLMSTACK_USE_NEXT"))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// IsLoopbackHost reports whether host (a name or an IP address) is this
// machine: "localhost" or a loopback address.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d", host, port)
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
