package server

import (
	"strings"
	"testing"
)

// TestPeekModel checks that the model is read from the top level of the
// body only, wherever it stands, without needing the rest to be valid.
func TestPeekModel(t *testing.T) {
	big := `"messages":[{"role":"user","content":"` + strings.Repeat("x", 1<<16) + `","model":"inner"}]`
	tests := []struct {
		name, body, want string
	}{
		{"first", `{"model":"qwen","messages":[]}`, "qwen"},
		{"after the messages", `{` + big + `,"model":"qwen"}`, "qwen"},
		{"nested model is not the model", `{` + big + `}`, ""},
		{"nested object before", `{"metadata":{"model":"no"},"model":"yes"}`, "yes"},
		{"escaped key and value", `{"mod\u0065l":"q\u00e9n"}`, "qén"},
		{"rest not valid", `{"model":"qwen","messages":[`, "qwen"},
		{"invalid before the model", `{"messages":[,"model":"qwen"}`, ""},
		{"not a string", `{"model":42}`, ""},
		{"not an object", `["model","qwen"]`, ""},
		{"empty", ``, ""},
		{"no model", `{"messages":[]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := peekModel([]byte(tt.body)); got != tt.want {
				t.Errorf("peekModel = %q, want %q", got, tt.want)
			}
		})
	}
}
