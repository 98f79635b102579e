package tiers

import (
	"fmt"
	"math"
	"regexp"
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
// A credential key is refused wherever it appears: its own line, a
// continuation line, a section header, a line that is not "key = value";
// no error shows a line that could hold a secret.
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
	var sections []*section
	byName := map[string]*section{}
	cur := defaults
	var key *entry        // the key whose value an indented line continues
	indent := math.MaxInt // indentation of the last key or header line

	text := strings.TrimPrefix(string(data), "\ufeff")
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		value, comment := stripComment(line)
		if value == "" {
			// configparser keeps blank lines inside a value (dropping
			// trailing ones); comment lines are skipped without ending it.
			if !comment && key != nil {
				key.blanks++
			}
			continue
		}
		level := len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace))
		if key != nil && level > indent {
			if cred := credentialIn(value); cred != "" {
				fail(cur, key.name, n, fmt.Sprintf("an indented line continues the value above it, and this one names %s: %s", cred, credentialAdvice))
				key.withheld = true
			}
			key.value += strings.Repeat("\n", key.blanks+1) + value
			key.blanks = 0
			continue
		}
		indent, key = level, nil

		if value[0] == '[' {
			end := strings.LastIndexByte(value, ']')
			if end < 2 {
				errs = append(errs, &Error{File: file, Line: n, Problem: notALine(value, `is an unclosed section header: end it with "]"`)})
				continue
			}
			if cred := credentialIn(value); cred != "" {
				errs = append(errs, &Error{File: file, Line: n, Problem: fmt.Sprintf("the section header names %s: %s", cred, credentialAdvice)})
				// Keep reading its keys, for credentials, but into no section.
				cur = &section{seen: map[string]*entry{}}
				continue
			}
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
			continue
		}

		at := strings.IndexAny(value, "=:")
		if at < 0 {
			fail(cur, "", n, notALine(value, `is not a "key = value" line`))
			continue
		}
		raw := strings.TrimSpace(value[:at])
		if raw == "" {
			fail(cur, "", n, `a value without a key name: write "key = value"`)
			continue
		}
		e := &entry{name: strings.ToLower(raw), raw: raw, value: strings.TrimSpace(value[at+1:]), line: n}
		key = e
		if cred := credentialIn(e.name); cred != "" {
			e.withheld = true
			fail(cur, e.name, n, credentialAdvice)
			continue
		}
		if cred := credentialIn(e.value); cred != "" {
			e.withheld = true
			fail(cur, e.name, n, fmt.Sprintf("the value names %s: %s", cred, credentialAdvice))
		}
		if first, ok := cur.seen[e.name]; ok {
			e.withheld = true // reported; its continuation lines are still read
			why := fmt.Sprintf("set again (first on line %d", first.line)
			if first.raw != raw {
				why += "; keys are case-insensitive"
			}
			fail(cur, e.name, n, why+"): a key may appear only once in a section")
			continue
		}
		cur.seen[e.name] = e
		cur.keys = append(cur.keys, e)
	}
	return defaults, sections, errs
}

// stripComment returns a line without its comment, trimmed, and whether it
// had one: configparser's full-line "#" or ";" (indented too) and inline
// ";" at the start or after whitespace.
func stripComment(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
		return "", true
	}
	for i := 1; i < len(line); i++ {
		if line[i] != ';' {
			continue
		}
		if r, _ := utf8.DecodeLastRuneInString(line[:i]); unicode.IsSpace(r) {
			return strings.TrimSpace(line[:i]), true
		}
	}
	return t, false
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

// secretKeys may never appear in models.ini: the file is meant to be
// committed, so credentials live in the AWS config files behind a profile.
var secretKeys = []string{
	"aws_access_key_id",
	"aws_secret_access_key",
	"aws_session_token",
	"aws_role_arn",
	"aws_role_session_name",
}

// credentialIn returns the credential key that s names, in any case and
// with "-" or " " for "_", or "".
func credentialIn(s string) string {
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(s))
	for _, k := range secretKeys {
		if strings.Contains(norm, k) {
			return k
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
