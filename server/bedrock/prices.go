package bedrock

import (
	"cmp"
	"slices"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	Input  float64
	Output float64
	// CacheRead is charged for prompt tokens read from the prompt cache.
	CacheRead float64
	// CacheWrite5m and CacheWrite1h are charged for prompt tokens written
	// to the cache with a five-minute or a one-hour TTL.
	CacheWrite5m float64
	CacheWrite1h float64
}

// Cost is what one answer cost, in US dollars.
type Cost struct {
	USD float64
	// WithoutCacheUSD is what the same answer would have cost with every
	// prompt token billed as plain input: the prompt cache saved
	// WithoutCacheUSD - USD (less than zero while writes outweigh reads).
	WithoutCacheUSD float64
}

// Cost prices an answer's usage. Prompt tokens neither read from nor
// written to the cache are plain input.
func (p Price) Cost(u openai.Usage) Cost {
	var read, write, write1h int
	if d := u.PromptTokensDetails; d != nil {
		read, write, write1h = d.CachedTokens, d.CacheWriteTokens, min(d.CacheWrite1hTokens, d.CacheWriteTokens)
	}
	input := max(0, u.PromptTokens-read-write)
	const m = 1e6
	usd := (float64(input)*p.Input + float64(read)*p.CacheRead + float64(write-write1h)*p.CacheWrite5m +
		float64(write1h)*p.CacheWrite1h + float64(u.CompletionTokens)*p.Output) / m
	without := (float64(input+read+write)*p.Input + float64(u.CompletionTokens)*p.Output) / m
	return Cost{USD: usd, WithoutCacheUSD: without}
}

// priceEntry is one row of the built-in table.
type priceEntry struct {
	// prefix is matched against the model id with its geography prefix
	// (us., eu., global., …) and any ARN path taken off.
	prefix string
	price  Price
	// regional: the model costs regionalPremium more through a geographic
	// (us., eu., …) or in-region id than through its global. one.
	regional bool
}

// regionalPremium is Bedrock's surcharge on Claude 4.5 and later models
// called through a geographic or in-region endpoint rather than the global
// one (clauder-navi.com/en/bedrock-claude-cost, read 2026: "regional priced
// 10% higher than global"; AWS's page says the same for these models).
const regionalPremium = 1.10

// claude builds a Claude price from Anthropic's five published figures.
func claude(input, write5m, write1h, read, output float64) Price {
	return Price{Input: input, Output: output, CacheRead: read, CacheWrite5m: write5m, CacheWrite1h: write1h}
}

// asInput is a price whose cache figures are not published in the sources
// cited below: cached tokens are priced as plain input, which may
// overstate the cost but never understates it.
func asInput(input, output float64) Price {
	return Price{Input: input, Output: output, CacheRead: input, CacheWrite5m: input, CacheWrite1h: input}
}

// priceTable is the built-in price table, on-demand, US dollars per
// million tokens.
//
// Claude: Anthropic's pricing page
// (https://platform.claude.com/docs/en/docs/about-claude/pricing, read
// 2026): input, 5m cache write, 1h cache write, cache read, output. Claude
// on Bedrock is priced as Anthropic prices it for the global endpoint
// (aws.amazon.com/bedrock/pricing, as summarised by clauder-navi.com and
// tokenmix.ai, 2026), plus regionalPremium for 4.5 and later elsewhere.
// The AWS pricing page itself is not in the material this table was built
// from; check it at https://aws.amazon.com/bedrock/pricing/ and set
// price_*_per_mtok in models.ini where it differs.
//
// Nova: input and output from pristren.com ("Nova Micro", 2026) and
// swfte.com ("Amazon Nova Pro pricing", May 2026), which also gives Nova
// Pro's cache read ($0.20). Cache writes, and Micro's and Lite's cache
// reads, are not in those sources: priced as input (asInput).
//
// Llama: the sources at hand disagree (Llama 3.3 70B at $0.72, $0.99 and
// $2.65 per million input tokens), so no Llama model is in the table; a
// tier serving one shows no spend until models.ini sets
// price_input_per_mtok and price_output_per_mtok.
var priceTable = sortedByPrefix([]priceEntry{
	{prefix: "anthropic.claude-opus-4-7", price: claude(5, 6.25, 10, 0.50, 25), regional: true},
	{prefix: "anthropic.claude-opus-4-6", price: claude(5, 6.25, 10, 0.50, 25), regional: true},
	{prefix: "anthropic.claude-opus-4-5", price: claude(5, 6.25, 10, 0.50, 25), regional: true},
	{prefix: "anthropic.claude-opus-4-1", price: claude(15, 18.75, 30, 1.50, 75)},
	{prefix: "anthropic.claude-opus-4", price: claude(15, 18.75, 30, 1.50, 75)},
	{prefix: "anthropic.claude-sonnet-4-6", price: claude(3, 3.75, 6, 0.30, 15), regional: true},
	{prefix: "anthropic.claude-sonnet-4-5", price: claude(3, 3.75, 6, 0.30, 15), regional: true},
	{prefix: "anthropic.claude-sonnet-4", price: claude(3, 3.75, 6, 0.30, 15)},
	{prefix: "anthropic.claude-3-7-sonnet", price: claude(3, 3.75, 6, 0.30, 15)},
	{prefix: "anthropic.claude-haiku-4-5", price: claude(1, 1.25, 2, 0.10, 5), regional: true},
	{prefix: "anthropic.claude-3-5-haiku", price: claude(0.80, 1, 1.6, 0.08, 4)},
	{prefix: "anthropic.claude-3-haiku", price: claude(0.25, 0.30, 0.50, 0.03, 1.25)},
	{prefix: "anthropic.claude-3-opus", price: claude(15, 18.75, 30, 1.50, 75)},
	{prefix: "amazon.nova-micro", price: asInput(0.035, 0.14)},
	{prefix: "amazon.nova-lite", price: asInput(0.06, 0.24)},
	{prefix: "amazon.nova-pro", price: Price{Input: 0.80, Output: 3.20, CacheRead: 0.20, CacheWrite5m: 0.80, CacheWrite1h: 0.80}},
})

// sortedByPrefix puts longer prefixes first, so Opus 4.1 is found before
// Opus 4.
func sortedByPrefix(entries []priceEntry) []priceEntry {
	slices.SortStableFunc(entries, func(a, b priceEntry) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
	return entries
}

// geoPrefixes are the inference-profile prefixes of Bedrock model ids.
var geoPrefixes = []string{"global.", "us-gov.", "us.", "eu.", "apac.", "jp.", "au.", "ca."}

// PriceOf looks a Bedrock model id, inference profile id or ARN up in the
// built-in price table; false when the table does not know the model.
func PriceOf(modelID string) (Price, bool) {
	id := strings.ToLower(modelID)
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	global := strings.HasPrefix(id, "global.")
	for _, g := range geoPrefixes {
		if rest, ok := strings.CutPrefix(id, g); ok {
			id = rest
			break
		}
	}
	for _, e := range priceTable {
		if !strings.HasPrefix(id, e.prefix) {
			continue
		}
		p := e.price
		if e.regional && !global {
			p = p.times(regionalPremium)
		}
		return p, true
	}
	return Price{}, false
}

func (p Price) times(f float64) Price {
	return Price{Input: p.Input * f, Output: p.Output * f, CacheRead: p.CacheRead * f, CacheWrite5m: p.CacheWrite5m * f, CacheWrite1h: p.CacheWrite1h * f}
}

// TierPrice is the price of a tier's answers from modelID: the table's,
// with the tier's price_*_per_mtok overrides on top. A model the table
// does not know is priced only when the tier sets at least its input and
// output prices (cache figures then default to the input price). gguf
// tiers run on this machine and cost nothing. false: no price known.
func TierPrice(t *tiers.Tier, modelID string) (Price, bool) {
	if t.Backend == tiers.BackendGGUF {
		return Price{}, true
	}
	p, known := PriceOf(modelID)
	o := t.Price
	if !known {
		if o.Input == nil || o.Output == nil {
			return Price{}, false
		}
		p = asInput(*o.Input, *o.Output)
	}
	if o.Input != nil {
		p.Input = *o.Input
	}
	if o.Output != nil {
		p.Output = *o.Output
	}
	if o.CacheRead != nil {
		p.CacheRead = *o.CacheRead
	}
	if o.CacheWrite != nil {
		p.CacheWrite5m, p.CacheWrite1h = *o.CacheWrite, *o.CacheWrite
	}
	return p, true
}
