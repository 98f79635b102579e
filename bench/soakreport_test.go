package bench

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestReliabilityRendersTheCommittedReport renders the committed soak's
// JSON and compares it with the committed RELIABILITY.md, which that run
// wrote: the report's code and template change the file only on purpose
// (rerun `bin/llmstack-bench soak -from bench/results/soak.json` then).
func TestReliabilityRendersTheCommittedReport(t *testing.T) {
	raw, err := os.ReadFile("results/soak.json")
	if err != nil {
		t.Fatal(err)
	}
	var res SoakResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../RELIABILITY.md")
	if err != nil {
		t.Fatal(err)
	}
	got := ReliabilityMarkdown(&res, "bench/results/soak.json")
	if got == string(want) {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			t.Fatalf("ReliabilityMarkdown(results/soak.json) differs from RELIABILITY.md from line %d:\n got  %q\n want %q", i+1, at(g, i), at(w, i))
		}
	}
}

// TestReliabilityMarkdown: the report says what failed and how, counts
// the fallbacks (and says so when a router took none it could have), and
// labels a short run as one.
func TestReliabilityMarkdown(t *testing.T) {
	base := SoakResult{Mode: "full", Sent: 100, OK: 90, Params: SoakParams{DurationSec: 600, Rate: 20, ThrottleRate: 0.05}}
	cases := []struct {
		name      string
		edit      func(r *SoakResult)
		want, not []string
	}{
		{"a pass", func(r *SoakResult) { r.Pass = true }, []string{"**Verdict: PASS**", "**DISHONEST answers: 0.**"}, []string{"short run"}},
		{"dishonest", func(r *SoakResult) {
			r.Dishonest = SoakProblems{Count: 1, Examples: []string{"chat, streamed: [DONE] after the error chunk"}}
			Verdict(r)
		}, []string{"**Verdict: FAIL: 1 DISHONEST answers", "- chat, streamed: [DONE] after the error chunk"}, nil},
		{"fallbacks", func(r *SoakResult) {
			r.Fallbacks = []SoakCount{{Name: "soak-backup after ThrottlingException", Count: 7, Honest: 7}}
		}, []string{"7 fallbacks taken", "| `fallback=soak-backup after ThrottlingException` | 7 | 7 |"}, []string{"0 fallbacks"}},
		{"no fallback where one was due", func(r *SoakResult) {
			r.Failures = []SoakCount{{Name: "429 ThrottlingException", Count: 3, Honest: 3}, {Name: "stream error ModelStreamErrorException", Count: 5, Honest: 5}}
		}, []string{"**0 fallbacks taken**", "3 answers failed with 429 or 503 before their first byte and the router fell back for none of them"}, nil},
		{"no fallback needed", func(r *SoakResult) {}, []string{"**0 fallbacks taken**"}, []string{"before their first byte"}},
		{"short", func(r *SoakResult) { r.Mode, r.Params.DurationSec = "short", 60 }, []string{"`make soak SOAK_DURATION=1m0s`", "This is a short run (1m0s of load)"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.edit(&r)
			md := ReliabilityMarkdown(&r, "bench/results/soak.json")
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("the report does not say %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(md, n) {
					t.Errorf("the report says %q", n)
				}
			}
		})
	}
}
