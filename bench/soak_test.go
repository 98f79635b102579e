package bench

import (
	"strings"
	"testing"
)

// samples makes one sample a second from rss (MiB), threads and fds
// series of the same length.
func samples(rss []int64, threads, fds []int) []ProcSample {
	out := make([]ProcSample, len(rss))
	for i := range rss {
		out[i] = ProcSample{AtSec: float64(i), RSSKiB: rss[i] * 1024, Threads: threads[i], FDs: fds[i]}
	}
	return out
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestFlatChecks: figures are compared after warm-up (what warming up
// costs is not a leak), start and end each the median of three samples
// (one outlier is not a trend), within the stated tolerances.
func TestFlatChecks(t *testing.T) {
	growing := make([]int64, 12)
	for i := range growing {
		growing[i] = 40 + int64(i)
	}
	cases := []struct {
		name    string
		samples []ProcSample
		warmup  float64
		want    [3]string // RSS, threads, open files
	}{
		{"flat", samples(repeat[int64](40, 12), repeat(9, 12), repeat(20, 12)), 2, [3]string{statusMet, statusMet, statusMet}},
		{"warm-up growth is not a leak", samples(append([]int64{10, 20, 30}, repeat[int64](40, 9)...), append([]int{3, 5, 7}, repeat(9, 9)...), repeat(20, 12)), 3, [3]string{statusMet, statusMet, statusMet}},
		{"RSS growing", samples(growing, repeat(9, 12), repeat(20, 12)), 2, [3]string{statusMissed, statusMet, statusMet}},
		{"one spike at the end", samples(append(repeat[int64](40, 10), 90, 40), repeat(9, 12), repeat(20, 12)), 2, [3]string{statusMet, statusMet, statusMet}},
		{"threads growing", samples(repeat[int64](40, 12), []int{9, 9, 9, 9, 9, 10, 10, 11, 12, 12, 13, 13}, repeat(20, 12)), 2, [3]string{statusMet, statusMissed, statusMet}},
		{"connections leaking", samples(repeat[int64](40, 12), repeat(9, 12), []int{20, 20, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56}), 2, [3]string{statusMet, statusMet, statusMissed}},
		{"too short to tell", samples(repeat[int64](40, 6), repeat(9, 6), repeat(20, 6)), 2, [3]string{statusNotMeasured, statusNotMeasured, statusNotMeasured}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := FlatChecks(tc.samples, tc.warmup)
			if len(got) != 3 {
				t.Fatalf("%d checks, want 3", len(got))
			}
			for i, c := range got {
				if !strings.HasPrefix(c.Status, tc.want[i]) {
					t.Errorf("%s: %s (start %v, end %v, allowed %v), want %s", c.Figure, c.Status, c.Start, c.End, c.Allowed, tc.want[i])
				}
			}
		})
	}
}

// TestVerdict: the soak passes only when every answer was honest and
// explained, every rewrite was seen and the router stayed flat.
func TestVerdict(t *testing.T) {
	flat := []FlatCheck{{Figure: "RSS (KiB)", Status: statusMet}}
	cases := []struct {
		name string
		r    SoakResult
		want string // part of the verdict, "" for a pass
	}{
		{"clean", SoakResult{Sent: 10, Flat: flat}, ""},
		{"honest failures pass", SoakResult{Sent: 10, Failures: []SoakCount{{Name: "429 ThrottlingException", Count: 3, Honest: 3}}, Flat: flat}, ""},
		{"dishonest", SoakResult{Sent: 10, Dishonest: SoakProblems{Count: 1}, Flat: flat}, "1 DISHONEST"},
		{"unexplained", SoakResult{Sent: 10, Unexpected: SoakProblems{Count: 2}, Flat: flat}, "2 answers no injected fault explains"},
		{"rewrite missed", SoakResult{Sent: 10, Reloads: SoakReloads{Written: 3, Seen: 2}, Flat: flat}, "1 of 3 models.ini rewrites"},
		{"not flat", SoakResult{Sent: 10, Flat: []FlatCheck{{Figure: "open files", Status: statusMissed}}}, "open files not flat"},
		{"not measured", SoakResult{Sent: 10, Flat: []FlatCheck{{Figure: "RSS (KiB)", Status: statusNotMeasured}}}, "RSS (KiB) not flat"},
		{"nothing sent", SoakResult{Flat: flat}, "no request was sent"},
		{"router died", SoakResult{Sent: 10, Flat: flat, Problems: []string{"the router exited during the run"}}, "the router exited"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			Verdict(&r)
			v := strings.Join(r.Verdict, "; ")
			if tc.want == "" {
				if !r.Pass || v != "" {
					t.Errorf("failed: %s; want a pass", v)
				}
				return
			}
			if r.Pass || !strings.Contains(v, tc.want) {
				t.Errorf("pass %v, verdict %q; want a failure saying %q", r.Pass, v, tc.want)
			}
		})
	}
}

// TestSoakMix: every 20 requests hold each kind its weight of times,
// interleaved (no kind twice in a row while others are left).
func TestSoakMix(t *testing.T) {
	mix := soakMix()
	if len(mix) != 20 {
		t.Fatalf("mix of %d requests, want 20", len(mix))
	}
	count := map[int]int{}
	for i, k := range mix {
		count[k]++
		if i > 0 && mix[i-1] == k {
			t.Errorf("kind %s twice in a row at %d", soakKinds[k].Name, i)
		}
	}
	for i, k := range soakKinds {
		if count[i] != k.mixWeight {
			t.Errorf("%s: %d of 20, want %d", k.Name, count[i], k.mixWeight)
		}
	}
}
