package bedrock

import (
	"fmt"
	"math"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// family is what the router knows of a model family's Converse features.
type family struct {
	// caches: the family takes cache points.
	caches bool
	// topK places top_k in additionalModelRequestFields; nil when the
	// family has no top_k.
	topK func(fields *ModelFields, k int)
}

// familyOf tells a model's family from its id, inference profile id or
// ARN (us.anthropic.claude-…, amazon.nova-pro-v1:0, arn:…/global.anthropic…).
// Models it does not know get no cache points of the client's and no top_k.
func familyOf(modelID string) family {
	id := strings.ToLower(modelID)
	switch {
	case strings.Contains(id, "anthropic.claude"):
		return family{caches: true, topK: func(f *ModelFields, k int) { f.TopK = &k }}
	case strings.Contains(id, "amazon.nova"):
		return family{caches: true, topK: func(f *ModelFields, k int) { f.NovaInference = &NovaInference{TopK: k} }}
	}
	return family{}
}

// addTopK passes top_k, the caller's or else the tier sampler's, to models
// that take it, unless thinking is on. 0 leaves it off, as in llama.cpp.
func addTopK(r *ConverseRequest, req *openai.ChatRequest, tier *tiers.Tier, modelID string) *openai.Error {
	k, set := 0.0, false
	if req.TopK != nil {
		k, set = *req.TopK, true
		if k < 0 || k != math.Trunc(k) || k > math.MaxInt32 {
			return openai.InvalidRequest(fmt.Sprintf(`"top_k" is %v: it must be a whole number of at least 0 (0 leaves it off)`, k), "invalid_value")
		}
	} else {
		k, set = tier.Sampler.Get("top_k")
	}
	f := familyOf(modelID)
	if !set || k < 1 || f.topK == nil {
		return nil
	}
	if r.AdditionalModelRequestFields == nil {
		r.AdditionalModelRequestFields = &ModelFields{}
	} else if r.AdditionalModelRequestFields.Thinking != nil {
		// Bedrock refuses top_k with thinking on.
		r.Repairs.Add(RepairTopK, 1)
		return nil
	}
	f.topK(r.AdditionalModelRequestFields, int(k))
	return nil
}
