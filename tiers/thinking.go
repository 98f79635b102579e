package tiers

import (
	"fmt"
	"strconv"
	"strings"
)

// Reasoning efforts a tier's reasoning key (and a request's
// reasoning_effort) may name.
const (
	ReasoningOff    = "off"
	ReasoningLow    = "low"
	ReasoningMedium = "medium"
	ReasoningHigh   = "high"
)

// Thinking styles a tier's thinking key may name.
const (
	// ThinkingBudget is extended thinking with a token budget.
	ThinkingBudget = "budget"
	// ThinkingAdaptive lets the model decide how much to think, steered
	// by an effort.
	ThinkingAdaptive = "adaptive"
)

// MinThinkingBudget is the smallest thinking budget Bedrock accepts.
const MinThinkingBudget = 1024

// Reasoning is a tier's default for extended thinking, used when the
// caller does not send reasoning_effort: an effort, or a budget in tokens.
// The zero value says nothing (thinking stays off unless asked for).
type Reasoning struct {
	// Effort is off, low, medium or high; "" when Budget is set or the
	// tier says nothing.
	Effort string `json:",omitempty"`
	// Budget is a thinking budget in tokens (at least MinThinkingBudget).
	Budget int `json:",omitempty"`
}

// IsZero reports whether the tier set no reasoning default.
func (r Reasoning) IsZero() bool { return r.Effort == "" && r.Budget == 0 }

// ParseReasoning reads a reasoning value: off, low, medium, high (any case)
// or a budget of at least MinThinkingBudget tokens.
func ParseReasoning(v string) (Reasoning, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case ReasoningOff, ReasoningLow, ReasoningMedium, ReasoningHigh:
		return Reasoning{Effort: s}, nil
	case "none", "false", "no", "0":
		return Reasoning{Effort: ReasoningOff}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return Reasoning{}, fmt.Errorf("must be off, low, medium, high or a thinking budget in tokens (at least %d)", MinThinkingBudget)
	}
	if n < MinThinkingBudget {
		return Reasoning{}, fmt.Errorf("a thinking budget must be at least %d tokens (Bedrock's minimum); use off to turn thinking off", MinThinkingBudget)
	}
	return Reasoning{Budget: n}, nil
}

// ParseThinking reads a thinking value: budget or adaptive (any case).
func ParseThinking(v string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case ThinkingBudget, ThinkingAdaptive:
		return s, nil
	}
	return "", fmt.Errorf("must be budget (extended thinking with a token budget: Claude 3.7 to 4.5) or adaptive (Claude 4.6 and later)")
}
