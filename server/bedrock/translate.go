package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// OrphanToolResultText is the result injected for a tool call whose result
// never came back (cancelled, interrupted, lost): Bedrock refuses a toolUse
// without a toolResult in the next turn.
const OrphanToolResultText = "(no result; tool call was cancelled or interrupted -- treat as failed)"

// EmptyToolResultText stands in for a tool result with no output (a quiet
// command): Bedrock refuses blank text.
const EmptyToolResultText = "(no output)"

// ContinuationText opens a history that starts with the model's turn (an
// agent trimmed or compacted it): Bedrock wants the user to speak first.
const ContinuationText = "(continuing an earlier conversation)"

// ReplayedToolDescription describes the stub tools declared when history
// replays tool calls but the request carries no tools.
const ReplayedToolDescription = "(replayed from history; schema unavailable)"

// UnavailableToolDescription describes the stub tools declared for
// tool_choice "none" when history replays tool calls: Bedrock refuses
// such a history without a toolConfig, and cannot forbid a declared
// tool, so the declaration tells the model.
const UnavailableToolDescription = "Not available in this request: do not call it."

// JSONObjectInstruction is the system prompt added for response_format
// json_object: Bedrock's structured output needs a schema, so the model is
// told instead.
const JSONObjectInstruction = "Respond with a single valid JSON object and nothing else: no prose, no code fences."

// BuildRequest turns an OpenAI request for a bedrock tier into a Converse
// request for the tier's model on the chosen channel. Sampler defaults and
// max_output_tokens of the tier apply where the caller set nothing.
func BuildRequest(req *openai.ChatRequest, tier *tiers.Tier, target tiers.Target) (*ConverseRequest, *openai.Error) {
	return BuildRequestRecalling(req, tier, target, nil)
}

// BuildRequestRecalling is BuildRequest with thinking blocks restored from
// memory for assistant turns sent back without them (nil: none are).
// With thinking asked for, a tool loop whose last assistant turn has no
// thinking to lead with runs with thinking off, rather than fail.
func BuildRequestRecalling(req *openai.ChatRequest, tier *tiers.Tier, target tiers.Target, memory *ThinkingMemory) (*ConverseRequest, *openai.Error) {
	if req.N != nil && *req.N < 1 {
		return nil, openai.InvalidRequest(fmt.Sprintf(`"n" is %d: it must be at least 1`, *req.N), "invalid_value")
	}
	if req.N != nil && *req.N > 1 {
		return nil, openai.InvalidRequest(fmt.Sprintf(`"n" is %d: Bedrock answers with one choice per request; omit "n" or send 1`, *req.N), "unsupported_parameter")
	}
	for _, f := range []struct {
		name  string
		value *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if f.value != nil && *f.value < 1 {
			return nil, openai.InvalidRequest(fmt.Sprintf(`%q is %d: it must be at least 1`, f.name, *f.value), "invalid_value")
		}
	}
	output, jsonObject, err := outputConfig(req.ResponseFormat)
	if err != nil {
		return nil, err
	}
	msgs := req.Messages
	if msgs == nil {
		// /v1/completions: the prompt is a single user turn.
		msgs = []openai.Message{{Role: "user", Content: textContent(req.Prompt.Text)}}
	}
	plan, err := planThinking(req, tier, target.ModelID)
	if err != nil {
		return nil, err
	}
	out := &ConverseRequest{ModelID: target.ModelID}
	conv := &conversion{repairs: &out.Repairs}
	if plan != nil {
		conv.memory, conv.tier, conv.model = memory, tier.Name, target.ModelID
	}
	// The answer to this request is remembered in the context the next
	// request restores it in: its history up to here.
	out.memoryContext = memoryContext(tier.Name, target.ModelID, msgs)
	converted, err := conv.messages(msgs)
	if err != nil {
		return nil, err
	}
	if len(converted) == 0 {
		return nil, openai.InvalidRequest("nothing to send: the request has no user or assistant message with content (Bedrock needs at least one)", "empty_conversation")
	}
	if converted[0].Role == "assistant" {
		converted = slices.Insert(converted, 0, Message{Role: "user", Content: []ContentBlock{{Text: ContinuationText}}})
		out.Repairs.Add(RepairAssistantFirst, 1)
	}
	out.Repairs.Add(RepairOrphanResults, unmatchedResultsToText(converted))
	out.Messages = converted
	out.System = SystemBlocks(msgs)
	out.InferenceConfig = inferenceConfig(req, tier)
	out.OutputConfig = output
	if jsonObject {
		out.System = append(out.System, SystemBlock{Text: JSONObjectInstruction})
	}
	var none bool
	out.ToolConfig, none, err = toolConfig(req.Tools, req.ToolChoice)
	if err != nil {
		return nil, err
	}
	if out.ToolConfig == nil {
		// Bedrock rejects toolUse/toolResult blocks unless toolConfig is
		// defined; a conversation replayed without its tools gets stubs.
		if names := ReferencedTools(converted); len(names) > 0 {
			description := ReplayedToolDescription
			if none {
				description = UnavailableToolDescription
			}
			out.ToolConfig = stubToolConfig(names, description)
			out.Repairs.Add(RepairStubTools, len(names))
		}
	}
	if plan != nil && !historyTakesThinking(out.Messages) {
		plan = nil
		out.Repairs.Add(RepairThinkingOff, 1)
	}
	if plan != nil && !applyThinking(out, plan, tier, requestedMaxTokens(req)) {
		plan = nil
		out.Repairs.Add(RepairThinkingOff, 1)
	}
	if plan == nil {
		dropThinking(out.Messages)
	} else {
		out.Repairs.Add(RepairRestoredThink, conv.restored)
		out.Repairs.Add(RepairDroppedThink, conv.dropped)
	}
	if tier.Bedrock != nil {
		// A /v1/completions prompt is one block that only an identical
		// prompt would read back: not worth a cache write.
		placeCachePoints(out, tier.Bedrock, target.ModelID, req.Messages != nil)
	}
	if err := addTopK(out, req, tier, target.ModelID); err != nil {
		return nil, err
	}
	return out, nil
}

// addCachePoints marks what an agent sends again with every turn for
// Bedrock's prompt cache, which covers tools, then system, then messages:
// a cache point after the tools, after the system prompt and, when
// conversation is set, after each of the last two user turns. The last
// one writes this turn's prefix; the one before is exactly where the
// previous turn wrote, so it is read back however many blocks the model's
// turn added in between (Bedrock looks back only about 20 blocks from a
// cache point). That is Bedrock's limit of four. Prefixes shorter than the
// model's minimum are simply not cached.
//
// Cache points the client asked for (cache_control) come first: an
// automatic one goes only where none is yet, while fewer than four are
// set. ttl is the automatic ones' TTL.
func addCachePoints(r *ConverseRequest, conversation bool, ttl string) {
	budget := maxCachePoints - countCachePoints(r)
	auto := func() *CachePoint {
		budget--
		cp := cachePoint()
		cp.TTL = ttl
		return cp
	}
	if t := r.ToolConfig; t != nil && len(t.Tools) > 0 && t.Tools[len(t.Tools)-1].CachePoint == nil && budget > 0 {
		t.Tools = append(t.Tools, Tool{CachePoint: auto()})
	}
	if len(r.System) > 0 && r.System[len(r.System)-1].CachePoint == nil && budget > 0 {
		r.System = append(r.System, SystemBlock{CachePoint: auto()})
	}
	if !conversation {
		return
	}
	marked := 0
	for i := len(r.Messages) - 1; i >= 0 && marked < 2 && budget > 0; i-- {
		m := &r.Messages[i]
		// Not after a prefilled answer or results the router made up for
		// unanswered calls: the next turn replaces those, so a cache
		// written there would never be read.
		if m.Role != "user" || onlyOrphanResults(m.Content) {
			continue
		}
		marked++
		if m.Content[len(m.Content)-1].CachePoint != nil {
			continue // the client marked it already
		}
		m.Content = append(m.Content, ContentBlock{CachePoint: auto()})
	}
}

// onlyOrphanResults reports whether a turn holds nothing but the results
// injected for tool calls that were never answered.
func onlyOrphanResults(blocks []ContentBlock) bool {
	for _, b := range blocks {
		if b.ToolResult == nil || len(b.ToolResult.Content) != 1 || b.ToolResult.Content[0].Text != OrphanToolResultText {
			return false
		}
	}
	return len(blocks) > 0
}

// outputConfig maps response_format: json_schema becomes Bedrock's
// structured output; json_object, which has no schema, is asked for in the
// system prompt (jsonObject); text needs nothing.
func outputConfig(rf *openai.ResponseFormat) (out *OutputConfig, jsonObject bool, _ *openai.Error) {
	if rf == nil {
		return nil, false, nil
	}
	switch rf.Type {
	case "", "text":
		return nil, false, nil
	case "json_object":
		return nil, true, nil
	case "json_schema":
	default:
		return nil, false, openai.InvalidRequest(fmt.Sprintf("response_format.type %q is not supported (want text, json_object or json_schema)", rf.Type), "invalid_response_format")
	}
	js := rf.JSONSchema
	if js == nil {
		return nil, false, openai.InvalidRequest(`response_format.json_schema is required when response_format.type is "json_schema"`, "invalid_response_format")
	}
	schema, ok := compactJSON(js.Schema)
	if !ok || len(schema) == 0 || schema[0] != '{' {
		return nil, false, openai.InvalidRequest("response_format.json_schema.schema must be a JSON Schema object", "invalid_response_format")
	}
	return &OutputConfig{TextFormat: &OutputFormat{
		Type: "json_schema",
		Structure: OutputStructure{JSONSchema: JSONSchemaDefinition{
			Schema: string(schema), Name: js.Name, Description: js.Description,
		}},
	}}, false, nil
}

func textContent(s string) openai.Content {
	return openai.Content{Parts: []openai.ContentPart{{Type: "text", Text: &s}}, IsString: true}
}

// SystemBlocks collects the text of system (and developer) messages.
func SystemBlocks(msgs []openai.Message) []SystemBlock {
	var out []SystemBlock
	for _, m := range msgs {
		if m.Role != "system" && m.Role != "developer" {
			continue
		}
		if text := m.Content.Text(); !blank(text) {
			out = append(out, SystemBlock{Text: text})
			if cp := systemCachePoint(m); cp != nil {
				out = append(out, SystemBlock{CachePoint: cp})
			}
		}
	}
	return out
}

type turn struct {
	role   string
	blocks []ContentBlock
}

// ConvertMessages translates the non-system messages into Converse turns:
// tool results join the following user turn, same-role runs merge so roles
// alternate, and every tool call left without a result gets an error result
// so Bedrock accepts the history.
func ConvertMessages(msgs []openai.Message) ([]Message, *openai.Error) {
	return (&conversion{repairs: &Repairs{}}).messages(msgs)
}

// conversion is the state of one ConvertMessages: what it repaired, and
// the memory that restores thinking blocks (nil: none are).
type conversion struct {
	repairs *Repairs
	memory  *ThinkingMemory
	// tier and model answer the request: with the history before an
	// assistant turn, the context its text was remembered in.
	tier, model string
	// restored counts assistant turns whose thinking came back from
	// memory, dropped the reasoning_details Bedrock cannot take back.
	restored, dropped int
}

// thinking gives the thinking blocks an assistant message leads with: the
// reasoning_details it carries, else those the memory kept for its tool
// call ids or for its text after the history before it (msgs[i] is the
// message). A message with nothing else to say gets none: a turn of
// thinking alone tells the model nothing.
func (c *conversion) thinking(msgs []openai.Message, i int) []ContentBlock {
	m := msgs[i]
	if len(m.ToolCalls) == 0 && blank(m.Content.Text()) {
		return nil
	}
	blocks, dropped := reasoningFromDetails(m.ReasoningDetails)
	c.dropped += dropped
	if len(blocks) == 0 && c.memory != nil {
		// The call ids first: each names one answer.
		var keys []string
		for _, tc := range m.ToolCalls {
			keys = append(keys, callKey(tc.ID))
		}
		if !blank(m.Content.Text()) {
			keys = append(keys, textKey(memoryContext(c.tier, c.model, msgs[:i]), m.Content.Text()))
		}
		for _, k := range keys {
			if blocks = c.memory.Recall(k); blocks != nil {
				c.restored++
				break
			}
		}
	}
	out := make([]ContentBlock, len(blocks))
	for i := range blocks {
		out[i] = ContentBlock{ReasoningContent: &blocks[i]}
	}
	return out
}

func (c *conversion) messages(msgs []openai.Message) ([]Message, *openai.Error) {
	var turns []turn
	add := func(role string, blocks []ContentBlock) {
		if n := len(turns); n > 0 && turns[n-1].role == role {
			turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
			return
		}
		turns = append(turns, turn{role: role, blocks: blocks})
	}

	// Tool call ids go to Bedrock in its alphabet and unique across the
	// conversation; ids keeps the calls of the latest assistant turn that
	// no result has answered yet, for the tool results that follow.
	ids := toolIDs{used: map[string]bool{}, repairs: c.repairs}
	prevRole := ""
	for i, m := range msgs {
		switch m.Role {
		case "system", "developer":
			// SystemBlocks takes their text; what else they hold must
			// be refused here, not dropped there.
			if _, err := explicitCachePoint(fmt.Sprintf("messages[%d]", i), m.CacheControl); err != nil {
				return nil, err
			}
			if err := eachPart(i, m, func(openai.ContentPart, *ContentBlock, *CachePoint) {}); err != nil {
				return nil, err
			}
			continue
		case "tool":
			prevRole = m.Role
			id := m.ToolCallID
			if id == "" {
				id = m.ID
			}
			content, cache, err := toolResultContent(i, m)
			if err != nil {
				return nil, err
			}
			if text := m.Content.Text(); blank(text) && len(content) == 1 && content[0].Text == EmptyToolResultText {
				c.repairs.Add(RepairBlankText, 1)
			}
			var blocks []ContentBlock
			if wire, ok := ids.result(id); ok {
				blocks = []ContentBlock{{ToolResult: &ToolResult{ToolUseID: wire, Content: content}}}
			} else {
				// Every call of the turn with this id has its result (a
				// client sent one twice, or answers an earlier turn):
				// Bedrock takes one result per call, the model can still
				// read this one.
				blocks = resultAsBlocks(id, content)
				c.repairs.Add(RepairOrphanResults, 1)
			}
			if cache != nil {
				blocks = append(blocks, ContentBlock{CachePoint: cache})
			}
			add("user", blocks)
			continue
		}

		var blocks []ContentBlock
		role := "user"
		if m.Role == "assistant" {
			role = "assistant"
			if n := len(turns); n == 0 || turns[n-1].role != "assistant" {
				// Thinking leads its turn: a message merged into a turn
				// already started cannot bring its own.
				blocks = c.thinking(msgs, i)
			}
		}
		content, err := contentBlocks(i, m)
		if err != nil {
			return nil, err
		}
		if text := m.Content.Text(); blank(text) && text != "" {
			c.repairs.Add(RepairBlankText, 1)
		}
		blocks = append(blocks, content...)
		if m.Role == "assistant" {
			if n := len(turns); (n == 0 || turns[n-1].role != "assistant") && (len(blocks) > 0 || len(m.ToolCalls) > 0) {
				// Results answer the latest assistant turn, however many
				// messages merge into it.
				ids.newTurn()
			}
			for j, tc := range m.ToolCalls {
				blocks = append(blocks, ContentBlock{ToolUse: &ToolUse{
					ToolUseID: ids.call(tc.ID),
					Name:      tc.Function.Name,
					Input:     ToolInput(tc.Function.Arguments),
				}})
				cp, err := explicitCachePoint(fmt.Sprintf("messages[%d].tool_calls[%d]", i, j), tc.CacheControl)
				if err != nil {
					return nil, err
				}
				if cp != nil {
					blocks = append(blocks, ContentBlock{CachePoint: cp})
				}
			}
		}
		if blocks, err = messageCachePoint(i, m, blocks); err != nil {
			return nil, err
		}
		if len(blocks) == 0 {
			continue
		}
		if n := len(turns); n > 0 && turns[n-1].role == role && prevRole == m.Role {
			c.repairs.Add(RepairMergedTurns, 1)
		}
		prevRole = m.Role
		add(role, blocks)
	}

	// Every toolUse needs a toolResult in the very next (user) turn.
	for i := 0; i < len(turns); i++ {
		if turns[i].role != "assistant" {
			continue
		}
		var ids []string
		for _, b := range turns[i].blocks {
			if b.ToolUse != nil && b.ToolUse.ToolUseID != "" {
				ids = append(ids, b.ToolUse.ToolUseID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		if i+1 == len(turns) || turns[i+1].role != "user" {
			turns = slices.Insert(turns, i+1, turn{role: "user"})
		}
		next := turns[i+1].blocks
		var stubs []ContentBlock
		for _, id := range ids {
			if !hasResult(next, id) {
				stubs = append(stubs, ContentBlock{ToolResult: &ToolResult{
					ToolUseID: id,
					Content:   []ToolResultContent{{Text: OrphanToolResultText}},
					Status:    "error",
				}})
			}
		}
		if len(stubs) > 0 {
			// Results go before the user's text, as clients send them.
			turns[i+1].blocks = append(stubs, next...)
			c.repairs.Add(RepairUnansweredCalls, len(stubs))
		}
	}

	out := make([]Message, 0, len(turns))
	for _, t := range turns {
		if len(t.blocks) > 0 {
			out = append(out, Message{Role: t.role, Content: t.blocks})
		}
	}
	if err := finishDocuments(out); err != nil {
		return nil, err
	}
	return out, nil
}

// unmatchedResultsToText turns tool results that answer no tool call of
// the turn before (history trimmed by the client, say) into text: Bedrock
// rejects such results, and as text the model still sees them. It
// returns how many it turned.
func unmatchedResultsToText(msgs []Message) int {
	n := 0
	for i := range msgs {
		m := &msgs[i]
		if m.Role != "user" {
			continue
		}
		var content []ContentBlock
		for _, b := range m.Content {
			if b.ToolResult == nil || (i > 0 && hasToolUse(msgs[i-1].Content, b.ToolResult.ToolUseID)) {
				content = append(content, b)
				continue
			}
			content = append(content, resultAsBlocks(b.ToolResult.ToolUseID, b.ToolResult.Content)...)
			n++
		}
		m.Content = content
	}
	return n
}

// resultAsText is how a tool result that answers no call reaches the model.
func resultAsText(id, text string) string {
	if id == "" {
		return "Result of a tool call without an id:\n" + text
	}
	return "Result of tool call " + id + ":\n" + text
}

func hasToolUse(blocks []ContentBlock, id string) bool {
	for _, b := range blocks {
		if b.ToolUse != nil && b.ToolUse.ToolUseID == id {
			return true
		}
	}
	return false
}

// blank reports whether text has nothing but white space, which Bedrock
// refuses as a text block.
func blank(text string) bool { return strings.TrimSpace(text) == "" }

// toolIDs rewrites tool call ids into what Bedrock accepts
// ([a-zA-Z0-9_-]+, unique in the conversation). Histories replayed from
// other providers carry ids such as "functions.bash:0", reuse "call_0"
// turn after turn, or give several calls of one turn the same id (or
// none). Valid, unique ids pass unchanged.
type toolIDs struct {
	used map[string]bool
	// unanswered holds, for each id as the client sent it, the Bedrock
	// ids of the latest assistant turn's calls with that id that no result
	// has answered yet, in call order; nil before the first assistant turn.
	unanswered map[string][]string
	repairs    *Repairs
}

func (t *toolIDs) newTurn() { t.unanswered = map[string][]string{} }

// call assigns the Bedrock id of a tool call in the current assistant turn.
func (t *toolIDs) call(id string) string {
	wire := sanitizeToolID(id)
	if wire == "" {
		wire = openai.NewToolCallID()
	}
	for n := 2; t.used[wire]; n++ {
		wire = fmt.Sprintf("%s_%d", sanitizeToolID(id), n)
	}
	t.used[wire] = true
	t.unanswered[id] = append(t.unanswered[id], wire)
	if wire != id {
		t.repairs.Add(RepairRewrittenIDs, 1)
	}
	return wire
}

// result gives the Bedrock id of the call a tool result answers: the first
// call of the latest assistant turn with the result's id that has no
// result yet, so results pair with calls in order when ids repeat. ok is
// false when no such call is left. Before any assistant turn the id is
// only made valid; unmatchedResultsToText turns such results into text.
func (t *toolIDs) result(id string) (wire string, ok bool) {
	if t.unanswered == nil {
		return sanitizeToolID(id), true
	}
	calls := t.unanswered[id]
	if len(calls) == 0 {
		return "", false
	}
	t.unanswered[id] = calls[1:]
	return calls[0], true
}

func sanitizeToolID(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, id)
}

func hasResult(blocks []ContentBlock, id string) bool {
	for _, b := range blocks {
		if b.ToolResult != nil && b.ToolResult.ToolUseID == id {
			return true
		}
	}
	return false
}

// ToolInput turns a tool call's arguments into the JSON object Converse
// wants: a JSON string is parsed, invalid JSON is kept as {"_raw": text}
// and a JSON value that is not an object becomes {"value": v}. Valid JSON
// is passed on byte for byte (compacted), so numbers stay exact.
func ToolInput(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`)
	}
	text := string(raw)
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			text = s
			if strings.TrimSpace(s) == "" {
				s = "{}"
			}
			raw = []byte(s)
		}
	}
	v, ok := compactJSON(raw)
	if !ok {
		out, _ := json.Marshal(map[string]string{"_raw": text})
		return out
	}
	if !utf8.Valid(v) {
		// Re-encode so invalid bytes become U+FFFD, as everywhere else.
		var any any
		if json.Unmarshal(v, &any) == nil {
			v, _ = json.Marshal(any)
		}
	}
	if v[0] != '{' {
		return append(append([]byte(`{"value":`), v...), '}')
	}
	return v
}

// compactJSON validates one JSON value and returns it without
// insignificant space.
func compactJSON(raw []byte) (json.RawMessage, bool) {
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// objectSchema is the permissive schema of tools declared without one.
var objectSchema = json.RawMessage(`{"type":"object"}`)

// ReferencedTools returns the sorted, distinct names of the tools the
// history's toolUse blocks call.
func ReferencedTools(msgs []Message) []string {
	var names []string
	for _, m := range msgs {
		for _, b := range m.Content {
			if b.ToolUse != nil && b.ToolUse.Name != "" && !slices.Contains(names, b.ToolUse.Name) {
				names = append(names, b.ToolUse.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// StubToolConfig declares each named tool with a permissive schema, only so
// Bedrock accepts a history that replays calls to them.
func StubToolConfig(names []string) *ToolConfig {
	return stubToolConfig(names, ReplayedToolDescription)
}

func stubToolConfig(names []string, description string) *ToolConfig {
	tc := &ToolConfig{Tools: make([]Tool, 0, len(names))}
	for _, name := range slices.Sorted(slices.Values(names)) {
		tc.Tools = append(tc.Tools, Tool{ToolSpec: &ToolSpec{
			Name:        name,
			Description: description,
			InputSchema: InputSchema{JSON: objectSchema},
		}})
	}
	return tc
}

// toolConfig declares the request's tools with its tool_choice. none
// reports tool_choice "none", for which no tools are declared: Converse
// cannot forbid tools it was given.
func toolConfig(tools []openai.Tool, choice json.RawMessage) (_ *ToolConfig, none bool, _ *openai.Error) {
	var specs []Tool
	var names []string
	for i, t := range tools {
		if t.Function.Name == "" {
			continue
		}
		schema := objectSchema
		if p := bytes.TrimSpace(t.Function.Parameters); len(p) > 0 && string(p) != "null" {
			v, ok := compactJSON(p)
			if !ok {
				return nil, false, openai.InvalidRequest(fmt.Sprintf("tools[%d].function.parameters is not valid JSON", i), "invalid_tool")
			}
			if v[0] != '{' {
				// Bedrock would take any JSON here and fail later, or
				// the model would get a schema that means nothing.
				return nil, false, openai.InvalidRequest(fmt.Sprintf("tools[%d].function.parameters must be a JSON Schema object, not %s", i, jsonKind(v)), "invalid_tool")
			}
			schema = v
		}
		specs = append(specs, Tool{ToolSpec: &ToolSpec{
			Name:        t.Function.Name,
			Description: t.Function.Description,
			InputSchema: InputSchema{JSON: schema},
		}})
		names = append(names, t.Function.Name)
		cp, err := explicitCachePoint(fmt.Sprintf("tools[%d]", i), t.CacheControl)
		if err != nil {
			return nil, false, err
		}
		if cp != nil {
			specs = append(specs, Tool{CachePoint: cp})
		}
	}
	// tool_choice is checked with or without tools: a bad value is the
	// caller's mistake either way.
	c, none, err := toolChoice(choice, names)
	if err != nil {
		return nil, false, err
	}
	if len(specs) == 0 || none {
		// A history with tool calls still gets stub declarations.
		return nil, none, nil
	}
	return &ToolConfig{Tools: specs, ToolChoice: c}, false, nil
}

// jsonKind names the kind of a valid JSON value, for error messages.
func jsonKind(v json.RawMessage) string {
	switch v[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	case '{':
		return "an object"
	}
	return "a number"
}

// toolChoice maps tool_choice: "required" forces some tool, a named function
// forces that one, which must be among the declared tools; "auto" leaves the
// model free and "none" is reported as none (Converse has no way to forbid
// tool use while tools are declared).
func toolChoice(raw json.RawMessage, declared []string) (_ *ToolChoice, none bool, _ *openai.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "auto":
			return nil, false, nil
		case "none":
			return nil, true, nil
		case "required", "any":
			return &ToolChoice{Any: &struct{}{}}, false, nil
		}
		return nil, false, openai.InvalidRequest(fmt.Sprintf("tool_choice %q is not one of auto, none, required", s), "invalid_tool_choice")
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &obj) != nil || obj.Function.Name == "" {
		return nil, false, openai.InvalidRequest(`tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`, "invalid_tool_choice")
	}
	if obj.Type != "" && obj.Type != "function" {
		return nil, false, openai.InvalidRequest(fmt.Sprintf(`tool_choice type %q is not supported (want "function")`, obj.Type), "invalid_tool_choice")
	}
	name := obj.Function.Name
	switch {
	case len(declared) == 0:
		return nil, false, openai.InvalidRequest(fmt.Sprintf("tool_choice names function %q, but the request declares no tools", name), "invalid_tool_choice")
	case !slices.Contains(declared, name):
		return nil, false, openai.InvalidRequest(fmt.Sprintf("tool_choice names function %q, which tools does not declare (declared: %s)", name, strings.Join(declared, ", ")), "invalid_tool_choice")
	}
	return &ToolChoice{Tool: &SpecificTool{Name: name}}, false, nil
}

// inferenceConfig forwards temperature, top_p, max tokens and stop
// sequences. The tier's sampler temp/top_p apply when the caller set
// neither (its other keys are llama.cpp knobs Converse has no place for),
// and max_output_tokens is the default and the ceiling for max tokens.
func inferenceConfig(req *openai.ChatRequest, tier *tiers.Tier) *InferenceConfig {
	var ic InferenceConfig
	set := false
	temp, topP := req.Temperature, req.TopP
	if temp == nil && topP == nil {
		// The caller made no sampling choice: the tier's applies. One the
		// caller made is theirs alone, since some models (Claude 4.5)
		// refuse temperature and top_p together.
		temp, topP = samplerValue(tier.Sampler, "temp"), samplerValue(tier.Sampler, "top_p")
	}
	if temp != nil {
		f := float32(*temp)
		ic.Temperature, set = &f, true
	}
	if topP != nil {
		f := float32(*topP)
		ic.TopP, set = &f, true
	}
	// Both are at least 1 (BuildRequest refuses less); max_tokens wins.
	maxTokens := 0
	switch {
	case req.MaxTokens != nil:
		maxTokens = *req.MaxTokens
	case req.MaxCompletionTokens != nil:
		maxTokens = *req.MaxCompletionTokens
	}
	if limit := tier.MaxOutputTokens; limit > 0 && (maxTokens == 0 || maxTokens > limit) {
		maxTokens = limit
	}
	if maxTokens > 0 {
		n := int32(min(maxTokens, math.MaxInt32))
		ic.MaxTokens, set = &n, true
	}
	if len(req.Stop) > 0 {
		ic.StopSequences, set = []string(req.Stop), true
	}
	if !set {
		return nil
	}
	return &ic
}

// requestedMaxTokens is the max tokens the caller asked for (0: none).
func requestedMaxTokens(req *openai.ChatRequest) int {
	switch {
	case req.MaxTokens != nil:
		return *req.MaxTokens
	case req.MaxCompletionTokens != nil:
		return *req.MaxCompletionTokens
	}
	return 0
}

func samplerValue(s tiers.Sampler, key string) *float64 {
	if v, ok := s.Get(key); ok {
		return &v
	}
	return nil
}
