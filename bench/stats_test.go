package bench

import (
	"math"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	cases := []struct {
		q    float64
		want time.Duration
	}{
		{0, 1}, {0.01, 1}, {0.5, 50}, {0.99, 99}, {0.995, 100}, {1, 100},
	}
	for _, c := range cases {
		if got := Percentile(s, c.q); got != c.want {
			t.Errorf("Percentile(1..100, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := Percentile(nil, 0.5); got != 0 {
		t.Errorf("Percentile(nil) = %v", got)
	}
	if got := Percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("Percentile([7], .99) = %v", got)
	}
}

func TestQuantilesSortsAndConverts(t *testing.T) {
	s := []time.Duration{3 * time.Microsecond, time.Microsecond, 2 * time.Microsecond}
	p50, p99 := Quantiles(s)
	if p50 != 2 || p99 != 3 {
		t.Errorf("Quantiles = %v, %v; want 2, 3", p50, p99)
	}
	if s[0] != time.Microsecond {
		t.Errorf("samples not sorted: %v", s)
	}
}

func TestSummarize(t *testing.T) {
	st := Summarize([]float64{5, 1, 3})
	if st.Median != 3 || st.Min != 1 || st.Max != 5 || len(st.Runs) != 3 || st.Runs[0] != 5 {
		t.Errorf("Summarize odd = %+v", st)
	}
	st = Summarize([]float64{4, 1, 3, 2})
	if st.Median != 2.5 {
		t.Errorf("Summarize even median = %v, want 2.5", st.Median)
	}
	if st := Summarize(nil); st.Valid() || !math.IsNaN(st.Median) {
		t.Errorf("Summarize(nil) = %+v", st)
	}
}

func TestRatioAndDiff(t *testing.T) {
	if r := Ratio(6, 3); r != 2 {
		t.Errorf("Ratio = %v", r)
	}
	if r := Ratio(1, 0); !math.IsNaN(r) {
		t.Errorf("Ratio(1,0) = %v", r)
	}
	d := Diff([]float64{5, 7, 9}, []float64{1, 2})
	if len(d) != 2 || d[0] != 4 || d[1] != 5 {
		t.Errorf("Diff = %v", d)
	}
}
