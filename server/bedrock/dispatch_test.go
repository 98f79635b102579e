package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/llmstack/llmstack/server/openai"
)

// TestFailure checks the one mapping from why a Bedrock request failed to
// what the client is told, for JSON answers and streams alike: a shutdown
// names itself whatever error it caused, a stream cut short or gone silent
// says so, a refused request keeps its 400, and Bedrock's errors get their
// honest status.
func TestFailure(t *testing.T) {
	call := Call{Tier: "agent", Model: "m", Region: "us-east-1"}
	stopped := func() context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errShuttingDown)
		return ctx
	}
	live := context.Background()
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		status int
		code   string
	}{
		{"throttled", live, throttled, http.StatusTooManyRequests, "ThrottlingException"},
		{"throttled while stopping", stopped(), throttled, http.StatusServiceUnavailable, "shutting_down"},
		{"call cancelled by the shutdown", stopped(), fmt.Errorf("read: %w", context.Canceled), http.StatusServiceUnavailable, "shutting_down"},
		{"stream cut short", live, errIncompleteStream, http.StatusBadGateway, "incomplete_stream"},
		{"stream cut short while stopping", stopped(), errIncompleteStream, http.StatusServiceUnavailable, "shutting_down"},
		{"stream idle", live, errStreamIdle, http.StatusGatewayTimeout, "stream_idle_timeout"},
		{"refused request", live, &openai.Error{Status: 400, Code: "bad_n", Message: "n must be 1"}, http.StatusBadRequest, "bad_n"},
		{"client left", live, context.Canceled, 499, "cancelled"},
		{"something else", live, errors.New("boom"), http.StatusBadGateway, "bedrock_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := failure(tt.ctx, tt.err, call, 90*time.Second)
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("failure(%v) = %d %s (%s); want %d %s", tt.err, e.Status, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}
