package bedrock

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/server/openai"
)

// TestModelFamilies: top_k reaches additionalModelRequestFields in each
// family's own shape, and the client's cache_control becomes cache points
// only for models that take them (or a tier with prompt_cache on), since
// Bedrock refuses cache points a model does not take.
func TestModelFamilies(t *testing.T) {
	body := `{"top_k":30,"messages":[
		{"role":"system","content":"Be brief.","cache_control":{"type":"ephemeral"}},
		{"role":"user","content":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}`
	cases := []struct {
		model       string
		promptCache bool
		wantFields  string // JSON; "null" for none
		wantPoints  int
	}{
		{"anthropic.claude-3-5-haiku-20241022-v1:0", false, `{"top_k":30}`, 2},
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", false, `{"top_k":30}`, 2},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-opus-4-5-20251101-v1:0", false, `{"top_k":30}`, 2},
		{"amazon.nova-pro-v1:0", false, `{"inferenceConfig":{"topK":30}}`, 2},
		{"us.amazon.nova-lite-v1:0", false, `{"inferenceConfig":{"topK":30}}`, 2},
		{"meta.llama3-1-70b-instruct-v1:0", false, `null`, 0},
		{"mistral.mistral-large-2407-v1:0", false, `null`, 0},
		{"mistral.mistral-large-2407-v1:0", true, `null`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			req, oerr := openai.DecodeRequest([]byte(body), openai.ChatCompletions)
			if oerr != nil {
				t.Fatal(oerr.Message)
			}
			tier := testTier(t, "", 0)
			tier.Bedrock.ModelID = tc.model
			tier.Bedrock.PromptCache = tc.promptCache
			got, oerr := BuildRequest(req, tier, tier.Bedrock.Active(false))
			if oerr != nil {
				t.Fatal(oerr.Message)
			}
			assertJSONEqual(t, "additionalModelRequestFields", got.AdditionalModelRequestFields, tc.wantFields)
			if n := countCachePoints(got); n != tc.wantPoints {
				raw, _ := json.Marshal(got)
				t.Errorf("%d cache points, want %d:\n%s", n, tc.wantPoints, raw)
			}
			checkWireMatchesSDK(t, got)
		})
	}
}

// TestDocumentName: file names become names in Bedrock's alphabet, at
// most 200 characters, never empty.
func TestDocumentName(t *testing.T) {
	cases := map[string]string{
		"report.pdf":                      "report",
		"C:\\Users\\me\\Q3 report.xlsx":   "Q3 report",
		"a\t\tb..c.txt":                   "a b-c",
		"__init__.py":                     "-init-",
		"résumé.docx":                     "r-sum-",
		"[draft] (v2).md":                 "[draft] (v2)",
		"":                                "document",
		".pdf":                            "document",
		"日本語.pdf":                         "document",
		strings.Repeat("x", 300) + ".pdf": strings.Repeat("x", 200),
	}
	for in, want := range cases {
		if got := documentName(in); got != want {
			t.Errorf("documentName(%q) = %q, want %q", in, got, want)
		}
	}
}
