package bedrock

import (
	"strings"
	"testing"
	"time"
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
			m.Remember(answerKeys("done", []string{"call_1", "call_2"}), thought("a"))
		}, []string{callKey("call_1"), callKey("call_2"), textKey("done")}, []string{callKey("call_3"), textKey("other")}},
		{"blank text is no key", func(m *ThinkingMemory) {
			m.Remember(answerKeys("  ", nil), thought("a"))
		}, nil, []string{textKey("  ")}},
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
		{"remembering again replaces", func(m *ThinkingMemory) {
			m.Remember([]string{callKey("k")}, thought("first"))
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
	if got := m.Recall(callKey("k")); got[0].ReasoningText.Text != "second" || m.Len() != 1 {
		t.Errorf("after remembering twice: %d entries, %q", m.Len(), got[0].ReasoningText.Text)
	}
}
