package server

import (
	"testing"

	"github.com/llmstack/llmstack/server/openai"
)

// TestFailuresInARow checks the streak the tray's "tier is failing"
// notification is based on: failures count up, a success ends the streak,
// and a client that went away (499) changes nothing.
func TestFailuresInARow(t *testing.T) {
	fail := &openai.Error{Status: 503, Message: "unavailable"}
	gone := &openai.Error{Status: 499, Message: "client went away"}
	tests := []struct {
		name string
		seq  []*openai.Error // nil is a success
		want int64
	}{
		{"none", nil, 0},
		{"three failures", []*openai.Error{fail, fail, fail}, 3},
		{"success ends the streak", []*openai.Error{fail, fail, nil, fail}, 1},
		{"client gone leaves it", []*openai.Error{fail, fail, gone, fail}, 3},
		{"recovered", []*openai.Error{fail, fail, fail, nil}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s tierStats
			for _, e := range tt.seq {
				status := 200
				if e != nil {
					status = e.Status
				}
				s.record("code-fast", status, e, 0, nil)
			}
			if got := s.get("code-fast").FailuresInARow; got != tt.want {
				t.Errorf("FailuresInARow = %d, want %d", got, tt.want)
			}
		})
	}
}
