package bedrock

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// Thinking budgets of each effort, in tokens.
var effortBudget = map[string]int{
	"minimal":             tiers.MinThinkingBudget,
	tiers.ReasoningLow:    2048,
	tiers.ReasoningMedium: 8192,
	tiers.ReasoningHigh:   16384,
}

// answerRoom is how many tokens beyond the thinking budget a request gets
// when neither the caller nor the tier set max tokens.
const answerRoom = 4096

// minTopP is the smallest top_p Bedrock takes with thinking on.
const minTopP = 0.95

// claudeVersion finds the version in a Claude model id, old style
// ("claude-3-7-sonnet-…") or new ("claude-sonnet-4-5-…", "claude-opus-4-…").
// A minor version has one or two digits; a date does not count as one.
var claudeVersion = regexp.MustCompile(`claude-(?:[a-z]+-)?(\d+)(?:-(\d{1,2}))?(?:[-:@.]|$)`)

// ModelThinking is the built-in table of how a model takes extended
// thinking: tiers.ThinkingBudget for Claude 3.7 to 4.5, tiers.ThinkingAdaptive
// for Claude 4.6 and later (Opus 4.7 takes nothing else), "" for models
// without it (older Claude, and every other family).
func ModelThinking(modelID string) string {
	id := strings.ToLower(modelID)
	m := claudeVersion.FindStringSubmatch(id)
	if m == nil {
		return ""
	}
	major, _ := strconv.Atoi(m[1])
	minor := 0
	if m[2] != "" {
		minor, _ = strconv.Atoi(m[2])
	}
	switch v := major*100 + minor; {
	case v < 307:
		return ""
	case v < 406:
		return tiers.ThinkingBudget
	}
	return tiers.ThinkingAdaptive
}

// thinkingPlan is the thinking one request asks for.
type thinkingPlan struct {
	style  string // tiers.ThinkingBudget or tiers.ThinkingAdaptive
	budget int    // budget style
	effort string // adaptive style: low, medium or high
}

// planThinking reads reasoning_effort, or the tier's reasoning default
// when the caller sent none, against the model's thinking style (the
// tier's thinking key, else the built-in table). nil means thinking off:
// not asked for, or a model without thinking.
func planThinking(req *openai.ChatRequest, tier *tiers.Tier, modelID string) (*thinkingPlan, *openai.Error) {
	effort := strings.ToLower(strings.TrimSpace(req.ReasoningEffort))
	budget := 0
	switch effort {
	case "":
		if tier.Bedrock != nil {
			effort, budget = tier.Bedrock.Reasoning.Effort, tier.Bedrock.Reasoning.Budget
		}
	case "none", "minimal", tiers.ReasoningLow, tiers.ReasoningMedium, tiers.ReasoningHigh:
	default:
		return nil, openai.InvalidRequest(fmt.Sprintf("reasoning_effort %q is not one of none, minimal, low, medium, high", req.ReasoningEffort), "invalid_reasoning_effort")
	}
	if effort == "none" || effort == tiers.ReasoningOff || (effort == "" && budget == 0) {
		return nil, nil
	}
	style := ""
	if tier.Bedrock != nil {
		style = tier.Bedrock.Thinking
	}
	if style == "" {
		style = ModelThinking(modelID)
	}
	switch style {
	case tiers.ThinkingBudget:
		if budget == 0 {
			budget = effortBudget[effort]
		}
		return &thinkingPlan{style: style, budget: budget}, nil
	case tiers.ThinkingAdaptive:
		if effort == "" {
			effort = effortFor(budget)
		}
		if effort == "minimal" {
			effort = tiers.ReasoningLow
		}
		return &thinkingPlan{style: style, effort: effort}, nil
	}
	return nil, nil
}

// effortFor is the adaptive effort closest to a budget a tier names.
func effortFor(budget int) string {
	switch {
	case budget >= effortBudget[tiers.ReasoningHigh]:
		return tiers.ReasoningHigh
	case budget >= effortBudget[tiers.ReasoningMedium]:
		return tiers.ReasoningMedium
	}
	return tiers.ReasoningLow
}

// historyTakesThinking reports whether Bedrock takes the conversation with
// thinking on: the model's turn must not be prefilled, and the last
// assistant turn of a tool loop (whose results the final user turn
// carries) must start with its thinking.
func historyTakesThinking(msgs []Message) bool {
	n := len(msgs)
	if n == 0 || msgs[n-1].Role != "user" {
		return false
	}
	if n < 2 {
		return true
	}
	a := msgs[n-2].Content
	if !hasBlock(a, func(b ContentBlock) bool { return b.ToolUse != nil }) || !hasBlock(msgs[n-1].Content, func(b ContentBlock) bool { return b.ToolResult != nil }) {
		return true
	}
	return len(a) > 0 && a[0].ReasoningContent != nil
}

func hasBlock(blocks []ContentBlock, is func(ContentBlock) bool) bool {
	for _, b := range blocks {
		if is(b) {
			return true
		}
	}
	return false
}

// dropThinking removes the thinking blocks of a request that runs with
// thinking off: they mean nothing to the model then.
func dropThinking(msgs []Message) {
	for i := range msgs {
		kept := msgs[i].Content[:0]
		for _, b := range msgs[i].Content {
			if b.ReasoningContent == nil {
				kept = append(kept, b)
			}
		}
		msgs[i].Content = kept
	}
}

// applyThinking turns thinking on in the request and adjusts what Bedrock
// refuses with it instead of failing: temperature dropped, top_p raised to
// 0.95, a forced tool choice relaxed to auto, and for a budget, max tokens
// raised above it (within the tier's max_output_tokens) or the budget
// lowered under them. It reports false, changing nothing, when no budget
// Bedrock takes fits under the tier's ceiling.
func applyThinking(r *ConverseRequest, plan *thinkingPlan, tier *tiers.Tier, requested int) bool {
	fields := &ModelFields{}
	ic := r.InferenceConfig
	if ic == nil {
		ic = &InferenceConfig{}
	}
	if plan.style == tiers.ThinkingBudget {
		budget := plan.budget
		maxTokens := 0
		if ic.MaxTokens != nil {
			maxTokens = int(*ic.MaxTokens)
		}
		limit := tier.MaxOutputTokens
		if maxTokens <= budget {
			// Thinking counts against max tokens: the answer keeps the
			// room the caller asked for (or a default) on top of it.
			room := requested
			if room == 0 {
				room = answerRoom
			}
			raised := min(budget+room, math.MaxInt32)
			if limit > 0 && raised > limit {
				raised = limit
			}
			if raised <= budget {
				budget = raised / 2
			}
			if budget < tiers.MinThinkingBudget {
				return false
			}
			if raised != maxTokens {
				r.Repairs.Add(RepairMaxTokens, 1)
			}
			if budget != plan.budget {
				r.Repairs.Add(RepairBudget, 1)
			}
			n := int32(raised)
			ic.MaxTokens = &n
		}
		fields.Thinking = &ThinkingConfig{Type: "enabled", BudgetTokens: budget}
	} else {
		fields.Thinking = &ThinkingConfig{Type: "adaptive"}
		fields.OutputConfig = &EffortConfig{Effort: plan.effort}
	}
	if ic.Temperature != nil {
		ic.Temperature = nil
		r.Repairs.Add(RepairTemperature, 1)
	}
	if ic.TopP != nil && *ic.TopP < minTopP {
		p := float32(minTopP)
		ic.TopP = &p
		r.Repairs.Add(RepairTopP, 1)
	}
	r.InferenceConfig = ic
	if ic.MaxTokens == nil && ic.Temperature == nil && ic.TopP == nil && len(ic.StopSequences) == 0 {
		r.InferenceConfig = nil
	}
	if tc := r.ToolConfig; tc != nil && tc.ToolChoice != nil {
		tc.ToolChoice = nil
		r.Repairs.Add(RepairToolChoice, 1)
	}
	r.AdditionalModelRequestFields = fields
	return true
}

// reasoningFromDetails turns the reasoning_details a client sent back
// with an assistant message into thinking blocks: signed text, and
// redacted (encrypted) data. Entries with the same index that arrive in
// pieces (a stream's deltas, kept as they came) join into one block. What
// Bedrock cannot take back (no signature, another provider's format, data
// that is not base64) is left out and counted in dropped.
func reasoningFromDetails(details []openai.ReasoningDetail) (blocks []ReasoningContent, dropped int) {
	type piece struct {
		index     int
		text, sig strings.Builder
	}
	var texts []*piece
	var out []ReasoningContent
	flush := func() {
		for _, p := range texts {
			if p.sig.Len() == 0 {
				dropped++
				continue
			}
			out = append(out, ReasoningContent{ReasoningText: &ReasoningText{Text: p.text.String(), Signature: p.sig.String()}})
		}
		texts = nil
	}
	for _, d := range details {
		if d.Format != "" && d.Format != openai.ReasoningFormat {
			dropped++
			continue
		}
		switch d.Type {
		case openai.ReasoningText:
			// A new block starts at a new index, or after a piece that
			// carried the signature (which ends a block).
			if n := len(texts); n == 0 || texts[n-1].index != d.Index || texts[n-1].sig.Len() > 0 {
				texts = append(texts, &piece{index: d.Index})
			}
			p := texts[len(texts)-1]
			p.text.WriteString(d.Text)
			p.sig.WriteString(d.Signature)
		case openai.ReasoningEncrypted:
			flush()
			data, err := base64.StdEncoding.DecodeString(d.Data)
			if err != nil || len(data) == 0 {
				dropped++
				continue
			}
			out = append(out, ReasoningContent{RedactedContent: data})
		default:
			// reasoning.summary and the like: readable text, not a
			// block Bedrock takes back.
		}
	}
	flush()
	return out, dropped
}
