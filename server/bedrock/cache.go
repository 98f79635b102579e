package bedrock

import (
	"iter"
	"slices"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// maxCachePoints is how many cache points Bedrock takes in one request.
const maxCachePoints = 4

// placeCachePoints settles the cache points of a request: the ones the
// client asked for with cache_control, where the model takes them, at
// most four (the last ones, which cover the longest prefixes, when there
// are more: too many is never an error), then, with prompt_cache on, the
// automatic ones in the room left.
func placeCachePoints(r *ConverseRequest, b *tiers.Bedrock, modelID string, conversation bool) {
	if !b.PromptCache && !familyOf(modelID).caches {
		// Bedrock refuses cache points a model does not take; a client
		// that marks every request must still be served.
		dropCachePoints(r, countCachePoints(r))
		return
	}
	if n := countCachePoints(r); n > maxCachePoints {
		dropCachePoints(r, n-maxCachePoints)
	}
	if b.PromptCache {
		addCachePoints(r, conversation, b.PromptCacheTTL)
	}
	longTTLsFirst(r)
}

// longTTLsFirst gives every cache point before a one-hour one a one-hour
// TTL too: Bedrock (as Anthropic) refuses a five-minute cache point ahead
// of a one-hour one, and the prefix the client wants kept for an hour
// holds the shorter ones anyway.
func longTTLsFirst(r *ConverseRequest) {
	points := slices.Collect(cachePoints(r))
	last := -1
	for i, cp := range points {
		if cp.TTL == "1h" {
			last = i
		}
	}
	for _, cp := range points[:last+1] {
		cp.TTL = "1h"
	}
}

// cachePoints yields the cache points of a request in the order Bedrock
// reads the prompt: tools, system, messages.
func cachePoints(r *ConverseRequest) iter.Seq[*CachePoint] {
	return func(yield func(*CachePoint) bool) {
		if r.ToolConfig != nil {
			for _, t := range r.ToolConfig.Tools {
				if t.CachePoint != nil && !yield(t.CachePoint) {
					return
				}
			}
		}
		for _, s := range r.System {
			if s.CachePoint != nil && !yield(s.CachePoint) {
				return
			}
		}
		for _, m := range r.Messages {
			for _, b := range m.Content {
				if b.CachePoint != nil && !yield(b.CachePoint) {
					return
				}
			}
		}
	}
}

// countCachePoints counts the cache points in tools, system and messages.
func countCachePoints(r *ConverseRequest) int {
	n := 0
	for range cachePoints(r) {
		n++
	}
	return n
}

// dropCachePoints removes the first n cache points, in the order Bedrock
// reads the prompt: tools, system, messages.
func dropCachePoints(r *ConverseRequest, n int) {
	drop := func(has bool) bool {
		if has && n > 0 {
			n--
			return true
		}
		return false
	}
	if r.ToolConfig != nil {
		r.ToolConfig.Tools = slices.DeleteFunc(r.ToolConfig.Tools, func(t Tool) bool { return drop(t.CachePoint != nil) })
	}
	r.System = slices.DeleteFunc(r.System, func(s SystemBlock) bool { return drop(s.CachePoint != nil) })
	if len(r.System) == 0 {
		r.System = nil
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		m.Content = slices.DeleteFunc(m.Content, func(b ContentBlock) bool { return drop(b.CachePoint != nil) })
	}
}

// systemCachePoint is the cache point a system message's cache_control
// (on the message or one of its parts) asks for, or nil. ConvertMessages
// has refused a bad one already.
func systemCachePoint(m openai.Message) *CachePoint {
	cc := m.CacheControl
	for _, p := range m.Content.Parts {
		if cc == nil && !m.Content.IsString {
			cc = p.CacheControl
		}
	}
	cp, _ := explicitCachePoint("", cc)
	return cp
}
