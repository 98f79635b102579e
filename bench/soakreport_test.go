package bench

import (
	"strings"
	"testing"
)

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
