package tiers

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/ini.v1"
)

// Error is a problem with one value of models.ini. It names the file, the
// section and the key so the user can find it; Value is empty when echoing
// it would leak a secret.
type Error struct {
	File    string
	Section string
	Key     string
	Value   string
	Problem string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
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

// secretKeys may never appear in models.ini: the file is meant to be
// committed, so credentials live in the AWS config files behind a profile.
var secretKeys = []string{
	"aws_access_key_id",
	"aws_secret_access_key",
	"aws_session_token",
	"aws_role_arn",
	"aws_role_session_name",
}

const routingSection = "ROUTING"

// Load reads and parses the models.ini at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading models.ini: %w", err)
	}
	return Parse(path, data)
}

// Parse parses models.ini content; name is used in error messages and kept
// as Config.Path. All problems found are returned together.
func Parse(name string, data []byte) (*Config, error) {
	f, err := ini.LoadSources(ini.LoadOptions{
		InsensitiveKeys: true, // configparser lower-cases keys
		// configparser (inline_comment_prefixes=(";",)) only treats ";"
		// after whitespace as a comment; stripInlineComment applies that.
		IgnoreInlineComment:        true,
		PreserveSurroundedQuote:    true,
		AllowPythonMultilineValues: true,
		KeyValueDelimiters:         "=:",
		// configparser has no parent/child sections: keep "[a.b]" flat.
		ChildSectionDelimiter: "\x00",
	}, data)
	if err != nil {
		return nil, syntaxError(name, data, err)
	}

	p := parser{file: name}
	cfg := &Config{
		Path:         name,
		RouterHost:   DefaultRouterHost,
		RouterPort:   DefaultRouterPort,
		LlamaSwapURL: DefaultLlamaSwapURL,
		Routing:      Routing{MultiTurn: DefaultMultiTurn, FastTokenBudget: DefaultFastTokenBudget},
		byName:       map[string]*Tier{},
	}

	defaults := p.values(f.Section(ini.DefaultSection))
	p.checkSecrets(ini.DefaultSection, defaults)
	if v := defaults["router_host"]; v != "" {
		if IsLoopbackHost(v) {
			cfg.RouterHost = v
		} else {
			p.fail(ini.DefaultSection, "router_host", v, "must be a loopback address (127.0.0.1, ::1 or localhost): the router serves this machine only")
		}
	}
	if v, ok := defaults["router_port"]; ok && v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 1 || port > 65535 {
			p.fail(ini.DefaultSection, "router_port", v, "must be a port number between 1 and 65535")
		} else {
			cfg.RouterPort = port
		}
	}
	if v := defaults["llama_swap_url"]; v != "" {
		cfg.LlamaSwapURL = v
	}
	if env := strings.TrimSpace(os.Getenv("LLAMA_SWAP_URL")); env != "" {
		cfg.LlamaSwapURL = env
	}
	cfg.LlamaSwapURL = strings.TrimRight(cfg.LlamaSwapURL, "/")
	if !validURL(cfg.LlamaSwapURL) {
		p.fail(ini.DefaultSection, "llama_swap_url", cfg.LlamaSwapURL, "must be an http:// or https:// URL")
	}

	for _, sec := range f.Sections() {
		name := sec.Name()
		if name == ini.DefaultSection {
			continue
		}
		own := p.values(sec)
		p.checkSecrets(name, own)
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
		} else if key := tierLikeKey(own); key != "" {
			cfg.Notes = append(cfg.Notes, fmt.Sprintf("%s [%s] is not a tier: it sets %s but has no aws_model_id (bedrock), hf_repo and hf_file (gguf), or backend", p.file, name, key))
		}
	}
	p.index(cfg)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

type parser struct {
	file string
	errs []error
	// unset maps "section\x00key" to the environment variable a value
	// referred to when that variable was empty, for error messages.
	unset map[string]string
}

// syntaxError reports an INI syntax error by line number and first word:
// the line itself may hold a secret ("aws_secret_access_key wJal…").
func syntaxError(file string, data []byte, err error) error {
	var delim ini.ErrDelimiterNotFound
	if !errors.As(err, &delim) {
		return &Error{File: file, Problem: "not a valid INI file: " + err.Error()}
	}
	bad := strings.TrimSpace(delim.Line)
	where := ""
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == bad {
			where = fmt.Sprintf("line %d: ", i+1)
			break
		}
	}
	word, _, _ := strings.Cut(bad, " ")
	return &Error{File: file, Problem: fmt.Sprintf("%s%q… is not a \"key = value\" line (the rest of the line is not shown, in case it is a secret)", where, word)}
}

func (p *parser) fail(section, key, value, problem string) {
	p.errs = append(p.errs, &Error{File: p.file, Section: section, Key: key, Value: value, Problem: problem})
}

// values returns a section's own keys with comments stripped and
// environment references expanded.
func (p *parser) values(sec *ini.Section) map[string]string {
	out := make(map[string]string, len(sec.Keys()))
	for _, k := range sec.Keys() {
		v := cleanValue(k.Value())
		if ref, ok := envRef(v); ok {
			if slices.Contains(secretKeys, k.Name()) {
				// Expanded secrets are refused below; don't read them.
				out[k.Name()] = v
				continue
			}
			v = strings.TrimSpace(os.Getenv(ref))
			if v == "" {
				if p.unset == nil {
					p.unset = map[string]string{}
				}
				p.unset[sec.Name()+"\x00"+k.Name()] = ref
			}
		}
		out[k.Name()] = v
	}
	return out
}

func (p *parser) checkSecrets(section string, vals map[string]string) {
	for _, k := range secretKeys {
		if _, ok := vals[k]; ok {
			p.fail(section, k, "", "credentials do not belong in models.ini (it is meant to be committed); "+
				"put them in a named profile in ~/.aws/credentials or ~/.aws/config "+
				"(static keys, SSO, role_arn + source_profile or credential_process) and set aws_profile = NAME")
		}
	}
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
		if m == "" {
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
		if b.EndpointURL != "" && !validURL(b.EndpointURL) {
			p.fail(name, "aws_endpoint_url", b.EndpointURL, "must be an http:// or https:// URL")
		}
		if v := vals["prompt_cache"]; v != "" {
			on, ok := parseBool(v)
			if !ok {
				p.fail(name, "prompt_cache", v, "must be on or off (true/false, yes/no, 1/0)")
			}
			b.PromptCache = on
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

func (p *parser) missing(section, key, why string) {
	problem := "missing: " + why
	if ref, ok := p.unset[section+"\x00"+key]; ok {
		problem = fmt.Sprintf("missing: it refers to environment variable %s, which is not set (%s)", ref, why)
	} else if ref, ok := p.unset[ini.DefaultSection+"\x00"+key]; ok {
		problem = fmt.Sprintf("missing: [DEFAULT] refers to environment variable %s, which is not set (%s)", ref, why)
	}
	p.fail(section, key, "", problem)
}

var (
	firstInt  = regexp.MustCompile(`\d+`)
	envRefRE  = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)
	inlineCmt = regexp.MustCompile(`\s;`)
)

// envRef reports whether v is a whole-value environment reference ($NAME or
// ${NAME}) and returns the variable's name.
func envRef(v string) (string, bool) {
	m := envRefRE.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// cleanValue applies configparser's value rules: an inline comment starts at
// ";" preceded by whitespace, an indented line starting with "#" or ";" is
// a comment rather than a continuation, continuation lines lose their
// indentation, and surrounding whitespace is dropped.
func cleanValue(v string) string {
	lines := strings.Split(v, "\n")
	kept := lines[:0]
	for i, l := range lines {
		if loc := inlineCmt.FindStringIndex(l); loc != nil {
			l = l[:loc[0]]
		}
		l = strings.TrimSpace(l)
		if i > 0 && (strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";")) {
			continue
		}
		kept = append(kept, l)
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
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
	"aws_model_id_next", "aws_region", "aws_region_next", "aws_profile", "aws_endpoint_url", "hf_repo_next", "hf_file_next"}

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
