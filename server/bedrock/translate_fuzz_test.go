package bedrock

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// fuzzTiers are the tier settings FuzzBuildRequest translates for: plain,
// prompt cache on, budget thinking on a Claude 4.5, adaptive thinking, and
// a small output ceiling.
var fuzzTiers = []struct {
	modelID, reasoning, sampler string
	promptCache                 bool
	maxOut                      int
}{
	{"anthropic.claude-test-v1:0", "", "", false, 0},
	{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "", "temp=0.2", true, 0},
	{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "high", "temp=0.2,top_k=40", true, 32000},
	{"global.anthropic.claude-opus-4-6-v1", "medium", "", true, 0},
	{"amazon.nova-pro-v1:0", "", "top_k=20", false, 2000},
}

// forgedThinking matches the fake's refusal of thinking it did not issue.
var forgedThinking = regexp.MustCompile("Invalid `(signature|data)` in `(redacted_)?thinking` block")

// FuzzBuildRequest translates any chat or completions body the decoder
// accepts. It must never panic, and every Converse request it builds must
// pass Bedrock's rules as the fake checks them.
func FuzzBuildRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/translate/*.request.json")
	for i, file := range files {
		if body, err := os.ReadFile(file); err == nil {
			f.Add(body, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, variant uint8) {
		ep := openai.ChatCompletions
		if variant&0x80 != 0 {
			ep = openai.Completions
		}
		if bytes.Contains(body, []byte("FAKE-")) {
			body = signDetails(t, body) // the seeds' placeholders
		}
		req, oerr := openai.DecodeRequest(body, ep)
		if oerr != nil {
			return
		}
		ft := fuzzTiers[int(variant&0x7f)%len(fuzzTiers)]
		tier := testTier(t, ft.sampler, ft.maxOut)
		tier.Bedrock.ModelID, tier.Bedrock.PromptCache = ft.modelID, ft.promptCache
		if ft.reasoning != "" {
			var err error
			if tier.Bedrock.Reasoning, err = tiers.ParseReasoning(ft.reasoning); err != nil {
				t.Fatal(err)
			}
		}
		got, oerr := BuildRequest(req, tier, tier.Bedrock.Active(false))
		if oerr != nil {
			return
		}
		raw, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("the Converse request does not marshal: %v", err)
		}
		// A signature the client sent back is passed on as it came: only
		// Bedrock can tell a forged one, so the fake's verdict on it says
		// nothing about the translation.
		if msg := fakebedrock.Validate(raw); msg != "" && !forgedThinking.MatchString(msg) {
			t.Fatalf("Bedrock would refuse the request built from %s:\n%s\nrequest: %s", body, msg, raw)
		}
	})
}
