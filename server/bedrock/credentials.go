package bedrock

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
)

// CredentialProblem explains, with the fix, an error that comes from getting
// AWS credentials rather than from Bedrock. ok is false for other errors.
func CredentialProblem(profile string, err error) (problem string, ok bool) {
	var notExist config.SharedConfigProfileNotExistError
	var sso *ssocreds.InvalidTokenError
	var proc *processcreds.ProviderError
	msg := err.Error()
	switch {
	case errors.As(err, &notExist):
		return fmt.Sprintf("AWS profile %q is not in the AWS config files (%s); create it with `aws configure --profile %s` or `aws configure sso --profile %s`, or fix aws_profile in models.ini",
			notExist.Profile, configFiles(notExist.Filename), notExist.Profile, notExist.Profile), true
	case errors.As(err, &sso) || strings.Contains(msg, "SSO token") || strings.Contains(msg, "SSO session"):
		return fmt.Sprintf("the SSO session of %s is missing or expired; run `aws sso login%s`", who(profile), profileFlag(profile)), true
	case errors.As(err, &proc):
		return fmt.Sprintf("credential_process of %s failed: %v (run the command from the profile yourself to see why)", who(profile), rootCause(proc.Err)), true
	case strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to refresh cached credentials") && strings.Contains(msg, "IMDS"):
		return fmt.Sprintf("no AWS credentials found for %s; set aws_profile in models.ini to a profile with credentials, or run `aws configure`", who(profile)), true
	case strings.Contains(msg, "failed to retrieve credentials"), strings.Contains(msg, "static credentials are empty"), strings.Contains(msg, "AnonymousCredentials"):
		return fmt.Sprintf("cannot get AWS credentials for %s: %v", who(profile), rootCause(err)), true
	case strings.Contains(msg, "credentials") && strings.Contains(msg, "expired"):
		return fmt.Sprintf("the credentials of %s have expired; refresh them%s", who(profile), loginHint(profile)), true
	}
	return "", false
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

func loginHint(profile string) string {
	return fmt.Sprintf(" (`aws sso login%s` for SSO profiles)", profileFlag(profile))
}

func configFiles(files []string) string {
	if len(files) == 0 {
		return "~/.aws/config, ~/.aws/credentials"
	}
	return strings.Join(files, ", ")
}
