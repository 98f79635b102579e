package bench

import (
	"fmt"
	"math"
	"slices"
)

// Lookups into a run's results; nil or NaN when the figure was not measured.

func (r *Results) latency(workload, target string) *TargetLatency {
	for i := range r.Latency {
		if r.Latency[i].Workload != workload {
			continue
		}
		for j := range r.Latency[i].Targets {
			if r.Latency[i].Targets[j].Target == target {
				return &r.Latency[i].Targets[j]
			}
		}
	}
	return nil
}

func (r *Results) streaming(target string) *TargetStreaming {
	if r.Streaming == nil {
		return nil
	}
	for i := range r.Streaming.Targets {
		if r.Streaming.Targets[i].Target == target {
			return &r.Streaming.Targets[i]
		}
	}
	return nil
}

func (r *Results) throughput(workload string, delayMS float64, conc int, target string) *ThroughputPoint {
	pts := r.Throughput
	if workload == "pass-through" && r.PassThrough != nil {
		pts = r.PassThrough.Throughput
	}
	for i := range pts {
		p := &pts[i]
		if p.Workload == workload && p.FakeDelayMS == delayMS && p.Concurrency == conc && p.Target == target {
			return p
		}
	}
	return nil
}

func (r *Results) streamLevel(target string, n int) *StreamLevel {
	if r.Streams == nil {
		return nil
	}
	for i := range r.Streams.Levels {
		if l := &r.Streams.Levels[i]; l.Target == target && l.Streams == n {
			return l
		}
	}
	return nil
}

const (
	statusMet         = "met"
	statusMissed      = "missed"
	statusNotMeasured = "not measured"
)

func check(ok bool) string {
	if ok {
		return statusMet
	}
	return statusMissed
}

// CheckTargets compares the run with the targets.
func CheckTargets(r *Results) []TargetCheck {
	var out []TargetCheck
	add := func(target, goal, value, status string) {
		out = append(out, TargetCheck{Target: target, Goal: goal, Value: value, Status: status})
	}
	notMeasured := func(target, goal, why string) { add(target, goal, why, statusNotMeasured) }

	// Added latency, small request.
	router, floor, peer := r.latency("added-latency", "router"), r.latency("added-latency", "floor"), r.latency("added-latency", "portkey")
	const t1 = "Added p50, small request, concurrency 1"
	if router != nil && router.AddedP50.Valid() {
		v := router.AddedP50.Median
		add(t1, "≤ 100 µs", us(v), check(v <= 100 && router.Errors == 0))
		if peer != nil && peer.AddedP50.Valid() {
			ratio := Ratio(peer.AddedP50.Median, v)
			add(t1+" vs Portkey", "≥ 30× better than Portkey's", fmt.Sprintf("Portkey %s ÷ router %s = %s", us(peer.AddedP50.Median), us(v), times(ratio)),
				check(v <= 0 || ratio >= 30))
		} else {
			notMeasured(t1+" vs Portkey", "≥ 30× better than Portkey's", "Portkey not measured")
		}
		if floor != nil && floor.AddedP50.Valid() {
			add(t1+" vs floor", "no worse than the ReverseProxy floor's", fmt.Sprintf("router %s, floor %s", us(v), us(floor.AddedP50.Median)),
				check(v <= floor.AddedP50.Median))
		}
	} else {
		notMeasured(t1, "≤ 100 µs", "not measured")
	}

	// Translation cost.
	const t2 = "Added p50, 20 KB agent request"
	if a := r.latency("translation-cost", "router"); a != nil && a.AddedP50.Valid() {
		add(t2, "≤ 500 µs", us(a.AddedP50.Median), check(a.AddedP50.Median <= 500 && a.Errors == 0))
	} else {
		notMeasured(t2, "≤ 500 µs", "not measured")
	}

	// Streaming.
	if s := r.streaming("router"); s != nil && s.AddedTTFT.Valid() {
		add("Streaming: added time to first token", "≤ 1 ms", us(s.AddedTTFT.Median), check(s.AddedTTFT.Median <= 1000))
		if s.AddedChunkP50.Valid() {
			add("Streaming: added per-chunk delivery latency (p50)", "≤ 10 µs", us(s.AddedChunkP50.Median), check(s.AddedChunkP50.Median <= 10))
		}
		if s.CPUPerChunk.Valid() {
			v := us(s.CPUPerChunk.Median)
			if f := r.streaming("floor"); f != nil && f.CPUPerChunk.Valid() {
				v += fmt.Sprintf(" (floor %s)", us(f.CPUPerChunk.Median))
			}
			add("Streaming: router CPU per chunk, one stream, chunks 20 ms apart", "≤ 10 µs", v, check(s.CPUPerChunk.Median <= 10))
		}
		add("Streaming: frames lost at concurrency 1", "0", fmt.Sprint(s.Lost), check(s.Lost == 0 && s.Incomplete == 0))
	} else {
		notMeasured("Streaming: added time to first token", "≤ 1 ms", "not measured")
	}
	if r.Streams != nil {
		var lvl *StreamLevel
		for i := range r.Streams.Levels {
			if l := &r.Streams.Levels[i]; l.Target == "router" && l.CPUPerChunk.Valid() && (lvl == nil || l.Streams > lvl.Streams) {
				lvl = l
			}
		}
		if lvl != nil {
			v := fmt.Sprintf("%s at %d streams", us(lvl.CPUPerChunk.Median), lvl.Streams)
			if f := r.streamLevel("floor", lvl.Streams); f != nil && f.CPUPerChunk.Valid() {
				v += fmt.Sprintf(" (floor %s)", us(f.CPUPerChunk.Median))
			}
			add("Streaming: router CPU per chunk, many concurrent streams", "≤ 10 µs", v, check(lvl.CPUPerChunk.Median <= 10))
		}
	}
	const t5 = "No lost frame at 1024 concurrent streams"
	if !slices.Contains(r.Params.StreamLevels, 1024) {
		notMeasured(t5, "0 lost, every stream complete", fmt.Sprintf("not measured: this run's levels are %v", r.Params.StreamLevels))
	} else if l := r.streamLevel("router", 1024); l != nil {
		add(t5, "0 lost, every stream complete", fmt.Sprintf("%d lost, %d/%d complete, %d stalled", l.Lost, l.Complete, l.Attempted, l.Stalled),
			check(l.Lost == 0 && l.Complete == l.Attempted))
	} else {
		why := "not measured"
		if r.Streams != nil {
			why = fmt.Sprintf("not reached: the router failed a smaller level (most clean: %d)", r.Streams.MaxClean["router"])
		}
		add(t5, "0 lost, every stream complete", why, ifElse(r.Streams != nil && r.Mode == "full", statusMissed, statusNotMeasured))
	}

	// Throughput.
	const t4 = "Throughput, concurrency 50, zero-delay fake"
	rt := r.throughput("throughput", 0, 50, "router")
	pk := r.throughput("throughput", 0, 50, "portkey")
	switch {
	case rt == nil:
		notMeasured(t4, "≥ 15× Portkey's, 0 errors", "not measured")
	case pk == nil:
		add(t4+": errors", "0", fmt.Sprint(rt.Errors), check(rt.Errors == 0))
		notMeasured(t4, "≥ 15× Portkey's", fmt.Sprintf("router %.0f req/s; Portkey not measured", rt.RPS.Median))
	default:
		ratio := Ratio(rt.RPS.Median, pk.RPS.Median)
		add(t4, "≥ 15× Portkey's, 0 errors", fmt.Sprintf("router %.0f req/s ÷ Portkey %.0f req/s = %s; router errors %d", rt.RPS.Median, pk.RPS.Median, times(ratio), rt.Errors),
			check(ratio >= 15 && rt.Errors == 0))
	}

	// Memory.
	if idle := max(r.Memory.IdleStart["router"].RSS, r.Memory.IdleWarm["router"].RSS); idle > 0 {
		st, w := r.Memory.IdleStart["router"], r.Memory.IdleWarm["router"]
		add("Idle RSS of serve", "≤ 25 MB", fmt.Sprintf("%s at start (%s private, %s mapped files), %s after the first requests",
			mb(st.RSS), mb(st.Anon), mb(st.File), mb(w.RSS)),
			check(float64(idle)*1024 <= 25e6))
	} else {
		notMeasured("Idle RSS of serve", "≤ 25 MB", "not measured")
	}
	if p, ok := r.Memory.PeakAt50["router"]; ok && p.Valid() {
		add("Peak RSS under the concurrency-50 load", "≤ 40 MB", mb(int64(p.Max)), check(p.Max*1024 <= 40e6))
	} else {
		notMeasured("Peak RSS under the concurrency-50 load", "≤ 40 MB", "not measured")
	}
	if r.Streams != nil {
		// The largest level the router held cleanly, else the largest tried.
		var lvl *StreamLevel
		for i := range r.Streams.Levels {
			l := &r.Streams.Levels[i]
			if l.Target == "router" && l.RSSPerStreamKiB.Valid() && (lvl == nil || l.Streams > lvl.Streams) {
				lvl = l
			}
		}
		if lvl != nil {
			v := lvl.RSSPerStreamKiB.Median * 1024
			add("RSS per open stream", "≤ 50 KB", fmt.Sprintf("%.1f KB at %d streams", v/1000, lvl.Streams), check(v <= 50e3))
		}
	}
	return out
}

func ifElse[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

func us(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch a := math.Abs(v); {
	case a >= 10000:
		return fmt.Sprintf("%.1f ms", v/1000)
	case a >= 100:
		return fmt.Sprintf("%.0f µs", v)
	default:
		return fmt.Sprintf("%.1f µs", v)
	}
}

func times(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if math.Abs(v) >= 10 {
		return fmt.Sprintf("%.0f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

// mb formats KiB as megabytes (10^6 bytes), the unit of the targets.
func mb(kib int64) string {
	return fmt.Sprintf("%.1f MB", float64(kib)*1024/1e6)
}
