package bedrock

import (
	"testing"

	"github.com/llmstack/llmstack/server/openai"
)

// TestSamplerDoesNotAddTemperatureToCallerTopP: the shipped
// models.ini gives code-fast and code-smart "sampler = temp=0.2" with the
// note "Claude 4.5 models take temperature or top_p, not both". A client
// that sets only top_p (a common knob in Continue, Zed and others) gets the
// tier's temperature added by the router, so the Converse request carries
// both and Claude 4.5 refuses it ("temperature and top_p cannot both be
// specified for this model"): a 400 the client did not cause. The sampler
// should fill in a sampling choice only when the caller made none.
func TestSamplerDoesNotAddTemperatureToCallerTopP(t *testing.T) {
	req, oerr := openai.DecodeRequest([]byte(`{"model":"agent","top_p":0.9,"messages":[{"role":"user","content":"hi"}]}`), openai.ChatCompletions)
	if oerr != nil {
		t.Fatal(oerr.Message)
	}
	tier := testTier(t, "temp=0.2", 0)
	got, oerr := BuildRequest(req, tier, tier.Bedrock.Active(false))
	if oerr != nil {
		t.Fatal(oerr.Message)
	}
	if ic := got.InferenceConfig; ic != nil && ic.Temperature != nil && ic.TopP != nil {
		t.Errorf("inferenceConfig has temperature %v (from the tier's sampler) and topP %v (from the caller): Claude 4.5 refuses both together", *ic.Temperature, *ic.TopP)
	}
}
