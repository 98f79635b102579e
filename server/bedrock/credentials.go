package bedrock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CredentialProblem explains, with the fix, an error that comes from getting
// AWS credentials rather than from Bedrock. ok is false for other errors.
func CredentialProblem(profile string, err error) (problem string, ok bool) {
	var explained *credentialError
	var assume config.SharedConfigAssumeRoleError
	var notExist config.SharedConfigProfileNotExistError
	var sso *ssocreds.InvalidTokenError
	var proc *processcreds.ProviderError
	msg := err.Error()
	switch {
	case errors.As(err, &explained):
		return explained.problem, true
	case errors.As(err, &assume) && assume.Err == nil:
		return fmt.Sprintf("%s needs role %s, whose source_profile %q has no credentials; give that profile keys, an SSO session or a credential_process, or fix source_profile",
			who(profile), assume.RoleARN, assume.Profile), true
	case errors.As(err, &assume) && errors.As(assume.Err, &notExist):
		return fmt.Sprintf("%s needs role %s, whose source_profile %q is not in the AWS config files (%s); add that profile, or fix source_profile",
			who(profile), assume.RoleARN, assume.Profile, configFiles(notExist.Filename)), true
	case errors.As(err, &notExist):
		return fmt.Sprintf("AWS profile %q is not in the AWS config files (%s); create it with `aws configure --profile %s` or `aws configure sso --profile %s`, or fix aws_profile in models.ini",
			notExist.Profile, configFiles(notExist.Filename), notExist.Profile, notExist.Profile), true
	case errors.As(err, &sso) || strings.Contains(msg, "SSO token") || strings.Contains(msg, "SSO session"):
		return fmt.Sprintf("the SSO session of %s is missing or expired; run `aws sso login%s`", who(profile), profileFlag(profile)), true
	case errors.As(err, &proc):
		// The SDK's own provider; its messages may quote what the helper
		// printed, so only the root cause is kept.
		return fmt.Sprintf("credential_process of %s failed: %v (run the command from the profile yourself to see why)", who(profile), redact(rootCause(proc.Err).Error())), true
	case strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to refresh cached credentials") && strings.Contains(msg, "IMDS"):
		return fmt.Sprintf("no AWS credentials found for %s; set aws_profile in models.ini to a profile with credentials, or run `aws configure`", who(profile)), true
	case strings.Contains(msg, "failed to retrieve credentials"), strings.Contains(msg, "static credentials are empty"), strings.Contains(msg, "AnonymousCredentials"):
		return fmt.Sprintf("cannot get AWS credentials for %s: %v", who(profile), rootCause(err)), true
	case strings.Contains(msg, "credentials") && strings.Contains(msg, "expired"):
		return fmt.Sprintf("the credentials of %s have expired; refresh them", who(profile)), true
	}
	return "", false
}

// credentialError is a failure to get a profile's credentials that is
// already explained in the user's words: the profile, the cause, the fix.
type credentialError struct{ problem string }

func (e *credentialError) Error() string { return e.problem }

// credentialKind is where a profile's credentials come from, in the end:
// it decides which fix to suggest when they stop working.
type credentialKind int

const (
	kindUnknown credentialKind = iota
	kindKeys                   // access keys in a profile or the environment
	kindSSO                    // an IAM Identity Center session
	kindProcess                // a credential_process helper
)

// kindOf reads the kind from the sources the SDK reports for a provider
// (for an assumed role, the source of the credentials it is assumed with).
func kindOf(p aws.CredentialsProvider) credentialKind {
	sources := sourcesOf(p)
	has := func(s aws.CredentialSource) bool { return slices.Contains(sources, s) }
	switch {
	case has(aws.CredentialSourceSSO), has(aws.CredentialSourceSSOLegacy):
		return kindSSO
	case has(aws.CredentialSourceProcess):
		return kindProcess
	case has(aws.CredentialSourceProfile), has(aws.CredentialSourceEnvVars):
		return kindKeys
	}
	return kindUnknown
}

func sourcesOf(p aws.CredentialsProvider) []aws.CredentialSource {
	if s, ok := p.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// profileCredentials is what every client of a profile gets its
// credentials from, on requests and in health checks alike. It bounds the
// time getting them may take (the SDK waits as long as a credential_process
// or SSO endpoint does), refuses credentials that have already expired, and
// turns what goes wrong into the cause and the fix.
type profileCredentials struct {
	profile string // as in models.ini; "" is the default chain
	kind    credentialKind
	// helperProfile is the profile whose credential_process supplies the
	// credentials (the source profile of a role), for kindProcess.
	helperProfile string
	// roleWithoutSource names the profile whose role_arn has neither a
	// source_profile nor a credential_source, if there is one: the SDK then
	// looks for instance credentials, which on a laptop means none.
	roleWithoutSource string
	inner             aws.CredentialsProvider
	timeout           time.Duration // credentialTimeout when loaded
}

// Retrieve gets the credentials within the bound.
func (p *profileCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	bounded, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	creds, err := p.inner.Retrieve(bounded)
	switch {
	case err != nil && ctx.Err() == nil && bounded.Err() != nil:
		return aws.Credentials{}, &credentialError{timeoutProblem(p.profile, p.kind, p.helperProfile, p.timeout)}
	case err != nil && ctx.Err() == nil && p.roleWithoutSource != "":
		return aws.Credentials{}, &credentialError{fmt.Sprintf(
			"profile %q has role_arn but neither source_profile nor credential_source, so nothing supplies the credentials to assume the role with; add source_profile = <a profile with credentials> (or credential_source) to it in the AWS config",
			p.roleWithoutSource)}
	case err != nil:
		return creds, err
	case creds.CanExpire && !time.Now().Before(creds.Expires):
		return aws.Credentials{}, &credentialError{expiredProblem(p.profile, p.kind, p.helperProfile, creds.Expires)}
	}
	return creds, nil
}

// ProviderSources reports the SDK's sources, for its user agent.
func (p *profileCredentials) ProviderSources() []aws.CredentialSource {
	return sourcesOf(p.inner)
}

func timeoutProblem(profile string, kind credentialKind, helperProfile string, after time.Duration) string {
	if kind == kindProcess {
		return fmt.Sprintf("credential_process of %s did not answer within %s; run the command from the profile yourself to see why", who(helperProfile), after)
	}
	return fmt.Sprintf("getting credentials for %s took longer than %s (an SSO or STS endpoint that does not answer?)", who(profile), after)
}

func expiredProblem(profile string, kind credentialKind, helperProfile string, at time.Time) string {
	switch kind {
	case kindProcess:
		return fmt.Sprintf("credential_process of %s returned credentials that expired at %s; sign in again with the tool it runs, or fix the command",
			who(helperProfile), at.UTC().Format("2006-01-02 15:04 UTC"))
	case kindSSO:
		return fmt.Sprintf("the credentials of %s have expired; run `aws sso login%s`", who(profile), profileFlag(profile))
	}
	return fmt.Sprintf("the credentials of %s have expired; refresh them", who(profile))
}

// expiringHint says, for a profile whose credentials expire soon, what
// happens then.
func expiringHint(profile string, kind credentialKind) string {
	switch kind {
	case kindSSO:
		return fmt.Sprintf(" (`aws sso login%s` starts a new session)", profileFlag(profile))
	case kindProcess:
		return " (its credential_process is run again for new ones)"
	}
	return ""
}

// refreshFix is the fix for credentials AWS refused.
func refreshFix(profile string, kind credentialKind) string {
	switch kind {
	case kindSSO:
		return fmt.Sprintf("run `aws sso login%s`", profileFlag(profile))
	case kindProcess:
		return fmt.Sprintf("the credential_process of %s supplies them: sign in again with the tool it runs", who(profile))
	case kindKeys:
		return fmt.Sprintf("update the keys of %s", who(profile))
	}
	return fmt.Sprintf("refresh the credentials of %s", who(profile))
}

// useProcessHelper replaces the SDK's credential_process provider, wherever
// the SDK put one for a profile, with a helperProvider running the same
// command. It returns the options that do it for the provider under an
// assumed role, and a function that does it for the loaded configuration.
func useProcessHelper() (config.LoadOptionsFunc, func(cfg *aws.Config)) {
	helper := &helperProvider{timeout: credentialTimeout}
	creds := aws.NewCredentialsCache(helper)
	isSDKProcess := func(p aws.CredentialsProvider) bool {
		return aws.IsCredentialsProvider(p, (*processcreds.Provider)(nil))
	}
	underRole := config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
		c, ok := o.Client.(*sts.Client)
		if !ok || !isSDKProcess(c.Options().Credentials) {
			return
		}
		helper.sources = sourcesOf(c.Options().Credentials)
		o.Client = assumeRoleWith{c, creds}
	})
	loaded := func(cfg *aws.Config) {
		// The SDK has read the command while loading; it is known only
		// now, and Retrieve runs only after loading.
		root := rootProfile(cfg)
		helper.profile, helper.command = root.Profile, root.CredentialProcess
		if isSDKProcess(cfg.Credentials) {
			helper.sources = sourcesOf(cfg.Credentials)
			cfg.Credentials = creds
		}
	}
	return underRole, loaded
}

// assumeRoleWith signs AssumeRole with the given credentials.
type assumeRoleWith struct {
	client *sts.Client
	creds  aws.CredentialsProvider
}

func (a assumeRoleWith) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	// The SDK's credential cache calls this with a context that outlives
	// the request; the bound keeps a hanging STS call from running on.
	ctx, cancel := context.WithTimeout(ctx, credentialTimeout)
	defer cancel()
	return a.client.AssumeRole(ctx, in, append(optFns, func(o *sts.Options) { o.Credentials = a.creds })...)
}

// sharedConfig is the profile the SDK loaded for cfg (nil when unknown).
func sharedConfig(cfg *aws.Config) *config.SharedConfig {
	for _, s := range cfg.ConfigSources {
		switch c := s.(type) {
		case config.SharedConfig:
			return &c
		case *config.SharedConfig:
			return c
		}
	}
	return nil
}

// rootProfile follows source_profile to the profile that holds the
// credentials a role chain starts from.
func rootProfile(cfg *aws.Config) config.SharedConfig {
	sc := sharedConfig(cfg)
	if sc == nil {
		return config.SharedConfig{}
	}
	for sc.Source != nil {
		sc = sc.Source
	}
	return *sc
}

// roleWithoutSource is the name of the profile at the root of cfg's role
// chain if it has a role_arn and nothing to assume it with.
func roleWithoutSource(cfg *aws.Config) string {
	r := rootProfile(cfg)
	if r.RoleARN == "" || r.CredentialSource != "" || r.WebIdentityTokenFile != "" || r.Credentials.HasKeys() ||
		r.CredentialProcess != "" || r.SSOSession != nil || r.SSOStartURL != "" || r.SSOAccountID != "" || r.LoginSession != "" {
		return ""
	}
	return r.Profile
}

// Limits on what a credential_process may print: its stdout is a small
// JSON document, and only the start of its stderr is ever used.
const (
	maxHelperOutput = 1 << 20
	maxHelperStderr = 4 << 10
)

// errHelperTimeout ends a credential_process that ran past the router's bound.
var errHelperTimeout = errors.New("credential_process timed out")

// helperProvider runs a credential_process as the SDK's processcreds does,
// but keeps what the helper prints to itself (helpers print tokens when
// they fail), gives it no terminal to wait on, and stops it and everything
// it started once its timeout passes.
type helperProvider struct {
	profile string // the profile that holds the command
	command string
	sources []aws.CredentialSource
	timeout time.Duration
}

// Retrieve runs the command and reads the credentials it prints.
func (p *helperProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds := aws.Credentials{Source: processcreds.ProviderName}
	fail := func(format string, args ...any) (aws.Credentials, error) {
		return creds, &credentialError{fmt.Sprintf("credential_process of %s %s", who(p.profile), fmt.Sprintf(format, args...))}
	}
	if strings.TrimSpace(p.command) == "" {
		return fail("is empty")
	}
	hctx, cancel := context.WithTimeoutCause(ctx, p.timeout, errHelperTimeout)
	defer cancel()
	stdout, stderr := &cappedBuffer{max: maxHelperOutput}, &cappedBuffer{max: maxHelperStderr}
	cmd := helperCommand(hctx, p.command)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	switch {
	case context.Cause(hctx) == errHelperTimeout:
		return creds, &credentialError{timeoutProblem(p.profile, kindProcess, p.profile, p.timeout)}
	case ctx.Err() != nil:
		// The caller gave up first (its own deadline, or it went away).
		return creds, fmt.Errorf("credential_process of %s: %w", who(p.profile), ctx.Err())
	}
	if err != nil {
		said := ""
		if line := firstLine(stderr.Bytes()); line != "" {
			said = fmt.Sprintf(", saying %q", line)
		}
		return fail("failed: %v%s (run the command from the profile yourself to see all it says)", err, said)
	}
	var resp processcreds.CredentialProcessResponse
	// The output is never quoted: it is where the secrets are.
	if stdout.overflow || json.Unmarshal(stdout.Bytes(), &resp) != nil {
		return fail(`printed something that is not the JSON a credential_process must print ({"Version": 1, "AccessKeyId": …})`)
	}
	switch {
	case resp.Version != 1:
		return fail("printed Version %d; credential_process output must have Version 1", resp.Version)
	case resp.AccessKeyID == "":
		return fail("printed no AccessKeyId")
	case resp.SecretAccessKey == "":
		return fail("printed no SecretAccessKey")
	}
	creds.AccessKeyID, creds.SecretAccessKey = resp.AccessKeyID, resp.SecretAccessKey
	creds.SessionToken, creds.AccountID = resp.SessionToken, resp.AccountID
	if resp.Expiration != nil {
		creds.CanExpire, creds.Expires = true, *resp.Expiration
	}
	return creds, nil
}

// ProviderSources reports the sources of the SDK provider this replaces.
func (p *helperProvider) ProviderSources() []aws.CredentialSource {
	if p.sources == nil {
		return []aws.CredentialSource{aws.CredentialSourceProcess}
	}
	return p.sources
}

// cappedBuffer keeps the first max bytes written to it and drops the rest,
// so a helper that prints without end cannot fill the router's memory.
type cappedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.overflow = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// firstLine is the first non-blank line of a helper's error output, with
// anything that looks like a secret replaced and at most 200 characters.
func firstLine(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		line = redact(line)
		if r := []rune(line); len(r) > 200 {
			line = string(r[:200]) + "…"
		}
		return line
	}
	return ""
}

var (
	// secretAssignment is a value given to a name that says it is secret
	// (token=…, "SecretAccessKey": "…", Authorization: Bearer …).
	secretAssignment = regexp.MustCompile(`(?i)((?:token|secret|password|passwd|key|credential|session|authorization|cookie|signature)[\w-]*"?\s*[=:]\s*"?(?:bearer\s+|basic\s+)?|bearer\s+)[^\s",;]+`)
	// longRun is a run of characters a key or token is made of.
	longRun = regexp.MustCompile(`[A-Za-z0-9+/=_-]{16,}`)
)

// redact replaces values of secret-named fields and token-looking strings
// (16 or more key characters with letters and digits, or 24 or more of
// any) with [redacted].
func redact(s string) string {
	s = secretAssignment.ReplaceAllString(s, "${1}[redacted]")
	return longRun.ReplaceAllStringFunc(s, func(run string) string {
		digits := strings.ContainsAny(run, "0123456789")
		letters := strings.IndexFunc(run, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0
		if len(run) >= 24 || digits && letters {
			return "[redacted]"
		}
		return run
	})
}

func who(profile string) string {
	if profile == "" {
		return "the default credential chain"
	}
	return fmt.Sprintf("profile %q", profile)
}

func profileFlag(profile string) string {
	if profile == "" {
		return ""
	}
	return " --profile " + profile
}

func configFiles(files []string) string {
	if len(files) == 0 {
		return "~/.aws/config, ~/.aws/credentials"
	}
	return strings.Join(files, ", ")
}
