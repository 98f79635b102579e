package bedrock

import (
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

func TestPriceOf(t *testing.T) {
	tests := []struct {
		model string
		want  Price
		known bool
	}{
		// Claude 4.5 and later: the geo and in-region ids cost 10% more
		// than the global one.
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite5m: 3.75, CacheWrite1h: 6}, true},
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", Price{Input: 3.3, Output: 16.5, CacheRead: 0.33, CacheWrite5m: 4.125, CacheWrite1h: 6.6}, true},
		{"anthropic.claude-haiku-4-5-20251001-v1:0", Price{Input: 1.1, Output: 5.5, CacheRead: 0.11, CacheWrite5m: 1.375, CacheWrite1h: 2.2}, true},
		{"eu.anthropic.claude-opus-4-5-20251101-v1:0", Price{Input: 5.5, Output: 27.5, CacheRead: 0.55, CacheWrite5m: 6.875, CacheWrite1h: 11}, true},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-opus-4-5-20251101-v1:0", Price{Input: 5, Output: 25, CacheRead: 0.5, CacheWrite5m: 6.25, CacheWrite1h: 10}, true},
		// Older models: one price everywhere; Opus 4.1 is not Opus 4.
		{"us.anthropic.claude-opus-4-1-20250805-v1:0", Price{Input: 15, Output: 75, CacheRead: 1.5, CacheWrite5m: 18.75, CacheWrite1h: 30}, true},
		{"us.anthropic.claude-sonnet-4-20250514-v1:0", Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite5m: 3.75, CacheWrite1h: 6}, true},
		{"anthropic.claude-3-5-haiku-20241022-v1:0", Price{Input: 0.8, Output: 4, CacheRead: 0.08, CacheWrite5m: 1, CacheWrite1h: 1.6}, true},
		// Nova: cache writes (and Micro's and Lite's cache reads) are
		// priced as input, the figures not being in the cited sources.
		{"us.amazon.nova-pro-v1:0", Price{Input: 0.8, Output: 3.2, CacheRead: 0.2, CacheWrite5m: 0.8, CacheWrite1h: 0.8}, true},
		{"amazon.nova-micro-v1:0", Price{Input: 0.035, Output: 0.14, CacheRead: 0.035, CacheWrite5m: 0.035, CacheWrite1h: 0.035}, true},
		{"meta.llama3-3-70b-instruct-v1:0", Price{}, false},
		{"", Price{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, known := PriceOf(tt.model)
			if known != tt.known || !samePrice(got, tt.want) {
				t.Errorf("PriceOf(%q) = %+v, %v; want %+v, %v", tt.model, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestTierPrice(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	bedrockTier := func(model string, o tiers.PriceOverride) *tiers.Tier {
		return &tiers.Tier{Name: "t", Backend: tiers.BackendBedrock, Price: o, Bedrock: &tiers.Bedrock{ModelID: model}}
	}
	tests := []struct {
		name  string
		tier  *tiers.Tier
		want  Price
		known bool
	}{
		{"table", bedrockTier("global.anthropic.claude-haiku-4-5-20251001-v1:0", tiers.PriceOverride{}),
			Price{Input: 1, Output: 5, CacheRead: 0.1, CacheWrite5m: 1.25, CacheWrite1h: 2}, true},
		{"override one field", bedrockTier("global.anthropic.claude-haiku-4-5-20251001-v1:0", tiers.PriceOverride{Output: f(4)}),
			Price{Input: 1, Output: 4, CacheRead: 0.1, CacheWrite5m: 1.25, CacheWrite1h: 2}, true},
		{"override cache write sets both TTLs", bedrockTier("global.anthropic.claude-haiku-4-5-20251001-v1:0", tiers.PriceOverride{CacheWrite: f(1.5)}),
			Price{Input: 1, Output: 5, CacheRead: 0.1, CacheWrite5m: 1.5, CacheWrite1h: 1.5}, true},
		{"unknown model, no override", bedrockTier("meta.llama3-3-70b-instruct-v1:0", tiers.PriceOverride{}), Price{}, false},
		{"unknown model, input only", bedrockTier("meta.llama3-3-70b-instruct-v1:0", tiers.PriceOverride{Input: f(0.72)}), Price{}, false},
		{"unknown model, input and output", bedrockTier("meta.llama3-3-70b-instruct-v1:0", tiers.PriceOverride{Input: f(0.72), Output: f(0.72)}),
			Price{Input: 0.72, Output: 0.72, CacheRead: 0.72, CacheWrite5m: 0.72, CacheWrite1h: 0.72}, true},
		{"gguf is free", &tiers.Tier{Name: "local", Backend: tiers.BackendGGUF, Price: tiers.PriceOverride{Input: f(9)}, GGUF: &tiers.GGUF{}}, Price{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := ""
			if tt.tier.Bedrock != nil {
				model = tt.tier.Bedrock.ModelID
			}
			got, known := TierPrice(tt.tier, model)
			if known != tt.known || !samePrice(got, tt.want) {
				t.Errorf("TierPrice = %+v, %v; want %+v, %v", got, known, tt.want, tt.known)
			}
		})
	}
}

func TestPriceCost(t *testing.T) {
	sonnet := Price{Input: 3, Output: 15, CacheRead: 0.3, CacheWrite5m: 3.75, CacheWrite1h: 6}
	tests := []struct {
		name        string
		usage       openai.Usage
		usd, before float64 // before: what it would have cost without the cache
	}{
		{"no cache", openai.Usage{PromptTokens: 1_000_000, CompletionTokens: 100_000}, 3 + 1.5, 4.5},
		{"cache read", openai.Usage{PromptTokens: 1_000_000, CompletionTokens: 0, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 900_000}},
			0.1*3 + 0.9*0.3, 3},
		{"cache write 5m", openai.Usage{PromptTokens: 1_000_000, PromptTokensDetails: &openai.PromptTokensDetails{CacheWriteTokens: 1_000_000}}, 3.75, 3},
		{"cache write 1h part", openai.Usage{PromptTokens: 1_000_000, PromptTokensDetails: &openai.PromptTokensDetails{CacheWriteTokens: 1_000_000, CacheWrite1hTokens: 400_000}},
			0.6*3.75 + 0.4*6, 3},
		{"read, write and output", openai.Usage{PromptTokens: 4105, CompletionTokens: 2, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 3900, CacheWriteTokens: 200}},
			(5*3 + 3900*0.3 + 200*3.75 + 2*15) / 1e6, (4105*3 + 2*15) / 1e6},
		// Counts that do not add up (more cached than prompt) never make
		// a negative charge.
		{"inconsistent counts", openai.Usage{PromptTokens: 10, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 20}}, 20 * 0.3 / 1e6, 20 * 3 / 1e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sonnet.Cost(tt.usage)
			if !near(c.USD, tt.usd) || !near(c.WithoutCacheUSD, tt.before) {
				t.Errorf("Cost = %+v; want USD %v, without cache %v", c, tt.usd, tt.before)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func samePrice(a, b Price) bool {
	return near(a.Input, b.Input) && near(a.Output, b.Output) && near(a.CacheRead, b.CacheRead) &&
		near(a.CacheWrite5m, b.CacheWrite5m) && near(a.CacheWrite1h, b.CacheWrite1h)
}

// TestUsageCacheWrites checks that the tokens Bedrock wrote to the cache,
// and the one-hour part of them, reach the usage the router prices.
func TestUsageCacheWrites(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	got := usage(&types.TokenUsage{
		InputTokens: i32(5), OutputTokens: i32(2), TotalTokens: i32(4107),
		CacheReadInputTokens: i32(3900), CacheWriteInputTokens: i32(200),
		CacheDetails: []types.CacheDetail{{Ttl: types.CacheTTLOneHour, InputTokens: i32(150)}, {Ttl: types.CacheTTLFiveMinutes, InputTokens: i32(50)}},
	})
	want := openai.PromptTokensDetails{CachedTokens: 3900, CacheWriteTokens: 200, CacheWrite1hTokens: 150}
	if got.PromptTokens != 4105 || got.PromptTokensDetails == nil || *got.PromptTokensDetails != want {
		t.Errorf("usage = %+v, details %+v; want prompt 4105, details %+v", got, got.PromptTokensDetails, want)
	}
}
