package bedrock

import (
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

func thought(text string) []ReasoningContent {
	return []ReasoningContent{{ReasoningText: &ReasoningText{Text: text, Signature: "sig-" + text}}}
}

// TestThinkingMemory checks the memory's bounds: entries, bytes and the
// expiry, and that the latest entries are the ones kept.
func TestThinkingMemory(t *testing.T) {
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	tests := []struct {
		name  string
		run   func(m *ThinkingMemory)
		found []string // keys that must be recalled
		gone  []string // keys that must not
	}{
		{"recall by each key", func(m *ThinkingMemory) {
			m.Remember(answerKeys("ctx", "done", []string{"call_1", "call_2"}), thought("a"))
		}, []string{callKey("call_1"), callKey("call_2"), textKey("ctx", "done")}, []string{callKey("call_3"), textKey("ctx", "other")}},
		{"blank text is no key", func(m *ThinkingMemory) {
			m.Remember(answerKeys("ctx", "  ", nil), thought("a"))
		}, nil, []string{textKey("ctx", "  ")}},
		{"same text in another conversation is another key", func(m *ThinkingMemory) {
			m.Remember(answerKeys("ctx-a", "Done.", nil), thought("a"))
			m.Remember(answerKeys("ctx-b", "Done.", nil), thought("b"))
		}, []string{textKey("ctx-a", "Done."), textKey("ctx-b", "Done.")}, []string{textKey("ctx-c", "Done.")}},
		{"entry bound drops the oldest", func(m *ThinkingMemory) {
			for _, id := range []string{"1", "2", "3", "4", "5"} {
				m.Remember([]string{callKey(id)}, thought(id))
			}
		}, []string{callKey("2"), callKey("5")}, []string{callKey("1")}},
		{"byte bound drops the oldest", func(m *ThinkingMemory) {
			m.Remember([]string{callKey("big1")}, thought(strings.Repeat("x", 400)))
			m.Remember([]string{callKey("big2")}, thought(strings.Repeat("y", 400)))
		}, []string{callKey("big2")}, []string{callKey("big1")}},
		{"larger than the memory is not kept", func(m *ThinkingMemory) {
			m.Remember([]string{callKey("huge")}, thought(strings.Repeat("z", 2000)))
		}, nil, []string{callKey("huge")}},
		{"expires after the ttl", func(m *ThinkingMemory) {
			m.Remember([]string{callKey("old")}, thought("old"))
			now = now.Add(time.Hour)
			m.Remember([]string{callKey("new")}, thought("new"))
		}, []string{callKey("new")}, []string{callKey("old")}},
		{"remembering the same blocks again keeps them", func(m *ThinkingMemory) {
			m.Remember([]string{callKey("k")}, thought("first"))
			m.Remember([]string{callKey("k")}, thought("first"))
		}, []string{callKey("k")}, nil},
		{"other blocks under one key make it ambiguous", func(m *ThinkingMemory) {
			m.Remember(answerKeys("ctx", "Done.", []string{"call_1"}), thought("first"))
			m.Remember(answerKeys("ctx", "Done.", []string{"call_2"}), thought("second"))
		}, []string{callKey("call_1"), callKey("call_2")}, []string{textKey("ctx", "Done.")}},
		{"an ambiguous key stays ambiguous", func(m *ThinkingMemory) {
			m.Remember([]string{textKey("ctx", "Done.")}, thought("first"))
			m.Remember([]string{textKey("ctx", "Done.")}, thought("second"))
			m.Remember([]string{textKey("ctx", "Done.")}, thought("third"))
		}, nil, []string{textKey("ctx", "Done.")}},
		{"an expired entry is no conflict", func(m *ThinkingMemory) {
			m.Remember([]string{callKey("k")}, thought("first"))
			now = now.Add(time.Hour)
			m.Remember([]string{callKey("k")}, thought("second"))
		}, []string{callKey("k")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newThinkingMemory(4, 1000, time.Hour, clock)
			tt.run(m)
			for _, k := range tt.found {
				if m.Recall(k) == nil {
					t.Errorf("%q forgotten", k)
				}
			}
			for _, k := range tt.gone {
				if m.Recall(k) != nil {
					t.Errorf("%q still remembered", k)
				}
			}
			if m.Len() > 4 || m.bytes > 1000 {
				t.Errorf("bounds exceeded: %d entries, %d bytes", m.Len(), m.bytes)
			}
		})
	}
	m := newThinkingMemory(4, 1000, time.Hour, clock)
	m.Remember([]string{callKey("k")}, thought("first"))
	m.Remember([]string{callKey("k")}, thought("second"))
	if got := m.Recall(callKey("k")); got != nil {
		t.Errorf("after remembering other blocks under one key: %q, want nothing", got[0].ReasoningText.Text)
	}
	// A call id outlives the text of its answer: it is the surer key.
	m = newThinkingMemory(2, 1000, time.Hour, clock)
	m.Remember(answerKeys("ctx", "Done.", []string{"call_1"}), thought("a"))
	m.Remember([]string{callKey("call_2")}, thought("b"))
	if m.Recall(callKey("call_1")) == nil || m.Recall(textKey("ctx", "Done.")) != nil {
		t.Error("the entry bound dropped the call id before the text")
	}
}

// TestMemoryContext checks what tells one conversation's answer from
// another's with the same text: the tier, the model and the turn the
// answer replied to, as clients send it back. What clients change between
// requests (the thinking of earlier turns, cache_control marks, system
// prompts, older history) is not part of it.
func TestMemoryContext(t *testing.T) {
	text := func(s string) openai.Content { return textContent(s) }
	cc := &openai.CacheControl{Type: "ephemeral"}
	base := []openai.Message{
		{Role: "system", Content: text("Be brief.")},
		{Role: "user", Content: text("Fix a.go")},
		{Role: "assistant", Content: text("Let me check."), ReasoningContent: "Check first."},
		{Role: "tool", ToolCallID: "tooluse_1", Content: text("package a")},
	}
	with := func(change func(m []openai.Message) []openai.Message) []openai.Message {
		m := append([]openai.Message(nil), base...)
		return change(m)
	}
	key := memoryContext("agent", "model-1", base)
	tests := []struct {
		name        string
		tier, model string
		msgs        []openai.Message
		same        bool
	}{
		{"the same", "agent", "model-1", base, true},
		{"another tier", "plan", "model-1", base, false},
		{"another model", "agent", "model-2", base, false},
		{"another tool result", "agent", "model-1", with(func(m []openai.Message) []openai.Message {
			m[3].Content = text("package b")
			return m
		}), false},
		{"another tool call id", "agent", "model-1", with(func(m []openai.Message) []openai.Message {
			m[3].ToolCallID = "tooluse_2"
			return m
		}), false},
		{"an image more", "agent", "model-1", with(func(m []openai.Message) []openai.Message {
			return append(m, openai.Message{Role: "user", Content: openai.Content{Parts: []openai.ContentPart{{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:image/png;base64,AAEC"}}}}})
		}), false},
		{"another system prompt", "agent", "model-1", with(func(m []openai.Message) []openai.Message {
			m[0].Content = text("Be thorough.")
			return m
		}), true},
		{"earlier turns changed", "agent", "model-1", with(func(m []openai.Message) []openai.Message {
			m[1].Content = text("Fix a.go, compacted")
			m[2].ReasoningContent = ""
			return m
		}), true},
		{"a cache_control mark", "agent", "model-1", with(func(m []openai.Message) []openai.Message {
			m[3].CacheControl = cc
			return m
		}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memoryContext(tt.tier, tt.model, tt.msgs); (got == key) != tt.same {
				t.Errorf("same context = %v, want %v", got == key, tt.same)
			}
		})
	}
}

// TestThinkingRestoredInItsConversation remembers an answer as the
// dispatcher does (under the context of the request that gave it) and
// sends it back in histories: only the conversation and tier it came from
// get its thinking.
func TestThinkingRestoredInItsConversation(t *testing.T) {
	ask := func(msgs ...openai.Message) *openai.ChatRequest {
		return &openai.ChatRequest{ReasoningEffort: "low", Messages: msgs}
	}
	user := func(s string) openai.Message { return openai.Message{Role: "user", Content: textContent(s)} }
	answer := openai.Message{Role: "assistant", Content: textContent("Done."), ReasoningContent: "Rename it."}
	tier := testTier(t, "", 0)
	tier.Bedrock.Thinking = tiers.ThinkingBudget
	other := testTier(t, "", 0)
	other.Name, other.Bedrock.Thinking = "plan", tiers.ThinkingBudget
	memory := NewThinkingMemory()
	first, err := BuildRequestRecalling(ask(user("Fix a.go")), tier, tier.Bedrock.Active(false), memory)
	if err != nil {
		t.Fatal(err.Message)
	}
	memory.Remember(answerKeys(first.memoryContext, "Done.", nil), thought("Rename it."))
	tests := []struct {
		name     string
		tier     *tiers.Tier
		history  []openai.Message
		restored bool
	}{
		{"its conversation", tier, []openai.Message{user("Fix a.go"), answer, user("Thanks")}, true},
		{"its conversation, with a system prompt", tier, []openai.Message{{Role: "system", Content: textContent("Be brief.")}, user("Fix a.go"), answer, user("Thanks")}, true},
		{"another conversation", tier, []openai.Message{user("Fix b.go"), answer, user("Thanks")}, false},
		{"another tier", other, []openai.Message{user("Fix a.go"), answer, user("Thanks")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildRequestRecalling(ask(tt.history...), tt.tier, tt.tier.Bedrock.Active(false), memory)
			if err != nil {
				t.Fatal(err.Message)
			}
			var assistant Message
			for _, m := range got.Messages {
				if m.Role == "assistant" {
					assistant = m
				}
			}
			restored := len(assistant.Content) > 0 && assistant.Content[0].ReasoningContent != nil
			if restored != tt.restored {
				t.Errorf("restored = %v, want %v (%s)", restored, tt.restored, got.Repairs.String())
			}
		})
	}
}
