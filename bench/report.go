package bench

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"
)

// MarkdownOptions name the files the report links and includes.
type MarkdownOptions struct {
	Chart    string // PNG, relative to the report ("" for none)
	JSON     string // raw results, relative to the report
	Findings string // hand-written findings to include verbatim ("" for none)
}

// stat formats a stat as "median (min–max)" with f formatting each value.
func stat(s Stat, f func(float64) string) string {
	if !s.Valid() {
		return "—"
	}
	if len(s.Runs) == 1 || s.Min == s.Max {
		return f(s.Median)
	}
	return fmt.Sprintf("%s (%s – %s)", f(s.Median), f(s.Min), f(s.Max))
}

func num0(v float64) string { return fmt.Sprintf("%.0f", v) }
func num1(v float64) string { return fmt.Sprintf("%.1f", v) }

// ratioStat formats a's median over b's median.
func ratioStat(a, b Stat) string {
	if !a.Valid() || !b.Valid() {
		return "—"
	}
	return times(Ratio(a.Median, b.Median))
}

type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) String() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
	for range t.head {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

var targetLabel = map[string]string{
	"direct":  "direct (aws-sdk-go-v2 → fake)",
	"floor":   "floor (httputil.ReverseProxy)",
	"router":  "**llmstack serve**",
	"portkey": "Portkey gateway",
}

func label(t string) string {
	if l, ok := targetLabel[t]; ok {
		return l
	}
	if env, ok := strings.CutPrefix(t, variantPrefix); ok {
		return "llmstack serve, " + env
	}
	return t
}

// reportTemplate is the prose of BENCHMARKS.md; Markdown computes what it
// shows.
//
//go:embed report.md.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"trim":      trim,
	"trimSpace": strings.TrimSpace,
}).Parse(reportTemplate))

// reportData is what the report template shows: the run, and its tables
// and sentences already formatted.
type reportData struct {
	R          *Results
	O          MarkdownOptions
	Cmd        string
	Started    string
	Duration   string
	PeerReason string

	MachineTable, TargetsTable string
	Latency                    []latencySection
	StreamingTable             string
	StreamingErrors            string
	Throughput                 []throughputSection
	ThroughputErrors           string
	Streams                    *streamsSection
	Pass                       *passSection
	MemoryTable                string
	ProfileDir                 string
	Findings                   string
}

type latencySection struct {
	Title string
	LR    LatencyResult
	Table string
}

type throughputSection struct {
	MS    float64
	Table string
}

type streamsSection struct {
	CS              *ConcurrentStreams
	StallFactor     float64
	Table           string
	MostClean, Idle string
}

type passSection struct {
	Latency, Throughput string
}

// Markdown renders the results as BENCHMARKS.md.
func Markdown(r *Results, o MarkdownOptions) string {
	d := reportData{R: r, O: o, Cmd: "make bench",
		Started:    r.Started.UTC().Format("2006-01-02 15:04 MST"),
		Duration:   (time.Duration(r.DurationSec) * time.Second).String(),
		PeerReason: strings.TrimPrefix(r.Peer.Reason, "not run: "),
		ProfileDir: dirOf(o.JSON),
	}
	if r.Peer.Measured {
		d.Cmd = "make bench-peers"
	}
	if r.Mode == "quick" {
		d.Cmd = "make bench-quick"
	}

	mt := table{head: []string{"CPU", "cores", "memory", "kernel", "OS", "Go", "Node"}}
	node := r.Machine.Node
	if node == "" {
		node = "—"
	}
	mt.add(r.Machine.CPUModel, fmt.Sprint(r.Machine.Cores), fmt.Sprintf("%.1f GiB", float64(r.Machine.MemoryMiB)/1024), r.Machine.Kernel, r.Machine.OS, r.Machine.GoVersion, node)
	d.MachineTable = mt.String()

	tt := table{head: []string{"target", "goal", "this run", "status"}}
	for _, t := range r.Targets {
		st := t.Status
		switch st {
		case statusMet:
			st = "✅ met"
		case statusMissed:
			st = "❌ missed"
		}
		tt.add(t.Target, t.Goal, t.Value, st)
	}
	d.TargetsTable = tt.String()

	for _, lr := range r.Latency {
		title := "1. Added latency at concurrency 1 (small request)"
		if lr.Workload == "translation-cost" {
			title = "2. Translation cost (20 KB agent request)"
		}
		d.Latency = append(d.Latency, latencySection{Title: title, LR: lr, Table: latencyTable(lr, "").String()})
	}

	if s := r.Streaming; s != nil {
		st := table{head: []string{"path", "TTFT", "added TTFT", "gap p99", "added gap p99", "chunk latency p50", "added p50", "added p99", "CPU/chunk", "CPU × floor", "lost frames", "incomplete"}}
		var floorCPU Stat
		for _, t := range s.Targets {
			if t.Target == "floor" {
				floorCPU = t.CPUPerChunk
			}
		}
		for _, t := range s.Targets {
			st.add(label(t.Target), stat(t.TTFT, us), stat(t.AddedTTFT, us), stat(t.GapP99, us), stat(t.AddedGapP99, us),
				stat(t.ChunkP50, us), stat(t.AddedChunkP50, us), stat(t.AddedChunkP99, us), stat(t.CPUPerChunk, us), ratioStat(t.CPUPerChunk, floorCPU),
				fmt.Sprintf("%d of %d", t.Lost, t.Streams*s.Deltas), fmt.Sprint(t.Incomplete))
		}
		d.StreamingTable, d.StreamingErrors = st.String(), firstErrors(s.Targets)
	}

	if len(r.Throughput) > 0 {
		for _, delay := range r.Params.FakeDelays {
			ms := float64(delay) / 1e6
			d.Throughput = append(d.Throughput, throughputSection{MS: ms, Table: throughputTable(r, r.Throughput, "throughput", ms, "").String()})
		}
		d.ThroughputErrors = pointErrors(r.Throughput)
	}

	if cs := r.Streams; cs != nil {
		ct := table{head: []string{"streams", "path", "complete", "lost frames", "stalled", "longest gap", "gap p99", "CPU/chunk", "peak RSS", "RSS per stream"}}
		for _, l := range cs.Levels {
			ct.add(fmt.Sprint(l.Streams), label(l.Target), fmt.Sprintf("%d/%d", l.Complete, l.Attempted), fmt.Sprint(l.Lost), fmt.Sprint(l.Stalled),
				stat(l.MaxGapMS, func(v float64) string { return fmt.Sprintf("%.0f ms", v) }),
				stat(l.GapP99MS, func(v float64) string { return fmt.Sprintf("%.1f ms", v) }),
				stat(l.CPUPerChunk, us),
				stat(l.PeakRSSKiB, func(v float64) string { return mb(int64(v)) }),
				stat(l.RSSPerStreamKiB, func(v float64) string { return fmt.Sprintf("%.1f KB", v*1024/1000) }))
		}
		var most []string
		for _, t := range []string{"direct", "floor", "router", "portkey"} {
			if _, ok := cs.IdleKiB[t]; !ok && t != "direct" {
				continue
			}
			most = append(most, fmt.Sprintf("%s %s", label(t), cleanCount(cs.MaxClean[t])))
		}
		d.Streams = &streamsSection{CS: cs, StallFactor: float64(r.Params.StallThreshold) / float64(r.Params.StreamGap),
			Table: ct.String(), MostClean: strings.Join(most, "; "), Idle: idleList(cs.IdleKiB)}
	}

	if pt := r.PassThrough; pt != nil {
		d.Pass = &passSection{Latency: latencyTable(pt.Latency, passDirect).String(), Throughput: throughputTable(r, pt.Throughput, "pass-through", 0, passDirect).String()}
	}

	memT := table{head: []string{"process", "idle at start", "of which private / mapped files", "idle warm", "peak at c=50", "peak", "idle at end"}}
	names := []string{"router"}
	for _, k := range sortedKeys(r.Memory.IdleStart) {
		if strings.HasPrefix(k, variantPrefix) {
			names = append(names, k)
		}
	}
	for _, name := range append(names, "floor", "portkey") {
		st, ok := r.Memory.IdleStart[name]
		if !ok {
			continue
		}
		memT.add(label(name), mbOrDash(st.RSS), mbOrDash(st.Anon)+" / "+mbOrDash(st.File), mbOrDash(r.Memory.IdleWarm[name].RSS),
			stat(r.Memory.PeakAt50[name], func(v float64) string { return mb(int64(v)) }), mbOrDash(r.Memory.Peak[name]), mbOrDash(r.Memory.IdleEnd[name].RSS))
	}
	d.MemoryTable = memT.String()

	if o.Findings != "" {
		if f, err := os.ReadFile(o.Findings); err == nil {
			d.Findings = strings.TrimSpace(string(f))
		}
	}

	var b strings.Builder
	if err := reportTmpl.Execute(&b, d); err != nil {
		// The template is fixed and its data complete: a failure is a bug
		// in this file, and the report says so instead of half a page.
		return "# llmstack benchmarks\n\nThe report could not be rendered: " + err.Error() + "\n"
	}
	return b.String()
}

// passDirect labels the direct path of the pass-through workload.
const passDirect = "direct (HTTP client → fake llama-swap)"

// latencyTable renders a latency workload; direct, if set, relabels the
// direct path.
func latencyTable(lr LatencyResult, direct string) *table {
	t := &table{head: []string{"path", "p50", "p99", "added p50", "added p99", "added p50 × floor", "CPU/request", "CPU × floor", "errors"}}
	var floor TargetLatency
	for _, x := range lr.Targets {
		if x.Target == "floor" {
			floor = x
		}
	}
	for _, x := range lr.Targets {
		added := ratioStat(x.AddedP50, floor.AddedP50)
		if x.Target == "direct" {
			added = "—"
		}
		errs := fmt.Sprintf("%d of %d", x.Errors, x.Requests)
		name := label(x.Target)
		if x.Target == "direct" && direct != "" {
			name = direct
		}
		t.add(name, stat(x.P50, us), stat(x.P99, us), stat(x.AddedP50, us), stat(x.AddedP99, us), added,
			stat(x.CPUPerReq, us), ratioStat(x.CPUPerReq, floor.CPUPerReq), errs)
	}
	return t
}

func throughputTable(r *Results, pts []ThroughputPoint, workload string, delayMS float64, direct string) *table {
	var targets []string
	var concs []int
	for _, pt := range pts {
		if pt.Workload != workload || pt.FakeDelayMS != delayMS {
			continue
		}
		if !slices.Contains(targets, pt.Target) {
			targets = append(targets, pt.Target)
		}
		if !slices.Contains(concs, pt.Concurrency) {
			concs = append(concs, pt.Concurrency)
		}
	}
	head := []string{"concurrency"}
	for _, t := range targets {
		name := label(t)
		if t == "direct" && direct != "" {
			name = direct
		}
		head = append(head, name+" req/s", "p99")
	}
	head = append(head, "router ÷ floor", "router ÷ Portkey", "router CPU/req", "router peak RSS", "errors (router/floor/peer)")
	tb := &table{head: head}
	find := func(c int, t string) *ThroughputPoint {
		for i := range pts {
			if pts[i].Workload == workload && pts[i].FakeDelayMS == delayMS && pts[i].Concurrency == c && pts[i].Target == t {
				return &pts[i]
			}
		}
		return nil
	}
	for _, c := range concs {
		row := []string{fmt.Sprint(c)}
		for _, t := range targets {
			pt := find(c, t)
			row = append(row, stat(pt.RPS, num0), stat(pt.P99, us))
		}
		rt, fl, pk := find(c, "router"), find(c, "floor"), find(c, "portkey")
		ratio := func(a, b *ThroughputPoint) string {
			if a == nil || b == nil {
				return "—"
			}
			return ratioStat(a.RPS, b.RPS)
		}
		errs := func(p *ThroughputPoint) string {
			if p == nil {
				return "—"
			}
			return fmt.Sprint(p.Errors)
		}
		cpu, rss := "—", "—"
		if rt != nil {
			cpu = stat(rt.CPUPerReq, us)
			rss = stat(rt.PeakRSSKiB, func(v float64) string { return mb(int64(v)) })
		}
		row = append(row, ratio(rt, fl), ratio(rt, pk), cpu, rss, errs(rt)+"/"+errs(fl)+"/"+errs(pk))
		tb.add(row...)
	}
	return tb
}

func firstErrors(ts []TargetStreaming) string {
	var b strings.Builder
	for _, t := range ts {
		if t.FirstErr != "" {
			fmt.Fprintf(&b, "- first error via %s: `%s`\n", t.Target, trim(t.FirstErr, 200))
		}
	}
	return b.String()
}

func pointErrors(pts []ThroughputPoint) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, p := range pts {
		if p.FirstErr != "" && !seen[p.Target] {
			seen[p.Target] = true
			fmt.Fprintf(&b, "- first error via %s (fake %g ms, concurrency %d): `%s`\n", p.Target, p.FakeDelayMS, p.Concurrency, trim(p.FirstErr, 200))
		}
	}
	return b.String()
}

func trim(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func cleanCount(n int) string {
	if n == 0 {
		return "none of the levels"
	}
	return fmt.Sprint(n)
}

func idleList(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %s", k, mb(m[k])))
	}
	return strings.Join(parts, ", ")
}

func mbOrDash(kib int64) string {
	if kib <= 0 {
		return "—"
	}
	return mb(kib)
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i] + "/"
	}
	return "./"
}

// Summary is the short plain-text account `make bench-quick` prints.
func Summary(r *Results) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\nllmstack bench (%s run, %.0f s) on %s, %d cores, %s\n", r.Mode, r.DurationSec, r.Machine.CPUModel, r.Machine.Cores, r.Machine.GoVersion)
	for _, lr := range r.Latency {
		p("\n%s (%d B request), concurrency 1:\n", lr.Workload, lr.BodyBytes)
		for _, t := range lr.Targets {
			p("  %-8s p50 %-10s p99 %-10s added p50 %-10s CPU/req %-10s errors %d\n", t.Target, us(t.P50.Median), us(t.P99.Median), us(t.AddedP50.Median), us(t.CPUPerReq.Median), t.Errors)
		}
	}
	if s := r.Streaming; s != nil {
		p("\nstreaming (%d deltas, %.0f ms apart):\n", s.Deltas, s.GapMS)
		for _, t := range s.Targets {
			p("  %-8s TTFT %-10s added %-10s added chunk latency p50 %-10s CPU/chunk %-10s lost %d\n", t.Target, us(t.TTFT.Median), us(t.AddedTTFT.Median), us(t.AddedChunkP50.Median), us(t.CPUPerChunk.Median), t.Lost)
		}
	}
	if len(r.Throughput) > 0 {
		p("\nthroughput (zero-delay fake):\n")
		for _, pt := range r.Throughput {
			p("  c=%-4d %-8s %8.0f req/s  p99 %-10s errors %d\n", pt.Concurrency, pt.Target, pt.RPS.Median, us(pt.P99.Median), pt.Errors)
		}
	}
	if pt := r.PassThrough; pt != nil {
		p("\npass-through to llama-swap, concurrency 1:\n")
		for _, t := range pt.Latency.Targets {
			p("  %-8s p50 %-10s added p50 %-10s errors %d\n", t.Target, us(t.P50.Median), us(t.AddedP50.Median), t.Errors)
		}
	}
	if cs := r.Streams; cs != nil {
		p("\nconcurrent streams:\n")
		for _, l := range cs.Levels {
			p("  %5d via %-8s complete %d/%d lost %d stalled %d RSS/stream %s\n", l.Streams, l.Target, l.Complete, l.Attempted, l.Lost, l.Stalled,
				stat(l.RSSPerStreamKiB, func(v float64) string { return fmt.Sprintf("%.1f KB", v*1024/1000) }))
		}
	}
	p("\nmemory: router idle %s at start (%s private), %s warm; peak %s\n", mbOrDash(r.Memory.IdleStart["router"].RSS), mbOrDash(r.Memory.IdleStart["router"].Anon), mbOrDash(r.Memory.IdleWarm["router"].RSS), mbOrDash(r.Memory.Peak["router"]))
	p("\ntargets:\n")
	for _, t := range r.Targets {
		p("  [%s] %s: %s (goal %s)\n", t.Status, t.Target, t.Value, t.Goal)
	}
	for _, pr := range r.Problems {
		p("problem: %s\n", pr)
	}
	return b.String()
}
