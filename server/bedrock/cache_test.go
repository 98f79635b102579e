package bedrock

import (
	"slices"
	"testing"
)

// TestCachePoints checks that the cache points of a request come in the
// order Bedrock reads the prompt (tools, system, messages), that stopping
// early stops, and that a request without any yields none.
func TestCachePoints(t *testing.T) {
	point := func(ttl string) *CachePoint { return &CachePoint{Type: "default", TTL: ttl} }
	r := &ConverseRequest{
		ToolConfig: &ToolConfig{Tools: []Tool{{ToolSpec: &ToolSpec{Name: "bash"}}, {CachePoint: point("tools")}}},
		System:     []SystemBlock{{Text: "s"}, {CachePoint: point("system")}},
		Messages: []Message{
			{Role: "user", Content: []ContentBlock{{Text: "a"}, {CachePoint: point("user")}}},
			{Role: "assistant", Content: []ContentBlock{{Text: "b"}}},
			{Role: "user", Content: []ContentBlock{{Text: "c"}, {CachePoint: point("last")}}},
		},
	}
	var got []string
	for cp := range cachePoints(r) {
		got = append(got, cp.TTL)
	}
	if want := []string{"tools", "system", "user", "last"}; !slices.Equal(got, want) {
		t.Errorf("cache points %q, want %q", got, want)
	}
	for cp := range cachePoints(r) {
		if cp.TTL != "tools" {
			t.Errorf("went on after the first: %q", cp.TTL)
		}
		break
	}
	if n := countCachePoints(&ConverseRequest{Messages: []Message{{Role: "user", Content: []ContentBlock{{Text: "a"}}}}}); n != 0 {
		t.Errorf("a request without cache points has %d", n)
	}
}
