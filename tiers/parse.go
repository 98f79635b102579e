package tiers

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Error is a problem with one value of models.ini. It names the file, the
// section and the key so the user can find it; Value is empty when echoing
// it would leak a secret.
type Error struct {
	File string
	// Line is the line the problem is on, when it is one line's (0 if not).
	Line    int
	Section string
	Key     string
	Value   string
	Problem string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Section != "" {
		fmt.Fprintf(&b, " [%s]", e.Section)
	}
	if e.Key != "" {
		b.WriteString(" " + e.Key)
		if e.Value != "" {
			fmt.Fprintf(&b, " = %q", e.Value)
		}
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

const routingSection = "ROUTING"

// ReadError says models.ini could not be read at all (it is missing, not
// permitted, a directory), as opposed to read and found invalid.
type ReadError struct {
	Path string
	// From names who chose the path ("--config", "$LLMSTACK_CONFIG"), or "".
	From string
	Err  error
}

func (e *ReadError) Error() string {
	reason := e.Err
	var pe *fs.PathError
	if errors.As(reason, &pe) {
		reason = pe.Err // the path is already said
	}
	msg := fmt.Sprintf("cannot read %s: %v", e.Path, reason)
	if e.From != "" {
		msg += fmt.Sprintf(" (named by %s)", e.From)
	}
	return msg
}

func (e *ReadError) Unwrap() error { return e.Err }

// Load reads and parses the models.ini at path. A file that cannot be read
// is a *ReadError.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ReadError{Path: path, Err: err}
	}
	return Parse(path, data)
}

// Parse parses models.ini content; name is used in error messages and kept
// as Config.Path. All problems found are returned together.
func Parse(name string, data []byte) (*Config, error) {
	defaultSec, sections, errs := readINI(name, data)
	p := parser{file: name, errs: errs, withheld: map[string]bool{}, refs: map[string]string{}}
	cfg := &Config{
		Path:         name,
		RouterHost:   DefaultRouterHost,
		RouterPort:   DefaultRouterPort,
		LlamaSwapURL: DefaultLlamaSwapURL,
		Routing:      Routing{MultiTurn: DefaultMultiTurn, FastTokenBudget: DefaultFastTokenBudget},
		byName:       map[string]*Tier{},
	}

	defaults := p.values(defaultSec)
	p.routerKey(defaults, cfg)
	if v := defaults["router_host"]; v != "" {
		switch {
		case !validHost(v):
			p.fail(defaultSection, "router_host", v, "must be one host name or IP address, without a port (router_port sets that)")
		case IsLoopbackHost(v) || cfg.RouterAPIKey != "":
			cfg.RouterHost = v
		case p.withheld[defaultSection+"\x00router_api_key"]:
			// The key's problem is reported already; this one would
			// only repeat it.
		default:
			p.fail(defaultSection, "router_host", v, "is not a loopback address, so it needs router_api_key = ${ENV_VAR} too, with the key in that environment variable "+
				"(team mode: every request must then carry the key); without a key the router serves this machine only (127.0.0.1, ::1 or localhost)")
		}
	}
	if v, ok := defaults["router_port"]; ok && v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 1 || port > 65535 {
			p.fail(defaultSection, "router_port", v, "must be a port number between 1 and 65535")
		} else {
			cfg.RouterPort = port
		}
	}
	if v := defaults["llama_swap_url"]; v != "" {
		cfg.LlamaSwapURL = v
	}
	if env := strings.TrimSpace(os.Getenv("LLAMA_SWAP_URL")); env != "" {
		cfg.LlamaSwapURL = env
		p.refs[defaultSection+"\x00llama_swap_url"] = "$LLAMA_SWAP_URL"
	}
	cfg.LlamaSwapURL = strings.TrimRight(cfg.LlamaSwapURL, "/")
	p.checkURL(defaultSection, "llama_swap_url", cfg.LlamaSwapURL)

	for _, sec := range sections {
		name := sec.name
		own := p.values(sec)
		vals := make(map[string]string, len(defaults)+len(own))
		for k, v := range defaults {
			vals[k] = v
		}
		for k, v := range own {
			vals[k] = v
		}
		if name == routingSection {
			p.routing(vals, &cfg.Routing)
			continue
		}
		if t := p.tier(name, own, vals); t != nil {
			cfg.Tiers = append(cfg.Tiers, t)
			if t.Role != "" && !slices.Contains(knownRoles, t.Role) {
				cfg.Notes = append(cfg.Notes, fmt.Sprintf("%s [%s] role = %q is not a role auto routes to (fast, agent, plan or plan-uncensored); the tier is served by name only", p.file, name, t.Role))
			}
		} else if key := tierLikeKey(own); key != "" {
			cfg.Notes = append(cfg.Notes, fmt.Sprintf("%s [%s] is not a tier: it sets %s but has no aws_model_id (bedrock), hf_repo and hf_file (gguf), or backend", p.file, name, key))
		}
	}
	p.index(cfg)
	p.fallbacks(cfg)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

// knownRoles are the roles the auto classifier routes to.
var knownRoles = []string{RoleFast, RoleAgent, RolePlan, RolePlanUncensored}

type parser struct {
	file string
	errs []error
	// withheld holds "section\x00key" for values already reported
	// (credentials, unset environment variables): they read as empty and
	// are not reported again as missing.
	withheld map[string]bool
	// refs holds, by "section\x00key", the environment reference each key
	// was read from ("" for a value written in the file), so errors show
	// the reference, never what it expands to.
	refs map[string]string
}

// fail records a problem with a value. It is the one place an Error gets a
// Value, so it decides what may be shown: a value that came from the
// environment is shown as its reference (the file does not show it either),
// and a value that may hold a secret is not shown at all.
func (p *parser) fail(section, key, value, problem string) {
	if value != "" {
		if ref := p.reference(section, key); ref != "" {
			value = ref
		}
		if why := unshowable(value); why != "" {
			value, problem = "", problem+" ("+why+", not shown)"
		}
	}
	p.errs = append(p.errs, &Error{File: p.file, Section: section, Key: key, Value: value, Problem: problem})
}

// reference returns the environment reference a section's key was read
// from (its own, else the one it inherits from [DEFAULT]), or "".
func (p *parser) reference(section, key string) string {
	if ref, own := p.refs[section+"\x00"+key]; own {
		return ref
	}
	return p.refs[defaultSection+"\x00"+key]
}

// unshowable says why a value must not appear in an error, or "" when it
// may: it spans lines (any of them could be a pasted secret), carries a
// user name and password, or looks like or names a credential.
func unshowable(v string) string {
	switch {
	case strings.Contains(v, "\n"):
		return fmt.Sprintf("a value spanning %d lines", strings.Count(v, "\n")+1)
	case hasUserinfo(v):
		return "a URL with a user name or password"
	case credentialShape(v) != "":
		return "it looks like " + credentialShape(v)
	case credentialIn(v) != "":
		return "it names a credential key"
	}
	return ""
}

// hasUserinfo reports whether v may carry "user:password@": anything after
// "://" with an "@" in it (whatever the scheme, however malformed), or
// "user:password@" without a scheme.
func hasUserinfo(v string) bool {
	if i := strings.Index(v, "://"); i >= 0 && strings.Contains(v[i:], "@") {
		return true
	}
	return userinfoRE.MatchString(v)
}

// values returns a section's own keys with environment references
// expanded. A reference to a variable that is unset or empty is an error:
// falling back silently could sign requests as another identity.
func (p *parser) values(sec *section) map[string]string {
	out := make(map[string]string, len(sec.keys))
	for _, e := range sec.keys {
		v := e.value
		p.refs[sec.name+"\x00"+e.name] = ""
		if e.withheld {
			p.withheld[sec.name+"\x00"+e.name] = true
			out[e.name] = ""
			continue
		}
		if ref, ok := parseEnvRef(v); ok {
			p.refs[sec.name+"\x00"+e.name] = v
			env, set := os.LookupEnv(ref.name)
			switch env = strings.TrimSpace(env); {
			case env != "":
				v = env
			case ref.hasDefault:
				v = ref.def
			default:
				state := "not set"
				if set {
					state = "empty"
				}
				p.fail(sec.name, e.name, "", fmt.Sprintf("refers to environment variable %s, which is %s: set it, or write ${%s:-VALUE} to fall back to VALUE on purpose (${%s:-} for none)", ref.name, state, ref.name, ref.name))
				p.withheld[sec.name+"\x00"+e.name] = true
				v = ""
			}
			what := ""
			if cred := credentialIn(v); cred != "" {
				what = "names " + cred
			} else if shape := credentialShape(v); shape != "" && !isAPIKey(e.name) {
				what = "holds what looks like " + shape // an api_key holds one by design
			}
			if what != "" {
				p.fail(sec.name, e.name, "", fmt.Sprintf("environment variable %s %s: %s", ref.name, what, credentialAdvice))
				p.withheld[sec.name+"\x00"+e.name] = true
				v = ""
			}
		}
		out[e.name] = v
	}
	return out
}

func (p *parser) routing(vals map[string]string, r *Routing) {
	for _, f := range []struct {
		key string
		dst *int
	}{{"multi_turn", &r.MultiTurn}, {"fast_token_budget", &r.FastTokenBudget}} {
		key, dst := f.key, f.dst
		v, ok := vals[key]
		if !ok || v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.fail(routingSection, key, v, "must be a positive whole number")
			continue
		}
		*dst = n
	}
}

// tier builds a tier from a section, or returns nil when the section is not
// a tier (no backend of its own and no model keys, like [ROUTING]). own holds the
// section's own keys, vals those merged with [DEFAULT].
func (p *parser) tier(name string, own, vals map[string]string) *Tier {
	_, hasAWS := vals["aws_model_id"]
	_, hasRepo := vals["hf_repo"]
	_, hasFile := vals["hf_file"]
	if _, explicit := own["backend"]; !explicit && !hasAWS && !hasRepo && !hasFile {
		return nil
	}
	// Key presence, not value, decides: a model id that names an unset
	// environment variable must be reported, not make the tier vanish.
	backend := Backend(strings.ToLower(vals["backend"]))
	if backend == "" {
		backend = BackendGGUF
		if hasAWS {
			backend = BackendBedrock
		}
	}

	t := &Tier{
		Name:        name,
		Role:        vals["role"],
		Description: vals["description"],
		Backend:     backend,
	}
	if t.Description == "" {
		t.Description = name
	}
	if v := vals["ctx_size"]; v != "" {
		m := firstInt.FindString(v)
		// The first number of one line ("32768 tokens"), not of whatever
		// an indented line folded in.
		if m == "" || strings.Contains(v, "\n") {
			p.fail(name, "ctx_size", v, "must contain a whole number of tokens")
		} else {
			t.CtxSize, _ = strconv.Atoi(m)
		}
	}
	if v := vals["max_output_tokens"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.fail(name, "max_output_tokens", v, "must be a positive whole number")
		} else {
			t.MaxOutputTokens = n
		}
	}
	p.spend(name, vals, t)
	if _, ok := own["router_api_key"]; ok {
		p.fail(name, "router_api_key", "", "belongs in [DEFAULT]: it is the router's key, not a tier's")
	}
	for _, f := range strings.Split(vals["fallback"], ",") {
		if f = strings.TrimSpace(f); f != "" {
			t.Fallbacks = append(t.Fallbacks, f)
		}
	}
	if len(t.Fallbacks) > 0 && backend != BackendBedrock {
		p.fail(name, "fallback", vals["fallback"], "only bedrock tiers fall back: a gguf tier's requests pass through to llama-swap as they are")
		t.Fallbacks = nil
	}
	for _, a := range strings.Split(vals["aliases"], ",") {
		if a = strings.TrimSpace(a); a != "" {
			t.Aliases = append(t.Aliases, a)
		}
	}
	if v := vals["sampler"]; v != "" {
		s, err := ParseSampler(v)
		if err != nil {
			p.fail(name, "sampler", v, err.Error())
		}
		t.Sampler = s
	}

	switch backend {
	case BackendBedrock:
		b := &Bedrock{
			ModelID:     vals["aws_model_id"],
			ModelIDNext: vals["aws_model_id_next"],
			Region:      vals["aws_region"],
			RegionNext:  vals["aws_region_next"],
			Profile:     vals["aws_profile"],
			EndpointURL: strings.TrimRight(vals["aws_endpoint_url"], "/"),
		}
		if b.ModelID == "" {
			p.missing(name, "aws_model_id", "a bedrock tier needs the Bedrock model id or inference profile it serves")
		}
		// These pick the identity and the destination of every request:
		// each must have its own shape, so nothing folded in by an
		// indented line (or an environment variable) gets through.
		for _, c := range []struct {
			key, value string
			ok         func(string) bool
			want       string
		}{
			{"aws_model_id", b.ModelID, validModelID, wantModelID},
			{"aws_model_id_next", b.ModelIDNext, validModelID, wantModelID},
			{"aws_region", b.Region, regionRE.MatchString, wantRegion},
			{"aws_region_next", b.RegionNext, regionRE.MatchString, wantRegion},
			{"aws_profile", b.Profile, validProfile, wantProfile},
		} {
			if c.value != "" && !c.ok(c.value) {
				p.fail(name, c.key, c.value, c.want)
			}
		}
		if b.EndpointURL != "" {
			p.checkURL(name, "aws_endpoint_url", b.EndpointURL)
		}
		if v := vals["prompt_cache"]; v != "" {
			on, ok := parseBool(v)
			if !ok {
				p.fail(name, "prompt_cache", v, "must be on or off (true/false, yes/no, 1/0)")
			}
			b.PromptCache = on
		}
		if v := vals["reasoning"]; v != "" {
			r, err := ParseReasoning(v)
			if err != nil {
				p.fail(name, "reasoning", v, err.Error())
			}
			b.Reasoning = r
		}
		if v := vals["thinking"]; v != "" {
			th, err := ParseThinking(v)
			if err != nil {
				p.fail(name, "thinking", v, err.Error())
			}
			b.Thinking = th
		}
		if v := vals["prompt_cache_ttl"]; v != "" {
			switch ttl := strings.ToLower(v); ttl {
			case "5m", "1h":
				b.PromptCacheTTL = ttl
			default:
				p.fail(name, "prompt_cache_ttl", v, "must be 5m or 1h (how long Bedrock keeps a cached prefix)")
			}
		}
		if v := vals["stream_idle_timeout"]; v != "" {
			d, err := parseSeconds(v)
			if err != nil {
				p.fail(name, "stream_idle_timeout", v, err.Error())
			}
			b.StreamIdleTimeout = d
		}
		t.Bedrock = b
	case BackendGGUF:
		g := &GGUF{
			HFRepo:     vals["hf_repo"],
			HFFile:     vals["hf_file"],
			HFRepoNext: vals["hf_repo_next"],
			HFFileNext: vals["hf_file_next"],
		}
		for _, k := range []string{"hf_repo", "hf_file"} {
			if vals[k] == "" {
				p.missing(name, k, "a gguf tier needs hf_repo and hf_file")
			}
		}
		t.GGUF = g
	default:
		p.fail(name, "backend", string(backend), "unknown backend; use bedrock or gguf")
		return nil
	}
	return t
}

// spend reads a tier's price overrides and daily budget. [DEFAULT] may set
// them for every tier; they are dollars, so a negative or non-numeric value
// is refused rather than read as zero.
func (p *parser) spend(name string, vals map[string]string, t *Tier) {
	for _, f := range []struct {
		key string
		dst **float64
	}{
		{"price_input_per_mtok", &t.Price.Input},
		{"price_output_per_mtok", &t.Price.Output},
		{"price_cache_read_per_mtok", &t.Price.CacheRead},
		{"price_cache_write_per_mtok", &t.Price.CacheWrite},
	} {
		if v := vals[f.key]; v != "" {
			if n, ok := parseDollars(v); ok {
				*f.dst = &n
			} else {
				p.fail(name, f.key, v, "must be a price in US dollars per million tokens, like 3 or 0.30 (0 for free)")
			}
		}
	}
	if v := vals["daily_budget_usd"]; v != "" {
		n, ok := parseDollars(v)
		if !ok {
			p.fail(name, "daily_budget_usd", v, "must be an amount in US dollars, like 5 or 12.50 (0 for no budget)")
		}
		t.DailyBudgetUSD = n
	}
}

// parseDollars reads a non-negative amount, with or without a leading "$".
func parseDollars(v string) (float64, bool) {
	n, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(v), "$"), 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// index builds the name/alias table and reports clashes.
func (p *parser) index(cfg *Config) {
	claim := func(key string, t *Tier, what string) {
		if key == AutoModel {
			p.fail(t.Name, what, key, `"auto" is reserved for the router's classifier`)
			return
		}
		if other, ok := cfg.byName[key]; ok && other != t {
			p.fail(t.Name, what, key, fmt.Sprintf("already names tier [%s]", other.Name))
			return
		}
		cfg.byName[key] = t
	}
	for _, t := range cfg.Tiers {
		claim(t.Name, t, "")
	}
	for _, t := range cfg.Tiers {
		for _, a := range t.Aliases {
			claim(a, t, "aliases")
		}
	}
}

// MinRouterAPIKeyLen is the shortest router_api_key the router takes: a
// key anyone on the network may guess at must not be short.
const MinRouterAPIKeyLen = 16

// routerKey reads router_api_key from [DEFAULT]. The ini reader has made
// sure it is an environment reference; an empty one (${VAR:-}) is no key.
func (p *parser) routerKey(defaults map[string]string, cfg *Config) {
	v := defaults["router_api_key"]
	if v == "" {
		return
	}
	ref := p.reference(defaultSection, "router_api_key")
	if n := len(v); n < MinRouterAPIKeyLen {
		p.fail(defaultSection, "router_api_key", "", fmt.Sprintf("the key in %s is %d characters long; use at least %d (for example the output of: openssl rand -hex 24)", ref, n, MinRouterAPIKeyLen))
		p.withheld[defaultSection+"\x00router_api_key"] = true
		return
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		p.fail(defaultSection, "router_api_key", "", fmt.Sprintf("the key in %s has spaces or control characters; clients could not send it in a header", ref))
		p.withheld[defaultSection+"\x00router_api_key"] = true
		return
	}
	cfg.RouterAPIKey, cfg.RouterAPIKeyRef = Secret(v), ref
}

// fallbacks resolves each tier's fallbacks to tier names and reports
// names of no tier, of gguf tiers or of the tier itself, and cycles.
func (p *parser) fallbacks(cfg *Config) {
	for _, t := range cfg.Tiers {
		var names []string
		for _, name := range t.Fallbacks {
			f := cfg.Lookup(name)
			switch {
			case f == nil:
				p.fail(t.Name, "fallback", name, "names no tier in this file")
			case f == t:
				p.fail(t.Name, "fallback", name, "names the tier itself")
			case f.Backend != BackendBedrock:
				p.fail(t.Name, "fallback", name, fmt.Sprintf("names [%s], a %s tier: fallbacks must be bedrock tiers (the router answers those itself, so it can try another before the client sees anything)", f.Name, f.Backend))
			case !slices.Contains(names, f.Name):
				names = append(names, f.Name)
			}
		}
		t.Fallbacks = names
	}
	// A cycle is found from the first of its tiers in file order, and
	// reported once.
	reported := map[string]bool{}
	state := map[string]int{} // 0 unseen, 1 on the path, 2 done
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = 1
		path = append(path, name)
		for _, next := range cfg.Lookup(name).Fallbacks {
			switch state[next] {
			case 0:
				visit(next)
			case 1:
				cycle := append(slices.Clone(path[slices.Index(path, next):]), next)
				members := slices.Sorted(slices.Values(cycle[:len(cycle)-1]))
				if key := strings.Join(members, "\x00"); !reported[key] {
					reported[key] = true
					p.fail(cycle[0], "fallback", "", "the fallbacks go round in a cycle: "+strings.Join(cycle, " → ")+"; a request must end somewhere, so break the cycle")
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = 2
	}
	for _, t := range cfg.Tiers {
		if state[t.Name] == 0 {
			visit(t.Name)
		}
	}
}

// validHost accepts one host name or IP address, without a port.
func validHost(v string) bool {
	return net.ParseIP(strings.Trim(v, "[]")) != nil || hostRE.MatchString(v)
}

func (p *parser) missing(section, key, why string) {
	if p.withheld[section+"\x00"+key] || p.withheld[defaultSection+"\x00"+key] {
		return // already reported (an unset environment variable, a credential)
	}
	p.fail(section, key, "", "missing: "+why)
}

// checkURL reports a URL that is not one http(s) URL or that carries a
// user name or password (the value is then not shown).
func (p *parser) checkURL(section, key, v string) {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.IndexFunc(v, unicode.IsSpace) >= 0:
		p.fail(section, key, v, "must be one http:// or https:// URL, without spaces or line breaks")
	case u.User != nil:
		p.fail(section, key, "", "must not carry a user name or password: "+credentialAdvice)
	}
}

const (
	wantRegion  = "must be one AWS region like us-east-1, eu-central-2 or us-gov-west-1"
	wantProfile = "must be one AWS profile name (from ~/.aws/config), without spaces or line breaks"
	wantModelID = "must be one Bedrock model id, inference profile id or ARN (like us.anthropic.claude-sonnet-4-5-20250929-v1:0), without spaces or line breaks"
)

var (
	hostRE     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)
	firstInt   = regexp.MustCompile(`\d+`)
	userinfoRE = regexp.MustCompile(`[^\s:/@]+:[^\s@]*@`)
	envRefRE   = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	modelIDRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	modelARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:(bedrock|sagemaker):[a-z0-9-]+:([0-9]{12})?:[a-z-]+/[A-Za-z0-9._:/-]+$`)
)

// validModelID accepts a Bedrock model id or inference profile id
// (us.anthropic.claude-…-v1:0) or the ARN of a model, inference profile or
// provisioned model.
func validModelID(v string) bool {
	if len(v) > 2048 {
		return false
	}
	if strings.HasPrefix(v, "arn:") {
		return modelARNRE.MatchString(v)
	}
	return modelIDRE.MatchString(v)
}

// validProfile accepts one profile name: no spaces, line breaks or control
// characters.
func validProfile(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// envRef is a whole-value environment reference: $NAME, ${NAME} or
// ${NAME:-default}.
type envRef struct {
	name       string
	hasDefault bool
	def        string
}

func parseEnvRef(v string) (envRef, bool) {
	m := envRefRE.FindStringSubmatch(v)
	if m == nil {
		return envRef{}, false
	}
	return envRef{name: m[1] + m[4], hasDefault: m[2] != "", def: strings.TrimSpace(m[3])}, true
}

// parseBool reads a boolean the way configparser's getboolean does.
func parseBool(v string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on":
		return true, true
	case "0", "no", "false", "off":
		return false, true
	}
	return false, false
}

// tierLikeKeys are keys only a tier section has.
var tierLikeKeys = []string{"role", "description", "aliases", "ctx_size", "sampler", "max_output_tokens", "prompt_cache",
	"prompt_cache_ttl", "stream_idle_timeout", "reasoning", "thinking", "price_input_per_mtok", "price_output_per_mtok",
	"price_cache_read_per_mtok", "price_cache_write_per_mtok", "daily_budget_usd", "fallback", "aws_model_id_next", "aws_region", "aws_region_next", "aws_profile", "aws_endpoint_url", "hf_repo_next", "hf_file_next"}

// tierLikeKey returns the first key of a section's own keys that only a
// tier has, or "".
func tierLikeKey(own map[string]string) string {
	for _, k := range tierLikeKeys {
		if _, ok := own[k]; ok {
			return k
		}
	}
	return ""
}

// parseSeconds reads a duration given in seconds ("120", "0.5") or with a
// unit ("90s", "2m", "500ms").
func parseSeconds(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return 0, errors.New(`must be a number of seconds ("120") or a duration ("90s", "2m")`)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, errors.New("must be more than zero")
	}
	return d, nil
}
