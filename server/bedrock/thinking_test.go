package bedrock

import (
	"testing"

	"github.com/llmstack/llmstack/server/openai"
)

// TestModelThinking is the built-in table: which Claude models take a
// thinking budget, which adaptive thinking, and which nothing.
func TestModelThinking(t *testing.T) {
	for id, want := range map[string]string{
		"anthropic.claude-3-7-sonnet-20250219-v1:0":      "budget",
		"us.anthropic.claude-sonnet-4-20250514-v1:0":     "budget",
		"anthropic.claude-opus-4-20250514-v1:0":          "budget",
		"us.anthropic.claude-opus-4-1-20250805-v1:0":     "budget",
		"us.anthropic.claude-sonnet-4-5-20250929-v1:0":   "budget",
		"eu.anthropic.claude-haiku-4-5-20251001-v1:0":    "budget",
		"global.anthropic.claude-opus-4-5-20251101-v1:0": "budget",
		"anthropic.claude-sonnet-4-6":                    "adaptive",
		"us.anthropic.claude-opus-4-6-v1":                "adaptive",
		"us.anthropic.claude-opus-4-7":                   "adaptive",
		"anthropic.claude-sonnet-5":                      "adaptive",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0": "budget",
		"anthropic.claude-3-5-sonnet-20241022-v2:0":                                                             "",
		"anthropic.claude-3-haiku-20240307-v1:0":                                                                "",
		"anthropic.claude-v2:1":                                                                                 "",
		"amazon.nova-pro-v1:0":                                                                                  "",
		"meta.llama3-70b-instruct-v1:0":                                                                         "",
		"deepseek.r1-v1:0":                                                                                      "",
		"":                                                                                                      "",
	} {
		if got := ModelThinking(id); got != want {
			t.Errorf("ModelThinking(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestReasoningFromDetails checks which reasoning_details become thinking
// blocks: signed text (joined from a stream's pieces) and redacted data;
// unsigned text, other formats and bad data are dropped and counted.
func TestReasoningFromDetails(t *testing.T) {
	text := func(s, sig string, i int) openai.ReasoningDetail {
		return openai.ReasoningDetail{Type: openai.ReasoningText, Text: s, Signature: sig, Index: i}
	}
	tests := []struct {
		name    string
		in      []openai.ReasoningDetail
		want    string
		dropped int
	}{
		{"none", nil, `null`, 0},
		{"whole", []openai.ReasoningDetail{text("a", "s1", 0)}, `[{"reasoningText":{"text":"a","signature":"s1"}}]`, 0},
		{"pieces", []openai.ReasoningDetail{text("a", "", 0), text("b", "", 0), text("", "s1", 0)}, `[{"reasoningText":{"text":"ab","signature":"s1"}}]`, 0},
		{"two blocks, same index", []openai.ReasoningDetail{text("a", "s1", 0), text("b", "s2", 0)}, `[{"reasoningText":{"text":"a","signature":"s1"}},{"reasoningText":{"text":"b","signature":"s2"}}]`, 0},
		{"two blocks by index", []openai.ReasoningDetail{text("a", "", 0), text("b", "", 1), text("", "s2", 1)}, `[{"reasoningText":{"text":"b","signature":"s2"}}]`, 1},
		{"encrypted", []openai.ReasoningDetail{text("a", "s1", 0), {Type: openai.ReasoningEncrypted, Data: "AAEC", Index: 1}}, `[{"reasoningText":{"text":"a","signature":"s1"}},{"redactedContent":"AAEC"}]`, 0},
		{"encrypted not base64", []openai.ReasoningDetail{{Type: openai.ReasoningEncrypted, Data: "%%%"}}, `null`, 1},
		{"other format", []openai.ReasoningDetail{{Type: openai.ReasoningEncrypted, Data: "AAEC", Format: "openai-responses-v1"}}, `null`, 1},
		{"unsigned", []openai.ReasoningDetail{text("a", "", 0)}, `null`, 1},
		{"summary ignored", []openai.ReasoningDetail{{Type: "reasoning.summary", Text: "short"}}, `null`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropped := reasoningFromDetails(tt.in)
			assertJSONEqual(t, "blocks", got, tt.want)
			if dropped != tt.dropped {
				t.Errorf("dropped %d, want %d", dropped, tt.dropped)
			}
		})
	}
}
