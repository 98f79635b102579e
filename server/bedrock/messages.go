package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// AnthropicVersion is the anthropic_version Bedrock takes in a Claude body.
const AnthropicVersion = "bedrock-2023-05-31"

// BedrockBetas are the anthropic-beta values Bedrock takes for Claude
// models (AWS's list for the Messages API on Bedrock). Others — Claude
// Code's own claude-code-…, betas of the first-party API, new ones — are
// left out: Bedrock answers a beta it does not know with a 400 ("invalid
// beta flag"), and Claude Code adds betas every release.
var BedrockBetas = []string{
	"computer-use-2024-10-22",
	"computer-use-2025-01-24",
	"token-efficient-tools-2025-02-19",
	"interleaved-thinking-2025-05-14",
	"output-128k-2025-02-19",
	"dev-full-thinking-2025-05-14",
	"context-1m-2025-08-07",
	"context-management-2025-06-27",
	"effort-2025-11-24",
	"tool-search-tool-2025-10-19",
	"tool-examples-2025-10-29",
	"fine-grained-tool-streaming-2025-05-14",
}

// Betas that unlock a body field on Bedrock.
const (
	betaContextManagement = "context-management-2025-06-27"
	betaEffort            = "effort-2025-11-24"
)

// messagesKeys are the top-level fields Bedrock takes in a Claude body.
// Any other is refused as an "extraneous key", so it is left out (and
// named in the repairs header): Claude Code sends metadata, and new
// fields come with every release.
var messagesKeys = []string{
	"anthropic_version", "anthropic_beta", "max_tokens", "messages", "system",
	"temperature", "top_p", "top_k", "stop_sequences", "tools", "tool_choice",
	"thinking", "output_config", "context_management",
}

// Repairs of Messages bodies, beyond those shared with Converse.
const (
	RepairDroppedBetas   = "dropped-betas"     // anthropic-beta values Bedrock does not take
	RepairFoldedSystem   = "folded-system"     // role "system" messages moved into system
	RepairAdaptedThink   = "adapted-thinking"  // adaptive ⇄ budget thinking, as the model takes it
	RepairCappedMaxToken = "capped-max-tokens" // max_tokens lowered to the tier's max_output_tokens
	RepairDroppedCache   = "dropped-cache-points"
)

// repairDropped names a top-level field left out: "dropped-metadata".
func repairDropped(key string) string {
	switch key {
	case "metadata", "service_tier", "container", "inference_geo", "context_management", "output_config", "mcp_servers":
		return "dropped-" + strings.ReplaceAll(key, "_", "-")
	}
	return "dropped-fields"
}

// ServesClaude reports whether a Bedrock model id (or inference profile,
// or ARN) is a Claude model, which takes Anthropic's own body.
func ServesClaude(modelID string) bool {
	return strings.Contains(strings.ToLower(modelID), "anthropic.claude")
}

// MessagesBody is an Anthropic Messages request made ready for
// InvokeModel on a Claude tier.
type MessagesBody struct {
	Body    []byte
	Repairs Repairs
}

// jsonObject is a JSON object whose members stay as sent.
type jsonObject map[string]json.RawMessage

// BuildMessagesBody turns the body of a /v1/messages request (Claude
// Code's, as sent) into what Bedrock takes for modelID: model and stream
// leave it, anthropic_version comes in, the anthropic-beta header values
// Bedrock takes become anthropic_beta, fields Bedrock refuses are left
// out, system messages inside messages join system, thinking takes the
// model's style and the settings it needs, max_tokens stays within the
// tier's max_output_tokens, and with prompt_cache on a body without cache
// points gets the automatic ones. Everything else — thinking blocks and
// their signatures, tool use, images, documents, the client's cache
// points — passes byte for byte. Every change is counted in Repairs.
func BuildMessagesBody(raw []byte, headerBetas []string, tier *tiers.Tier, modelID string) (*MessagesBody, *openai.Error) {
	var body jsonObject
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, openai.InvalidRequest("request body is not a JSON object", "invalid_json")
	}
	// As json.Unmarshal does: bytes after the object make the body
	// something else than the request it starts with.
	if _, err := dec.Token(); err != io.EOF {
		return nil, openai.InvalidRequest("request body has more after its JSON object", "invalid_json")
	}
	// stream is the caller's (InvokeModel or its stream); one that is not
	// a boolean cannot say which was meant.
	if st, ok := body["stream"]; ok && !isJSONBool(st) {
		return nil, openai.InvalidRequest("stream must be true or false", "invalid_request")
	}
	out := &MessagesBody{}
	r := &out.Repairs
	delete(body, "model")
	delete(body, "stream")
	body["anthropic_version"] = mustJSON(AnthropicVersion)

	betas := slices.Clone(headerBetas)
	if rawBetas, ok := body["anthropic_beta"]; ok {
		var inBody []string
		if json.Unmarshal(rawBetas, &inBody) != nil {
			return nil, openai.InvalidRequest("anthropic_beta must be a list of strings", "invalid_request")
		}
		betas = append(betas, inBody...)
	}
	var kept []string
	for _, b := range betas {
		switch {
		case slices.Contains(kept, b):
		case slices.Contains(BedrockBetas, b):
			kept = append(kept, b)
		default:
			r.Add(RepairDroppedBetas, 1)
		}
	}
	delete(body, "anthropic_beta")
	if len(kept) > 0 {
		body["anthropic_beta"] = mustJSON(kept)
	}
	for _, k := range slices.Sorted(mapKeys(body)) {
		if !slices.Contains(messagesKeys, k) {
			delete(body, k)
			r.Add(repairDropped(k), 1)
		}
	}
	if _, ok := body["context_management"]; ok && !slices.Contains(kept, betaContextManagement) {
		delete(body, "context_management")
		r.Add(repairDropped("context_management"), 1)
	}

	msgs, system, err := foldSystem(body, r)
	if err != nil {
		return nil, err
	}
	if err := messagesMaxTokens(body, tier, r); err != nil {
		return nil, err
	}
	if err := messagesThinking(body, msgs, tier, modelID, kept, r); err != nil {
		return nil, err
	}
	tools, err := rawList(body, "tools")
	if err != nil {
		return nil, err
	}
	settleMessagesCache(msgs, system, tools, tier.Bedrock, r)
	body["messages"] = mustJSON(msgs)
	if len(system) > 0 {
		body["system"] = mustJSON(system)
	}
	if tools != nil {
		body["tools"] = mustJSON(tools)
	}
	out.Body = mustJSON(body)
	return out, nil
}

func mapKeys(m jsonObject) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// mustJSON marshals values the router built itself (strings, lists,
// decoded JSON): it cannot fail.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("bedrock: marshalling a Messages body: " + err.Error())
	}
	return b
}

// anthropicMessage is one entry of messages, its content as blocks.
type anthropicMessage struct {
	Role    string       `json:"role"`
	Content []jsonObject `json:"content"`
}

// blocksOf reads content that is a string (one text block) or a list.
func blocksOf(where string, raw json.RawMessage) ([]jsonObject, *openai.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, openai.InvalidRequest(where+" is not a valid string", "invalid_request")
		}
		return []jsonObject{{"type": mustJSON("text"), "text": mustJSON(s)}}, nil
	}
	var blocks []jsonObject
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&blocks); err != nil {
		return nil, openai.InvalidRequest(where+" must be a string or a list of content blocks", "invalid_request")
	}
	return blocks, nil
}

func (b jsonObject) typ() string {
	var s string
	_ = json.Unmarshal(b["type"], &s)
	return s
}

// rawList reads a top-level list of objects (tools); nil when absent.
func rawList(body jsonObject, key string) ([]jsonObject, *openai.Error) {
	raw, ok := body[key]
	if !ok {
		return nil, nil
	}
	var list []jsonObject
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&list); err != nil {
		return nil, openai.InvalidRequest(key+" must be a list of objects", "invalid_request")
	}
	return list, nil
}

// foldSystem reads messages and system, and moves the text of role
// "system" messages (Claude Code sends them mid-conversation; Bedrock
// takes user and assistant turns only) to the end of system, in order.
func foldSystem(body jsonObject, r *Repairs) ([]anthropicMessage, []jsonObject, *openai.Error) {
	var entries []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(body["messages"], &entries); err != nil {
		return nil, nil, openai.InvalidRequest("messages must be a list of {role, content} objects", "invalid_request")
	}
	var system []jsonObject
	if raw, ok := body["system"]; ok {
		var err *openai.Error
		if system, err = blocksOf("system", raw); err != nil {
			return nil, nil, err
		}
	}
	msgs := make([]anthropicMessage, 0, len(entries))
	for i, e := range entries {
		blocks, err := blocksOf(fmt.Sprintf("messages[%d].content", i), e.Content)
		if err != nil {
			return nil, nil, err
		}
		if e.Role == "system" {
			for j, b := range blocks {
				if b.typ() != "text" {
					return nil, nil, openai.InvalidRequest(fmt.Sprintf("messages[%d].content[%d]: a system message holds text blocks only, not %q", i, j, b.typ()), "unsupported_content")
				}
			}
			system = append(system, blocks...)
			r.Add(RepairFoldedSystem, 1)
			continue
		}
		msgs = append(msgs, anthropicMessage{Role: e.Role, Content: blocks})
	}
	return msgs, system, nil
}

// messagesMaxTokens keeps max_tokens within the tier's max_output_tokens,
// and gives a body without it (count_tokens) the tier's, or 4096.
func messagesMaxTokens(body jsonObject, tier *tiers.Tier, r *Repairs) *openai.Error {
	limit := tier.MaxOutputTokens
	raw, ok := body["max_tokens"]
	if !ok {
		n := answerRoom
		if limit > 0 {
			n = limit
		}
		body["max_tokens"] = mustJSON(n)
		return nil
	}
	var n int
	if json.Unmarshal(raw, &n) != nil || n < 1 {
		return openai.InvalidRequest(fmt.Sprintf("max_tokens is %s: it must be a whole number of at least 1", raw), "invalid_value")
	}
	if limit > 0 && n > limit {
		body["max_tokens"] = mustJSON(limit)
		r.Add(RepairCappedMaxToken, 1)
	}
	return nil
}

// messagesThinking gives the body the thinking the model takes, with the
// router's thinking table and rules: an adaptive request to a model with
// budget thinking gets the budget of its effort, a budget request to an
// adaptive-only model the effort of its budget; a body that says nothing
// gets the tier's reasoning default. With thinking on, what Bedrock
// refuses beside it is adjusted (temperature, top_k, top_p, a forced
// tool_choice, max_tokens under the budget); a tool loop whose last
// assistant turn does not start with its thinking, or a model without
// thinking, runs with thinking off. output_config goes only to models
// that take it.
func messagesThinking(body jsonObject, msgs []anthropicMessage, tier *tiers.Tier, modelID string, betas []string, r *Repairs) *openai.Error {
	style := ""
	if tier.Bedrock != nil {
		style = tier.Bedrock.Thinking
	}
	if style == "" {
		style = ModelThinking(modelID)
	}
	var th struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	}
	raw, asked := body["thinking"]
	if asked && json.Unmarshal(raw, &th) != nil {
		return openai.InvalidRequest(`thinking must be {"type":"enabled","budget_tokens":N}, {"type":"adaptive"} or {"type":"disabled"}`, "invalid_thinking")
	}
	var oc struct {
		Effort string `json:"effort"`
	}
	_, hasOC := body["output_config"]
	if hasOC {
		_ = json.Unmarshal(body["output_config"], &oc)
	}
	// Models with adaptive thinking take output_config; of the others,
	// Opus 4.5 with the effort beta (AWS lists it for Opus 4.5 only).
	takesOC := style == tiers.ThinkingAdaptive || (slices.Contains(betas, betaEffort) && strings.Contains(strings.ToLower(modelID), "opus"))

	var plan *thinkingPlan
	derivedEffort := ""
	switch {
	case !asked:
		p, err := planThinking(&openai.ChatRequest{}, tier, modelID)
		if err != nil {
			return err
		}
		plan = p
		if plan != nil && plan.style == tiers.ThinkingAdaptive {
			derivedEffort = plan.effort
		}
	case th.Type == "disabled":
	case th.Type == "enabled" || th.Type == "adaptive":
		switch style {
		case tiers.ThinkingBudget:
			budget := th.BudgetTokens
			if th.Type == "adaptive" {
				budget = effortBudget[budgetEffort(oc.Effort)]
				r.Add(RepairAdaptedThink, 1)
			}
			plan = &thinkingPlan{style: style, budget: budget}
		case tiers.ThinkingAdaptive:
			if th.Type == "enabled" {
				derivedEffort = effortFor(th.BudgetTokens)
				r.Add(RepairAdaptedThink, 1)
			}
			plan = &thinkingPlan{style: style, effort: derivedEffort}
		default:
			r.Add(RepairThinkingOff, 1)
		}
	default:
		return openai.InvalidRequest(fmt.Sprintf("thinking.type %q is not enabled, adaptive or disabled", th.Type), "invalid_thinking")
	}
	if plan != nil && !historyTakesThinking(thinkingShape(msgs)) {
		plan = nil
		r.Add(RepairThinkingOff, 1)
	}
	if plan != nil && !applyMessagesThinking(body, plan, tier, r) {
		plan = nil
		r.Add(RepairThinkingOff, 1)
	}
	if plan == nil && asked && th.Type != "disabled" {
		delete(body, "thinking")
	}
	if plan != nil && plan.style == tiers.ThinkingAdaptive && derivedEffort != "" {
		var fields jsonObject
		if hasOC {
			_ = json.Unmarshal(body["output_config"], &fields)
		}
		if fields == nil {
			fields = jsonObject{}
		}
		if _, ok := fields["effort"]; !ok {
			fields["effort"] = mustJSON(derivedEffort)
			body["output_config"] = mustJSON(fields)
			hasOC = true
		}
	}
	if hasOC && !takesOC {
		delete(body, "output_config")
		r.Add(repairDropped("output_config"), 1)
	}
	if !takesOC && slices.Contains(betas, betaEffort) {
		// The beta of a field the model does not take: Bedrock refuses
		// betas a model does not have.
		kept := slices.DeleteFunc(slices.Clone(betas), func(b string) bool { return b == betaEffort })
		delete(body, "anthropic_beta")
		if len(kept) > 0 {
			body["anthropic_beta"] = mustJSON(kept)
		}
		r.Add(RepairDroppedBetas, 1)
	}
	return nil
}

// budgetEffort is the effort of output_config as one of the router's
// budgets: medium when unsaid, high for max.
func budgetEffort(effort string) string {
	switch effort {
	case tiers.ReasoningLow, tiers.ReasoningMedium, tiers.ReasoningHigh:
		return effort
	case "max":
		return tiers.ReasoningHigh
	}
	return tiers.ReasoningMedium
}

// thinkingShape is the conversation as the thinking rules look at it:
// turns (same-role messages joined, as Anthropic's API does) of the
// block kinds that matter.
func thinkingShape(msgs []anthropicMessage) []Message {
	var out []Message
	for _, m := range msgs {
		var blocks []ContentBlock
		for _, b := range m.Content {
			switch b.typ() {
			case "tool_use":
				blocks = append(blocks, ContentBlock{ToolUse: &ToolUse{}})
			case "tool_result":
				blocks = append(blocks, ContentBlock{ToolResult: &ToolResult{}})
			case "thinking", "redacted_thinking":
				blocks = append(blocks, ContentBlock{ReasoningContent: &ReasoningContent{}})
			default:
				blocks = append(blocks, ContentBlock{Text: "x"})
			}
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			continue
		}
		out = append(out, Message{Role: m.Role, Content: blocks})
	}
	return out
}

// applyMessagesThinking runs the body's settings through applyThinking,
// the rules the Converse side uses, and writes back what they changed.
func applyMessagesThinking(body jsonObject, plan *thinkingPlan, tier *tiers.Tier, r *Repairs) bool {
	cr := &ConverseRequest{InferenceConfig: &InferenceConfig{}}
	ic := cr.InferenceConfig
	var maxTokens int32
	if json.Unmarshal(body["max_tokens"], &maxTokens) == nil {
		ic.MaxTokens = &maxTokens
	}
	var temp, topP float32
	if raw, ok := body["temperature"]; ok && json.Unmarshal(raw, &temp) == nil {
		ic.Temperature = &temp
	}
	if raw, ok := body["top_p"]; ok && json.Unmarshal(raw, &topP) == nil {
		ic.TopP = &topP
	}
	var choice struct {
		Type string `json:"type"`
	}
	if raw, ok := body["tool_choice"]; ok && json.Unmarshal(raw, &choice) == nil && (choice.Type == "any" || choice.Type == "tool") {
		cr.ToolConfig = &ToolConfig{ToolChoice: &ToolChoice{Any: &struct{}{}}}
	}
	if !applyThinking(cr, plan, tier, int(maxTokens)) {
		return false
	}
	for _, n := range cr.Repairs.names {
		r.Add(n, cr.Repairs.counts[n])
	}
	ic = cr.InferenceConfig
	if ic == nil {
		ic = &InferenceConfig{}
	}
	if ic.MaxTokens != nil {
		body["max_tokens"] = mustJSON(*ic.MaxTokens)
	}
	if ic.Temperature == nil {
		delete(body, "temperature")
	}
	if ic.TopP != nil && *ic.TopP != topP {
		body["top_p"] = mustJSON(*ic.TopP)
	}
	if cr.ToolConfig != nil && cr.ToolConfig.ToolChoice == nil {
		body["tool_choice"] = mustJSON(map[string]string{"type": "auto"})
	}
	if _, ok := body["top_k"]; ok {
		delete(body, "top_k")
		r.Add(RepairTopK, 1)
	}
	body["thinking"] = mustJSON(cr.AdditionalModelRequestFields.Thinking)
	return true
}

// cacheSpot is one block a cache point can follow, and whether it asks
// for one.
type cacheSpot struct {
	block jsonObject
}

func (c cacheSpot) marked() bool { _, ok := c.block["cache_control"]; return ok }

func (c cacheSpot) ttl() string {
	var cc struct {
		TTL string `json:"ttl"`
	}
	_ = json.Unmarshal(c.block["cache_control"], &cc)
	return cc.TTL
}

// settleMessagesCache keeps the client's cache points (the last four when
// there are more: Bedrock takes four, and too many is never an error),
// gives the points before a one-hour one an hour too (Bedrock refuses a
// shorter one ahead of it), and, with prompt_cache on and no point of the
// client's, marks what an agent sends again with every turn, as the
// Converse side does: the tools, the system prompt and the last two user
// turns.
func settleMessagesCache(msgs []anthropicMessage, system, tools []jsonObject, b *tiers.Bedrock, r *Repairs) {
	var spots []cacheSpot
	for _, t := range tools {
		spots = append(spots, cacheSpot{t})
	}
	for _, s := range system {
		spots = append(spots, cacheSpot{s})
	}
	for _, m := range msgs {
		for _, bl := range m.Content {
			spots = append(spots, cacheSpot{bl})
		}
	}
	var marked []cacheSpot
	for _, s := range spots {
		if s.marked() {
			marked = append(marked, s)
		}
	}
	if n := len(marked) - maxCachePoints; n > 0 {
		for _, s := range marked[:n] {
			delete(s.block, "cache_control")
		}
		marked = marked[n:]
		r.Add(RepairDroppedCache, n)
	}
	last := -1
	for i, s := range marked {
		if s.ttl() == "1h" {
			last = i
		}
	}
	for _, s := range marked[:last+1] {
		s.block["cache_control"] = mustJSON(map[string]string{"type": "ephemeral", "ttl": "1h"})
	}
	if len(marked) > 0 || b == nil || !b.PromptCache {
		return
	}
	point := map[string]string{"type": "ephemeral"}
	if b.PromptCacheTTL == "1h" {
		point["ttl"] = "1h"
	}
	mark := func(bl jsonObject) {
		if bl.typ() == "text" {
			var text string
			if json.Unmarshal(bl["text"], &text) != nil || blank(text) {
				return // Bedrock refuses a cache point on empty text
			}
		}
		bl["cache_control"] = mustJSON(point)
	}
	if len(tools) > 0 {
		mark(tools[len(tools)-1])
	}
	if len(system) > 0 {
		mark(system[len(system)-1])
	}
	users := 0
	for i := len(msgs) - 1; i >= 0 && users < 2; i-- {
		if msgs[i].Role != "user" || len(msgs[i].Content) == 0 {
			continue
		}
		users++
		mark(msgs[i].Content[len(msgs[i].Content)-1])
	}
}

// isJSONBool tells a JSON true or false (or null, which is neither set,
// as json.Unmarshal reads it).
func isJSONBool(v json.RawMessage) bool {
	t := string(bytes.TrimSpace(v))
	return t == "true" || t == "false" || t == "null"
}
