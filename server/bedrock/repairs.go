package bedrock

import (
	"strconv"
	"strings"
)

// RepairsHeader names, on every answer of a bedrock tier, what the router
// changed in the request so Bedrock would take it, with counts:
// "restored-thinking=2,merged-turns=1". It is absent when nothing was.
const RepairsHeader = "X-LLMStack-Repairs"

// Names of the repairs and adjustments, as the header shows them.
const (
	RepairMergedTurns     = "merged-turns"      // same-role messages joined into one turn
	RepairUnansweredCalls = "unanswered-calls"  // error results for tool calls without one
	RepairOrphanResults   = "orphan-results"    // tool results answering no call, sent as text
	RepairStubTools       = "stub-tools"        // declarations for tools the history calls
	RepairBlankText       = "blank-text"        // blank text dropped or replaced
	RepairAssistantFirst  = "assistant-first"   // a user turn put before the model's first
	RepairRewrittenIDs    = "rewritten-ids"     // tool call ids Bedrock would refuse
	RepairRestoredThink   = "restored-thinking" // thinking blocks put back from memory
	RepairDroppedThink    = "dropped-thinking"  // reasoning_details Bedrock cannot take back
	RepairThinkingOff     = "thinking-off"      // thinking asked for, but the history cannot carry it
	RepairTemperature     = "dropped-temperature"
	RepairTopK            = "dropped-top-k"
	RepairTopP            = "clamped-top-p"
	RepairToolChoice      = "relaxed-tool-choice"
	RepairMaxTokens       = "raised-max-tokens"
	RepairBudget          = "lowered-budget"
)

// Repairs counts each kind of repair, in the order they were first made.
type Repairs struct {
	names  []string
	counts map[string]int
}

// Add counts n repairs of a kind.
func (r *Repairs) Add(name string, n int) {
	if n <= 0 {
		return
	}
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	if _, ok := r.counts[name]; !ok {
		r.names = append(r.names, name)
	}
	r.counts[name] += n
}

// Count is how many repairs of a kind were made.
func (r *Repairs) Count(name string) int { return r.counts[name] }

// String is the header value: name=count pairs joined with commas, ""
// when nothing was repaired.
func (r *Repairs) String() string {
	var b strings.Builder
	for i, n := range r.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(r.counts[n]))
	}
	return b.String()
}
