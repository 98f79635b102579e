// Package bench is llmstack's benchmark harness: it starts the fake Bedrock
// runtime, `llmstack serve`, a bare httputil.ReverseProxy floor and (where
// Node is available) the Portkey gateway on loopback, drives them with its
// own load generator, and writes BENCHMARKS.md (prose in report.md.tmpl),
// raw JSON and a chart. It is a Go module of its own, so its plotting
// dependencies stay out of llmstack's; bench/cmd/llmstack-bench is its
// command line, and `make bench`, `make bench-quick` and `make bench-peers`
// run it.
package bench

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Percentile returns the q-quantile (0 ≤ q ≤ 1) of sorted by the
// nearest-rank method: the smallest sample with at least q of the samples
// at or below it. It returns 0 for no samples.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if q <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(q * float64(n)))
	if rank > n {
		rank = n
	}
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// Quantiles sorts samples in place and returns its p50 and p99 in
// microseconds.
func Quantiles(samples []time.Duration) (p50, p99 float64) {
	slices.Sort(samples)
	return Micros(Percentile(samples, 0.50)), Micros(Percentile(samples, 0.99))
}

// Micros converts a duration to (fractional) microseconds.
func Micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Stat is one figure measured in several repeats: the median of the repeats
// and their spread.
type Stat struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

// Summarize returns the median, minimum and maximum of runs (the median of
// an even count is the mean of the middle two). A Stat of no runs is NaN.
func Summarize(runs []float64) Stat {
	if len(runs) == 0 {
		return Stat{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(runs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stat{Median: med, Min: s[0], Max: s[n-1], Runs: slices.Clone(runs)}
}

// MarshalJSON writes a stat without runs as null (JSON has no NaN).
func (s Stat) MarshalJSON() ([]byte, error) {
	if !s.Valid() {
		return []byte("null"), nil
	}
	type plain Stat
	return json.Marshal(plain(s))
}

// Valid reports whether the stat holds a measurement.
func (s Stat) Valid() bool { return len(s.Runs) > 0 && !math.IsNaN(s.Median) }

// Ratio divides a by b, NaN when either is missing or b is 0.
func Ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return a / b
}

// Diff returns the per-repeat difference a[i]-b[i] of two series measured in
// the same repeats (the shorter length wins).
func Diff(a, b []float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, n)
	for i := range n {
		out[i] = a[i] - b[i]
	}
	return out
}
