package bedrock

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/llmstack/llmstack/server/openai"
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
// the router issued, and the answer's text with the turn it replied to. It
// is bounded in entries and bytes, forgets entries after an hour, and is
// never logged: thinking is the user's content. Safe for concurrent use.
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
	key string
	// blocks is nil for an ambiguous key.
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
// and its text. A call id the router issued names one answer; a text such
// as "Done." can be any conversation's, so its key holds the context too
// (see memoryContext). Both are hashed, so the text is not held twice.
func callKey(id string) string { return "call\x00" + id }

func textKey(context, text string) string {
	sum := sha256.Sum256([]byte(context + "\x00" + text))
	return "text\x00" + hex.EncodeToString(sum[:])
}

// answerKeys are the keys an answer with this text and these tool call
// ids, given in the context of memoryContext, is remembered under. The
// text comes first so that, oldest first, it is forgotten before the call
// ids, the surer keys.
func answerKeys(context, text string, callIDs []string) []string {
	var keys []string
	if !blank(text) {
		keys = append(keys, textKey(context, text))
	}
	for _, id := range callIDs {
		if id != "" {
			keys = append(keys, callKey(id))
		}
	}
	return keys
}

// memoryContext tells an answer's text from the same text in another
// conversation or on another tier: it digests the tier and model that
// answer, and the turn the answer replies to (the user and tool messages
// after the assistant's previous turn), as clients send it back verbatim.
// before is the history up to the answer: a request's messages when its
// answer is remembered, the messages before an assistant turn sent back
// when it is restored. System prompts, earlier turns and cache_control
// marks are left out: clients rewrite them between requests.
func memoryContext(tier, model string, before []openai.Message) string {
	h := sha256.New()
	field := func(s string) {
		// Length-prefixed, so no two contexts write the same bytes.
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	field(tier)
	field(model)
	start := len(before)
	for start > 0 && before[start-1].Role != "assistant" {
		start--
	}
	for _, m := range before[start:] {
		if m.Role == "system" || m.Role == "developer" {
			continue
		}
		field(m.Role)
		field(m.ToolCallID)
		for _, p := range m.Content.Parts {
			field(p.Type)
			if p.Text != nil {
				field(*p.Text)
			}
			if p.ImageURL != nil {
				field(p.ImageURL.URL)
			}
			if p.File != nil {
				field(p.File.Filename)
				field(p.File.FileData)
				field(p.File.FileID)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ambiguousSize is what an ambiguous key counts against the byte bound.
const ambiguousSize = 64

// Remember keeps the thinking blocks of an answer under each of keys. A
// set of blocks larger than the whole memory is not kept. A key that
// holds other blocks already is ambiguous (two answers with one text and
// one context): it keeps neither, for the rest of the hour, since
// restoring either could give a conversation another's thinking.
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
	blocks = slices.Clone(blocks)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	expires := now.Add(m.ttl)
	for _, k := range keys {
		e := &memoryEntry{key: k, blocks: blocks, size: size, expires: expires}
		if el, ok := m.entries[k]; ok {
			old := el.Value.(*memoryEntry)
			if now.Before(old.expires) && !sameBlocks(old.blocks, blocks) {
				e.blocks, e.size = nil, ambiguousSize
			}
			m.remove(el)
		}
		m.entries[k] = m.order.PushBack(e)
		m.bytes += e.size
	}
	for m.order.Len() > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.order.Front())
	}
}

// sameBlocks reports whether a and b are the same thinking blocks.
func sameBlocks(a, b []ReasoningContent) bool {
	return slices.EqualFunc(a, b, func(x, y ReasoningContent) bool {
		if (x.ReasoningText == nil) != (y.ReasoningText == nil) || !bytes.Equal(x.RedactedContent, y.RedactedContent) {
			return false
		}
		return x.ReasoningText == nil || *x.ReasoningText == *y.ReasoningText
	})
}

// Recall returns the blocks remembered under key, or nil when there are
// none (never kept, forgotten, expired, or ambiguous).
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
