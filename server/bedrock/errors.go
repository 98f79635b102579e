package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/llmstack/llmstack/server/openai"
)

// Call describes the Bedrock call an error came from, for the message.
type Call struct {
	Tier    string
	Model   string
	Region  string
	Profile string
}

func (c Call) String() string {
	region := c.Region
	if region == "" {
		region = "default region"
	}
	return fmt.Sprintf("tier %s (%s, %s)", c.Tier, c.Model, region)
}

// HTTPError maps an error from loading a client or calling Bedrock to an
// OpenAI error with an honest status: the client can tell a throttle (retry
// later) from a bad request (fix it) from an AWS login problem (fix the
// profile).
func HTTPError(err error, call Call) *openai.Error {
	if errors.Is(err, context.Canceled) {
		return &openai.Error{Status: 499, Message: "request cancelled before Bedrock answered", Type: openai.TypeServer, Code: "cancelled"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &openai.Error{Status: http.StatusGatewayTimeout, Message: fmt.Sprintf("%s: Bedrock did not answer in time", call), Type: openai.TypeTimeout, Code: "timeout"}
	}
	if problem, ok := CredentialProblem(call.Profile, err); ok {
		return &openai.Error{Status: http.StatusUnauthorized, Message: fmt.Sprintf("%s: %s", call, problem), Type: openai.TypeAuthentication, Code: "aws_credentials"}
	}

	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		msg := apiErr.ErrorMessage()
		if msg == "" {
			msg = code
		}
		status, typ := statusFor(code, err)
		text := fmt.Sprintf("%s: Bedrock %s: %s", call, code, msg)
		switch code {
		case "AccessDeniedException":
			text += " (check that the profile may call bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on this model and that model access is enabled in this region)"
		case "ResourceNotFoundException":
			text += " (check aws_model_id and aws_region in models.ini)"
		case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken":
			text += fmt.Sprintf(" (refresh the credentials of %s)", profileName(call.Profile))
		}
		return &openai.Error{Status: status, Message: text, Type: typ, Code: code}
	}

	var timeout *awshttp.ResponseTimeoutError
	if errors.As(err, &timeout) {
		return &openai.Error{Status: http.StatusGatewayTimeout, Message: fmt.Sprintf("%s: Bedrock sent nothing for %s; gave up", call, timeout.TimeoutDur), Type: openai.TypeTimeout, Code: "timeout"}
	}
	var cfgErr *ConfigError
	if errors.As(err, &cfgErr) {
		return &openai.Error{Status: http.StatusInternalServerError, Message: fmt.Sprintf("%s: %v", call, err), Type: openai.TypeServer, Code: "aws_config"}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || strings.Contains(err.Error(), "connection refused") {
		return &openai.Error{Status: http.StatusBadGateway, Message: fmt.Sprintf("%s: cannot reach Bedrock: %v", call, rootCause(err)), Type: openai.TypeUpstream, Code: "bedrock_unreachable"}
	}
	return &openai.Error{Status: http.StatusBadGateway, Message: fmt.Sprintf("%s: Bedrock call failed: %v", call, err), Type: openai.TypeUpstream, Code: "bedrock_error"}
}

func statusFor(code string, err error) (int, string) {
	switch code {
	case "ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException":
		return http.StatusTooManyRequests, openai.TypeRateLimit
	case "ValidationException":
		return http.StatusBadRequest, openai.TypeInvalidRequest
	case "AccessDeniedException":
		return http.StatusForbidden, openai.TypePermission
	case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken", "IncompleteSignatureException":
		return http.StatusUnauthorized, openai.TypeAuthentication
	case "ResourceNotFoundException":
		return http.StatusNotFound, openai.TypeNotFound
	case "ModelTimeoutException":
		return http.StatusRequestTimeout, openai.TypeTimeout
	case "ServiceUnavailableException", "ModelNotReadyException":
		return http.StatusServiceUnavailable, openai.TypeUpstream
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s == http.StatusTooManyRequests:
			return s, openai.TypeRateLimit
		case s == http.StatusServiceUnavailable:
			return s, openai.TypeUpstream
		}
	}
	return http.StatusBadGateway, openai.TypeUpstream
}

func profileName(p string) string {
	if p == "" {
		return "the default credential chain"
	}
	return fmt.Sprintf("profile %q (aws sso login --profile %s, or update its keys)", p, p)
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
