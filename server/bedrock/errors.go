package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/llmstack/llmstack/server/openai"
)

// Call describes the Bedrock call an error came from, for the message.
type Call struct {
	Tier     string
	Model    string
	Region   string
	Profile  string
	Endpoint string // aws_endpoint_url; "" is the regional endpoint
	// kind is where the profile's credentials come from, for the fix
	// when AWS refuses them.
	kind credentialKind
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
			text += " (" + refreshFix(call.Profile, call.kind) + ")"
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
		return &openai.Error{Status: http.StatusBadGateway, Message: fmt.Sprintf("%s: cannot reach Bedrock at %s (%s): %v", call, endpointHost(err, call), regionName(call.Region), netCause(err)), Type: openai.TypeUpstream, Code: "bedrock_unreachable"}
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

// endpointHost is the host (and port) of the Bedrock endpoint a call tried:
// from the failed request, else from aws_endpoint_url, else the regional
// default. Only the host: a URL may carry a password.
func endpointHost(err error, call Call) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host
		}
	}
	if u, perr := url.Parse(call.Endpoint); perr == nil && u.Host != "" {
		return u.Host
	}
	return fmt.Sprintf("bedrock-runtime.%s.amazonaws.com", call.Region)
}

func regionName(region string) string {
	if region == "" {
		return "default region"
	}
	return "region " + region
}

// netCause is the network error under err (dial tcp …: connection
// refused, lookup …: no such host), without the URL around it.
func netCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	return rootCause(err)
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
