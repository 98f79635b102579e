package bench

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestMarkdownRendersTheCommittedReport renders the committed full run's
// JSON and compares it with the committed BENCHMARKS.md, which that run
// wrote: the report's code and its template change the file only on
// purpose (rerun `llmstack-bench -from bench/results/full.json` then).
func TestMarkdownRendersTheCommittedReport(t *testing.T) {
	raw, err := os.ReadFile("results/full.json")
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	got := Markdown(&res, MarkdownOptions{JSON: "bench/results/full.json", Chart: "bench/results/latency-vs-concurrency.png", Findings: "FINDINGS.md"})
	if got == string(want) {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			t.Fatalf("Markdown(results/full.json) differs from BENCHMARKS.md from line %d:\n got  %q\n want %q", i+1, at(g, i), at(w, i))
		}
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}
