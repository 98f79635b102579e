package bedrock

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// Bounds of the thinking memory: enough for the tool loops of a working
// day's agents, small enough to never matter to the machine.
const (
	DefaultMemoryEntries = 20000
	DefaultMemoryBytes   = 64 << 20
	DefaultMemoryTTL     = time.Hour
)

// ThinkingMemory keeps the thinking blocks (with their signatures) of the
// answers the router relayed, so an assistant turn a client sends back
// without them (opencode keeps only the text, as reasoning_content) can
// lead with them again, as Bedrock requires in a tool loop with thinking
// on. Entries are found by what clients return verbatim: the tool-call ids
// the router issued and the answer's text. It is bounded in entries and
// bytes, forgets entries after an hour, and is never logged: thinking is
// the user's content. Safe for concurrent use.
type ThinkingMemory struct {
	maxEntries, maxBytes int
	ttl                  time.Duration
	now                  func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // key -> element holding a *memoryEntry
	order   list.List                // oldest first
	bytes   int
}

type memoryEntry struct {
	key     string
	blocks  []ReasoningContent
	size    int
	expires time.Time
}

// NewThinkingMemory returns an empty memory with the default bounds.
func NewThinkingMemory() *ThinkingMemory {
	return newThinkingMemory(DefaultMemoryEntries, DefaultMemoryBytes, DefaultMemoryTTL, time.Now)
}

func newThinkingMemory(entries, bytes int, ttl time.Duration, now func() time.Time) *ThinkingMemory {
	return &ThinkingMemory{maxEntries: entries, maxBytes: bytes, ttl: ttl, now: now, entries: map[string]*list.Element{}}
}

// callKey and textKey are the memory's keys for an answer's tool call id
// and its text (hashed, so the text is not held twice).
func callKey(id string) string { return "call\x00" + id }

func textKey(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "text\x00" + hex.EncodeToString(sum[:])
}

// answerKeys are the keys an answer with this text and these tool call
// ids is remembered under.
func answerKeys(text string, callIDs []string) []string {
	var keys []string
	for _, id := range callIDs {
		if id != "" {
			keys = append(keys, callKey(id))
		}
	}
	if !blank(text) {
		keys = append(keys, textKey(text))
	}
	return keys
}

// Remember keeps the thinking blocks of an answer under each of keys. A
// set of blocks larger than the whole memory is not kept.
func (m *ThinkingMemory) Remember(keys []string, blocks []ReasoningContent) {
	if m == nil || len(blocks) == 0 || len(keys) == 0 {
		return
	}
	size := 0
	for _, b := range blocks {
		size += b.size()
	}
	// Each key counts the blocks in full: the bound holds however the
	// entries share them.
	size += 64
	if size > m.maxBytes {
		return
	}
	blocks = append([]ReasoningContent(nil), blocks...)
	m.mu.Lock()
	defer m.mu.Unlock()
	expires := m.now().Add(m.ttl)
	for _, k := range keys {
		if el, ok := m.entries[k]; ok {
			m.remove(el)
		}
		m.entries[k] = m.order.PushBack(&memoryEntry{key: k, blocks: blocks, size: size, expires: expires})
		m.bytes += size
	}
	for m.order.Len() > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.order.Front())
	}
}

// Recall returns the blocks remembered under key, or nil when there are
// none (never kept, forgotten, or expired).
func (m *ThinkingMemory) Recall(key string) []ReasoningContent {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*memoryEntry)
	if !m.now().Before(e.expires) {
		m.remove(el)
		return nil
	}
	return e.blocks
}

// Len is the number of entries held.
func (m *ThinkingMemory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

func (m *ThinkingMemory) remove(el *list.Element) {
	e := el.Value.(*memoryEntry)
	m.order.Remove(el)
	delete(m.entries, e.key)
	m.bytes -= e.size
}
