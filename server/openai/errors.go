package openai

import (
	"net/http"
)

// Error types, as OpenAI names them.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAuthentication = "authentication_error"
	TypePermission     = "permission_error"
	TypeNotFound       = "not_found_error"
	TypeRateLimit      = "rate_limit_error"
	TypeTimeout        = "timeout_error"
	TypeUpstream       = "upstream_error"
	TypeServer         = "server_error"
)

// Error is an OpenAI error object; Status is the HTTP status it is sent
// with.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    string `json:"code"`
}

func (e *Error) Error() string { return e.Message }

// InvalidRequest is a 400 error.
func InvalidRequest(msg, code string) *Error {
	return &Error{Status: http.StatusBadRequest, Message: msg, Type: TypeInvalidRequest, Code: code}
}

// WriteError sends e as {"error": {...}} with its status.
func WriteError(w http.ResponseWriter, e *Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	WriteJSON(w, status, struct {
		Error *Error `json:"error"`
	}{e})
}
