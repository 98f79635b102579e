package bench

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// reliabilityTemplate is the prose of RELIABILITY.md; ReliabilityMarkdown
// computes what it shows.
//
//go:embed reliability.md.tmpl
var reliabilityTemplate string

var reliabilityTmpl = template.Must(template.New("reliability").Parse(reliabilityTemplate))

// reliabilityData is what the template shows: the run, and its tables and
// sentences already formatted.
type reliabilityData struct {
	R        *SoakResult
	JSON     string
	Cmd      string
	Started  string
	Elapsed  string
	Duration string
	Short    bool
	Faults   string
	Mix      string
	Machine  string
	Planned  int

	RequestsTable, FailuresTable, FallbackTable, ProcessTable string
	// BeforeFirstByte counts the 429 and 503 answers: what a fallback
	// would have caught.
	BeforeFirstByte int
	FallbackTotal   int
	Dishonest       []string
	Unexpected      []string
	Verdict         string
}

// ReliabilityMarkdown renders a soak's results as RELIABILITY.md; json is
// the results file as the report links it.
func ReliabilityMarkdown(r *SoakResult, json string) string {
	p := r.Params
	d := reliabilityData{R: r, JSON: json,
		Cmd:      "make soak",
		Started:  r.Started.UTC().Format("2006-01-02 15:04 MST"),
		Elapsed:  (time.Duration(r.ElapsedSec) * time.Second).String(),
		Duration: (time.Duration(p.DurationSec) * time.Second).String(),
		Short:    r.Mode != "full",
		Faults: fmt.Sprintf("%s throttling (429 ThrottlingException), %s 5xx (503 ServiceUnavailableException and 500 InternalServerException, half each) and %s mid-stream failures (a modelStreamErrorException after the first text chunk)",
			pct(p.ThrottleRate), pct(p.ErrorRate), pct(p.StreamErrorRate)),
		Dishonest: r.Dishonest.Examples, Unexpected: r.Unexpected.Examples,
	}
	if d.Short {
		d.Cmd = fmt.Sprintf("make soak SOAK_DURATION=%s", d.Duration)
	}
	d.Mix = mixSentence(p.Mix)
	d.Planned = int(p.Rate * p.DurationSec)
	m := r.Machine
	d.Machine = fmt.Sprintf("%s, %d cores, %.1f GiB, Linux %s (%s), %s", m.CPUModel, m.Cores, float64(m.MemoryMiB)/1024, m.Kernel, m.OS, m.GoVersion)

	req := &table{head: []string{"request", "sent", "clean", "failed", "p50, clean", "p99, clean"}}
	for _, k := range r.Kinds {
		req.add(k.Name, fmt.Sprint(k.Sent), fmt.Sprint(k.OK), fmt.Sprint(k.Failed), msOr(k.OKLat.P50MS, k.OKLat.N), msOr(k.OKLat.P99MS, k.OKLat.N))
	}
	req.add("**all**", fmt.Sprint(r.Sent), fmt.Sprint(r.OK), fmt.Sprint(r.Sent-r.OK), msOr(r.LatencyOK.P50MS, r.LatencyOK.N), msOr(r.LatencyOK.P99MS, r.LatencyOK.N))
	d.RequestsTable = req.String()

	if len(r.Failures) > 0 {
		f := &table{head: []string{"what the client got", "count", "honest", "first example"}}
		for _, c := range r.Failures {
			f.add(c.Name, fmt.Sprint(c.Count), fmt.Sprint(c.Honest), "`"+strings.ReplaceAll(trim(c.Example, 160), "`", "'")+"`")
			if strings.HasPrefix(c.Name, "429 ") || strings.HasPrefix(c.Name, "503 ") {
				d.BeforeFirstByte += c.Count
			}
		}
		d.FailuresTable = f.String()
	}
	if len(r.Fallbacks) > 0 {
		f := &table{head: []string{"X-LLMStack-Route said", "count", "answered cleanly"}}
		for _, c := range r.Fallbacks {
			f.add("`fallback="+c.Name+"`", fmt.Sprint(c.Count), fmt.Sprint(c.Honest))
			d.FallbackTotal += c.Count
		}
		d.FallbackTable = f.String()
	}

	byFigure := map[string]FlatCheck{}
	for _, c := range r.Flat {
		byFigure[c.Figure] = c
	}
	proc := &table{head: []string{"router process", "idle, before the load", "after warm-up", "end of the load", "highest", "idle, after the load", "end may be at most", "flat?"}}
	rows := []struct {
		figure string
		idle   func(ProcSample) float64
		f      func(float64) string
	}{
		{"RSS (KiB)", func(p ProcSample) float64 { return float64(p.RSSKiB) }, func(v float64) string { return mb(int64(v)) }},
		{"OS threads", func(p ProcSample) float64 { return float64(p.Threads) }, num0},
		{"open files", func(p ProcSample) float64 { return float64(p.FDs) }, num0},
	}
	for _, row := range rows {
		c, ok := byFigure[row.figure]
		name := strings.TrimSuffix(row.figure, " (KiB)")
		if !ok || c.Status != statusMet && c.Status != statusMissed {
			status := "not measured"
			if ok {
				status = c.Status
			}
			proc.add(name, row.f(row.idle(r.IdleBefore)), "—", "—", "—", row.f(row.idle(r.IdleAfter)), "—", status)
			continue
		}
		proc.add(name, row.f(row.idle(r.IdleBefore)), row.f(c.Start), row.f(c.End), row.f(c.Max), row.f(row.idle(r.IdleAfter)),
			fmt.Sprintf("%s (%s)", row.f(c.Allowed), c.Tolerance), statusIcon(c.Status))
	}
	d.ProcessTable = proc.String()

	if r.Pass {
		d.Verdict = "PASS"
	} else {
		d.Verdict = "FAIL: " + strings.Join(r.Verdict, "; ")
	}
	var b strings.Builder
	if err := reliabilityTmpl.Execute(&b, d); err != nil {
		return "RELIABILITY.md: rendering the report failed: " + err.Error() + "\n"
	}
	return b.String()
}

func pct(v float64) string { return fmt.Sprintf("%g %%", v*100) }

func msOr(v float64, n int) string {
	if n == 0 {
		return "—"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func statusIcon(s string) string {
	switch s {
	case statusMet:
		return "✅ flat"
	case statusMissed:
		return "❌ grew"
	}
	return s
}

// mixSentence describes every 20 requests of the mix: "5 chat, 5 chat,
// streamed, …".
func mixSentence(mix []string) string {
	count := map[string]int{}
	var order []string
	for _, k := range mix {
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d × %s", count[k], k)
	}
	return strings.Join(parts, "; ")
}

// SoakSummary is the short text the soak prints when it ends.
func SoakSummary(r *SoakResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d requests, %d clean, %d failed honestly, %d DISHONEST, %d unexplained; %d fallbacks; p50 %.1f ms, p99 %.1f ms (clean answers)\n",
		r.Sent, r.OK, r.Sent-r.OK-r.Dishonest.Count-r.Unexpected.Count, r.Dishonest.Count, r.Unexpected.Count, fallbacks(r), r.LatencyOK.P50MS, r.LatencyOK.P99MS)
	for _, c := range r.Flat {
		fmt.Fprintf(&b, "  %s: after warm-up %.0f, end %.0f (at most %.0f): %s\n", c.Figure, c.Start, c.End, c.Allowed, c.Status)
	}
	for _, e := range r.Dishonest.Examples {
		fmt.Fprintf(&b, "  DISHONEST %s\n", e)
	}
	for _, e := range r.Unexpected.Examples {
		fmt.Fprintf(&b, "  unexplained %s\n", e)
	}
	if r.Pass {
		b.WriteString("soak: PASS\n")
	} else {
		fmt.Fprintf(&b, "soak: FAIL: %s\n", strings.Join(r.Verdict, "; "))
	}
	return b.String()
}

func fallbacks(r *SoakResult) int {
	n := 0
	for _, c := range r.Fallbacks {
		n += c.Count
	}
	return n
}
