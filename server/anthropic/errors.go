package anthropic

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/llmstack/llmstack/server/openai"
)

// Error types, as Anthropic names them.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAuthentication = "authentication_error"
	TypePermission     = "permission_error"
	TypeNotFound       = "not_found_error"
	TypeRateLimit      = "rate_limit_error"
	TypeAPI            = "api_error"
	TypeOverloaded     = "overloaded_error"
)

// ErrorObject is the "error" member of an Anthropic error.
type ErrorObject struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// ErrorBody is an Anthropic error: {"type":"error","error":{...}}, the
// body of an error response and the data of a stream's error event.
type ErrorBody struct {
	Type  string      `json:"type"`
	Error ErrorObject `json:"error"`
}

// FromOpenAI is the Anthropic error for one of the router's errors. The
// cause was mapped to a status once (bedrock.HTTPError and the router's
// own checks); this only renames its type, so both front doors answer a
// failure with the same status.
func FromOpenAI(e *openai.Error) ErrorBody {
	typ := TypeAPI
	switch e.Type {
	case openai.TypeInvalidRequest:
		typ = TypeInvalidRequest
	case openai.TypeAuthentication:
		typ = TypeAuthentication
	case openai.TypePermission:
		typ = TypePermission
	case openai.TypeNotFound:
		typ = TypeNotFound
	case openai.TypeRateLimit:
		typ = TypeRateLimit
	default:
		switch s := e.Status; {
		case s == http.StatusServiceUnavailable || s == 529:
			typ = TypeOverloaded
		case s == http.StatusTooManyRequests:
			typ = TypeRateLimit
		case s == http.StatusUnauthorized:
			typ = TypeAuthentication
		case s == http.StatusForbidden:
			typ = TypePermission
		case s == http.StatusNotFound:
			typ = TypeNotFound
		case s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != 499:
			typ = TypeInvalidRequest
		}
	}
	return ErrorBody{Type: "error", Error: ErrorObject{Type: typ, Message: e.Message}}
}

// WriteError sends e as an Anthropic error with its status.
func WriteError(w http.ResponseWriter, e *openai.Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	body, _ := json.Marshal(FromOpenAI(e))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
