package tiers

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultSection is the section whose keys every other section inherits.
const defaultSection = "DEFAULT"

// section is one [name] of models.ini, keys in file order.
type section struct {
	name string
	line int
	keys []*entry
	seen map[string]*entry // by key name, for duplicates
}

// entry is one key of a section as configparser reads it.
type entry struct {
	name  string // lower case, as configparser's optionxform makes it
	raw   string // the key as written, for the duplicate message
	value string // continuation lines joined with "\n"
	line  int
	// withheld is set when the value may be neither used nor shown: the
	// key or a line of its value names a credential (already reported).
	withheld bool
	blanks   int // blank lines seen since the value's last line
}

// credentialAdvice says where credentials go instead.
const credentialAdvice = "credentials do not belong in models.ini (it is meant to be committed); " +
	"put them in a named profile in ~/.aws/credentials or ~/.aws/config " +
	"(static keys, SSO, role_arn + source_profile or credential_process) and set aws_profile = NAME"

// readINI splits models.ini into [DEFAULT] and the other sections, in file
// order, by the rules of Python's configparser as the Python llmstack used
// it (strict, delimiters "=" and ":", full-line comments "#" and ";", inline
// comments ";" after whitespace, empty lines kept inside values):
//
//   - a line indented deeper than the key above continues its value;
//   - a section or a key may appear only once (keys are case-insensitive),
//     except that a second [DEFAULT] adds to the first.
//
// Unlike configparser, keys before the first section belong to [DEFAULT].
// Credentials are refused wherever they appear, once a line: a credential
// key on its own line, on a continuation line or in a comment, a value or
// section header that names one, a credential-shaped value anywhere
// (comments included), an api_key that is not an environment reference.
// No error shows a line that could hold a secret.
func readINI(file string, data []byte) (*section, []*section, []error) {
	var errs []error
	defaults := &section{name: defaultSection, seen: map[string]*entry{}}
	inDefaults := false // a [DEFAULT] header was seen, so errors can name it
	fail := func(sec *section, key string, line int, problem string) {
		name := sec.name
		if sec == defaults && !inDefaults {
			name = "" // before the first header
		}
		errs = append(errs, &Error{File: file, Line: line, Section: name, Key: key, Problem: problem})
	}
	credLine := 0 // the last line a credential was reported on
	credential := func(sec *section, key string, line int, problem string) {
		fail(sec, key, line, problem+": "+credentialAdvice)
		credLine = line
	}
	var sections []*section
	byName := map[string]*section{}
	cur := defaults
	var key *entry        // the key whose value an indented line continues
	indent := math.MaxInt // indentation of the last key or header line

	// readLine reads one line that is not blank or a comment.
	readLine := func(n int, line, value string) {
		level := len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace))
		if key != nil && level > indent {
			const cont = "an indented line continues the value above it, and this one "
			switch {
			case credentialIn(value) != "":
				credential(cur, key.name, n, cont+"names "+credentialIn(value))
				key.withheld = true
			case credentialText(value) != "":
				credential(cur, key.name, n, cont+credentialText(value))
				key.withheld = true
			case isAPIKey(key.name) && !key.withheld:
				credential(cur, key.name, n, "an indented line continues "+key.name+", which "+apiKeyRule)
				key.withheld = true
			}
			key.value += strings.Repeat("\n", key.blanks+1) + value
			key.blanks = 0
			return
		}
		indent, key = level, nil

		if value[0] == '[' {
			end := strings.LastIndexByte(value, ']')
			switch {
			case end < 2 && credentialShape(value) != "":
				// notALine would show nothing past its first word.
				credential(&section{}, "", n, "the line holds what looks like "+credentialShape(value))
			case end < 2:
				errs = append(errs, &Error{File: file, Line: n, Problem: notALine(value, `is an unclosed section header: end it with "]"`)})
			case credentialIn(value) != "" || credentialText(value) != "":
				what := credentialText(value)
				if cred := credentialIn(value); cred != "" {
					what = "names " + cred
				}
				credential(&section{}, "", n, "the section header "+what)
				// Keep reading its keys, for credentials, but into no section.
				cur = &section{seen: map[string]*entry{}}
			default:
				name := strings.TrimSpace(value[1:end])
				switch first, ok := byName[name]; {
				case name == defaultSection:
					cur, inDefaults = defaults, true
				case ok:
					cur = first
					fail(cur, "", n, fmt.Sprintf("section [%s] appears again (first on line %d): a section may appear only once", name, first.line))
				default:
					cur = &section{name: name, line: n, seen: map[string]*entry{}}
					byName[name] = cur
					sections = append(sections, cur)
				}
			}
			return
		}

		at := strings.IndexAny(value, "=:")
		if at < 0 {
			if what := credentialText(value); what != "" {
				credential(cur, "", n, "the line "+what)
			} else {
				fail(cur, "", n, notALine(value, `is not a "key = value" line`))
			}
			return
		}
		raw := strings.TrimSpace(value[:at])
		if raw == "" {
			if what := credentialText(value); what != "" {
				credential(cur, "", n, "the line "+what)
			} else {
				fail(cur, "", n, `a value without a key name: write "key = value"`)
			}
			return
		}
		e := &entry{name: strings.ToLower(raw), raw: raw, value: strings.TrimSpace(value[at+1:]), line: n}
		key = e
		if credentialKey(e.name) {
			e.withheld = true
			fail(cur, e.name, n, credentialAdvice)
			credLine = n
			return
		}
		switch {
		case credentialIn(e.value) != "":
			e.withheld = true
			credential(cur, e.name, n, "the value names "+credentialIn(e.value))
		case credentialText(e.value) != "":
			e.withheld = true
			credential(cur, e.name, n, "the value "+credentialText(e.value))
		case isAPIKey(e.name) && !envRefOnly(e.value):
			e.withheld = true
			fail(cur, e.name, n, apiKeyRule)
			credLine = n
		}
		if first, ok := cur.seen[e.name]; ok {
			e.withheld = true // reported; its continuation lines are still read
			why := fmt.Sprintf("set again (first on line %d", first.line)
			if first.raw != raw {
				why += "; keys are case-insensitive"
			}
			fail(cur, e.name, n, why+"): a key may appear only once in a section")
			return
		}
		cur.seen[e.name] = e
		cur.keys = append(cur.keys, e)
	}

	text := strings.TrimPrefix(string(data), "\ufeff")
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		value, comment := stripComment(line)
		if value == "" {
			// configparser keeps blank lines inside a value (dropping
			// trailing ones); comment lines are skipped without ending it.
			if comment == "" && key != nil {
				key.blanks++
			}
		} else {
			readLine(n, line, value)
		}
		// A comment is committed with the file too.
		if what := credentialText(comment); what != "" && credLine != n {
			credential(cur, "", n, "a comment "+what)
		}
	}
	return defaults, sections, errs
}

// stripComment splits a line into its value, trimmed, and its comment:
// configparser's full-line "#" or ";" (indented too) and inline ";" at the
// start or after whitespace.
func stripComment(line string) (value, comment string) {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
		return "", t
	}
	for i := 1; i < len(line); i++ {
		if line[i] != ';' {
			continue
		}
		if r, _ := utf8.DecodeLastRuneInString(line[:i]); unicode.IsSpace(r) {
			return strings.TrimSpace(line[:i]), line[i:]
		}
	}
	return t, ""
}

// notALine describes a line that is neither a section header nor
// "key = value" by as little as needed to find it: its first word when
// that reads like a key or section name, else only the word's first
// characters and its length. A line without a delimiter or a space may
// well be a pasted secret.
func notALine(line, what string) string {
	word, rest := line, false
	if i := strings.IndexFunc(line, func(r rune) bool { return unicode.IsSpace(r) || r == '=' || r == ':' }); i >= 0 {
		word, rest = line[:i], true
	}
	shown := fmt.Sprintf("%q", word)
	if !nameLike(word, rest) {
		shown = fmt.Sprintf("%q (%d characters)", string([]rune(word)[:min(4, utf8.RuneCountInString(word))])+"…", utf8.RuneCountInString(word))
	}
	if !rest {
		return fmt.Sprintf("%s %s", shown, what)
	}
	return fmt.Sprintf("%s… %s (the rest of the line is not shown, in case it is a secret)", shown, what)
}

// nameLike reports whether word, the start of a line that is not
// "key = value", reads as a section header ("[code-fast") or, when more
// follows on its line, as a key name ("aws_secret_access_key"), rather
// than as something that could be a secret. A word alone on its line is
// shown only when it opens a section header.
func nameLike(word string, more bool) bool {
	header := strings.HasPrefix(word, "[")
	if (!header && !more) || utf8.RuneCountInString(word) > 40 || credentialShape(word) != "" {
		return false
	}
	var upper, lower, digit bool
	for _, r := range strings.TrimPrefix(word, "[") {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r == '_' || r == '-' || r == '.':
		default:
			return false
		}
	}
	if header {
		return !(upper && lower && digit) // section names hold digits (qwen3-30b), tokens mix all three
	}
	return !digit // key names have none
}

// secretKeys may never appear in models.ini, as keys or named in values:
// the file is meant to be committed, so credentials live in the AWS config
// files behind a profile.
var secretKeys = []string{
	"aws_access_key_id",
	"aws_secret_access_key",
	"aws_session_token",
	"aws_role_arn",
	"aws_role_session_name",
	"aws_bearer_token_bedrock", // a Bedrock API key
}

// secretParts mark a key name as a credential's wherever they appear in it
// (aws_secret_key, proxy_password, secret_access_key, …).
var secretParts = []string{"secret", "password", "passwd", "access_key", "session_token", "bearer_token"}

// apiKeyRule is the problem with an api_key written into the file.
const apiKeyRule = "must be an environment reference like ${VAR}, with the key itself in the environment: " +
	"an API key does not belong in models.ini (it is meant to be committed)"

// keyName is s in lower case with "-", " " and "." as "_".
func keyName(s string) string {
	return strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(strings.ToLower(s))
}

// credentialIn returns the credential key that s names, in any case and
// with "-" or " " for "_", or "".
func credentialIn(s string) string {
	norm := keyName(s)
	for _, k := range secretKeys {
		if strings.Contains(norm, k) {
			return k
		}
	}
	return ""
}

// credentialKey reports whether a key of that name would hold a credential.
func credentialKey(name string) bool {
	norm := keyName(name)
	return credentialIn(norm) != "" || slices.ContainsFunc(secretParts, func(p string) bool { return strings.Contains(norm, p) })
}

// isAPIKey reports whether a key holds an API key, which models.ini may
// only name as an environment reference.
func isAPIKey(name string) bool { return strings.Contains(keyName(name), "api_key") }

// envRefOnly reports whether v is one environment reference without a
// fallback that could hold a key: $VAR, ${VAR} or ${VAR:-}.
func envRefOnly(v string) bool {
	ref, ok := parseEnvRef(v)
	return ok && ref.def == ""
}

// credentialText says what credential text s holds — something shaped like
// a key, or "key = value" for a credential key — as a phrase to follow
// "the value" or "a comment", or "". It never quotes what it found.
func credentialText(s string) string {
	if what := credentialShape(s); what != "" {
		return "holds what looks like " + what
	}
	if k := assignedCredential(s); k != "" {
		return "sets " + k
	}
	return ""
}

// assignedCredential returns the credential key that s gives a value
// ("aws_secret_key = …", "password: …"), or "". A word counts as a key
// when it reads like one (it has an "_", or it is "password" or "secret"
// itself), so prose such as "passwords: none here" does not; an api_key
// may be given an environment reference.
func assignedCredential(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '=' && s[i] != ':' {
			continue
		}
		after := strings.TrimSpace(s[i+1:])
		if after == "" {
			continue
		}
		before := strings.TrimRightFunc(s[:i], unicode.IsSpace)
		start := strings.LastIndexFunc(before, func(r rune) bool {
			return !(r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r))
		}) + 1
		word := keyName(before[start:])
		switch {
		case word == "":
		case credentialKey(word) && (strings.Contains(word, "_") || slices.Contains(secretParts, word)):
			return word
		case isAPIKey(word) && !strings.HasPrefix(after, "$"):
			return word
		}
	}
	return ""
}

var (
	accessKeyIDRE   = regexp.MustCompile(`\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`)
	bedrockAPIKeyRE = regexp.MustCompile(`\bABSK[A-Za-z0-9+/=]{20,}`)
)

// credentialShape says what credential s holds by its shape (an AWS access
// key id, a Bedrock API key), whatever key it is under, or "".
func credentialShape(s string) string {
	switch {
	case accessKeyIDRE.MatchString(s):
		return "an AWS access key id"
	case bedrockAPIKeyRE.MatchString(s):
		return "a Bedrock API key"
	}
	return ""
}
