package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// profileLabel marks the goroutines of the in-process router: the
// server's goroutines and every goroutine they start (connections, the
// SDK's stream readers, the transport's read and write loops) inherit it,
// the load generator's do not.
const profileLabel = "side=router"

// profileRouter serves the router in this process under the CPU profiler,
// drives it like the workloads do, and summarizes where its time and
// allocations go with `go tool pprof`.
func (r *Runner) profileRouter() ([]ProfileResult, error) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("go tool not found, so profiles cannot be summarized: %w", err)
	}
	// The router reads the same dummy credentials serve gets.
	for _, kv := range RouterEnv() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			os.Setenv(k, v)
		}
	}
	os.Unsetenv("AWS_PROFILE")
	cfg, err := tiers.Load(r.cfgPath)
	if err != nil {
		return nil, err
	}
	srv := server.New(cfg, server.Options{Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	done := make(chan struct{})
	pprof.Do(ctx, pprof.Labels("side", "router"), func(ctx context.Context) {
		go func() {
			defer close(done)
			_ = srv.Serve(ctx, ln)
		}()
	})
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String() + "/v1/chat/completions"

	small, agent := SmallFixture(), AgentFixture()
	smallCall := HTTPCall(r.http, base, jsonHeaders, small.OpenAIBody(tierZero, false))
	agentCall := HTTPCall(r.http, base, jsonHeaders, agent.OpenAIBody(tierZero, false))
	stream := HTTPStream(r.http, base, jsonHeaders, small.OpenAIBody(tierStream, true))
	// Warm up: clients, connections, lazily built tables.
	RunSequential(r.ctx, 200, smallCall)
	RunSequential(r.ctx, 100, agentCall)
	_ = stream(r.ctx)

	dur := 6 * time.Second
	var out []ProfileResult
	phases := []struct {
		name, file, note string
		run              func() int
	}{
		{"CPU: small request, concurrency 1", "router-cpu-small.pprof", "", func() int {
			return len(runFor(r.ctx, dur, smallCall))
		}},
		{"CPU: 20 KB agent request, concurrency 1", "router-cpu-agent.pprof", "", func() int {
			return len(runFor(r.ctx, dur, agentCall))
		}},
		{"CPU: 64 concurrent streams", "router-cpu-stream.pprof",
			fmt.Sprintf("Streams of %d deltas %v apart, 64 at a time, for about %v; the cost here is per relayed chunk.", r.p.StreamDeltas, r.p.StreamGap, dur), func() int {
				n := 0
				// Midway through the first batch, when all 64 streams are
				// open, count the router's goroutines.
				snap := time.AfterFunc(r.p.StreamGap*time.Duration(r.p.StreamDeltas)/2, func() {
					gpath := filepath.Join(r.o.OutDir, "router-goroutines-64-streams.pprof")
					if f, err := os.Create(gpath); err == nil {
						_ = pprof.Lookup("goroutine").WriteTo(f, 0)
						f.Close()
					}
				})
				defer snap.Stop()
				for end := time.Now().Add(dur); time.Now().Before(end) && r.ctx.Err() == nil; {
					b := RunStreams(r.ctx, 64, 100*time.Millisecond, stream)
					n += len(b.Streams)
				}
				return n
			}},
	}
	for _, ph := range phases {
		path := filepath.Join(r.o.OutDir, ph.file)
		f, err := os.Create(path)
		if err != nil {
			return out, err
		}
		runtime.GC()
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return out, err
		}
		n := ph.run()
		pprof.StopCPUProfile()
		f.Close()
		top, err := pprofTop(gotool, "-top", "-nodecount=22", "-tagfocus="+profileLabel, path)
		if err != nil {
			return out, err
		}
		cum, err := pprofTop(gotool, "-top", "-cum", "-nodecount=30", "-tagfocus="+profileLabel, "-focus=llmstack", path)
		if err != nil {
			return out, err
		}
		total, err := pprofTotal(gotool, "-tagfocus="+profileLabel, path)
		if err != nil {
			return out, err
		}
		per, unit := n, "request"
		if strings.Contains(ph.file, "stream") {
			per, unit = n*r.p.StreamDeltas, "relayed chunk"
		}
		note := ph.note
		if per > 0 {
			note = strings.TrimSpace(note + fmt.Sprintf(" **The router's own goroutines used %s of CPU per %s here** (%v over %d %ss); compare the whole process's CPU per %s in the tables above, which adds the Go runtime's scheduler, idle wake-ups and garbage collector.",
				us(Micros(total)/float64(per)), unit, total.Round(time.Millisecond), per, unit, unit))
		}
		out = append(out, ProfileResult{Name: ph.name, Kind: "cpu", Requests: n, File: ph.file, Note: note,
			PerUnitUS: Micros(total) / float64(max(per, 1)),
			Top:       "flat (router goroutines only):\n" + top + "\n\ncumulative, frames under llmstack code:\n" + cum})
	}

	// Goroutines per open stream.
	gpath := filepath.Join(r.o.OutDir, "router-goroutines-64-streams.pprof")
	if _, err := os.Stat(gpath); err == nil {
		gtop, err := pprofTop(gotool, "-top", "-nodecount=12", "-tagfocus="+profileLabel, gpath)
		if err == nil {
			count, _ := pprofCount(gotool, "-tagfocus="+profileLabel, gpath)
			out = append(out, ProfileResult{Name: "Goroutines with 64 streams open", Kind: "goroutine", Requests: 64, File: filepath.Base(gpath),
				Note: fmt.Sprintf("The router's goroutines while 64 streams were open: %d, %.1f per stream. Each holds a stack (8 KB at least) and, for connections, buffers; the functions they sit in say what they are.", count, float64(count)/64),
				Top:  gtop})
		}
	}

	// Allocations of the agent request: a heap profile before and after, diffed.
	before := filepath.Join(r.o.OutDir, "router-heap-before.pprof")
	after := filepath.Join(r.o.OutDir, "router-heap-agent.pprof")
	if err := writeHeap(before); err != nil {
		return out, err
	}
	n := len(runFor(r.ctx, dur, agentCall))
	if err := writeHeap(after); err != nil {
		return out, err
	}
	top, err := pprofTop(gotool, "-top", "-cum", "-nodecount=30", "-sample_index=alloc_space", "-focus=llmstack/server", "-diff_base="+before, after)
	if err != nil {
		return out, err
	}
	os.Remove(before)
	out = append(out, ProfileResult{Name: "Allocations: 20 KB agent request", Kind: "alloc_space", Requests: n, File: filepath.Base(after),
		Note: fmt.Sprintf("Bytes allocated on the router's request path during %d agent requests (heap profile, sampled), cumulative, frames under llmstack/server.", n),
		Top:  top})
	return out, nil
}

// pprofTotal sums the flat CPU of the samples a filter keeps.
func pprofTotal(gotool string, args ...string) (time.Duration, error) {
	out, err := pprofTop(gotool, append([]string{"-top", "-nodecount=1000000", "-unit=us"}, args...)...)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[1], "%") {
			continue
		}
		if d, err := time.ParseDuration(f[0]); err == nil {
			total += d
		}
	}
	return total, nil
}

// pprofCount sums the flat counts of a goroutine profile a filter keeps.
func pprofCount(gotool string, args ...string) (int, error) {
	out, err := pprofTop(gotool, append([]string{"-top", "-nodecount=1000000"}, args...)...)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[1], "%") {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(f[0], "%d", &n); err == nil {
			total += n
		}
	}
	return total, nil
}

func writeHeap(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// runFor makes calls one after another for d and returns their latencies.
func runFor(ctx context.Context, d time.Duration, call CallFunc) []time.Duration {
	var all []time.Duration
	for end := time.Now().Add(d); time.Now().Before(end) && ctx.Err() == nil; {
		res := RunSequential(ctx, 100, call)
		all = append(all, res.Latencies...)
	}
	return all
}

// pprofTop runs `go tool pprof` with args and returns its table, without
// the header lines that name the file and build.
func pprofTop(gotool string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gotool, append([]string{"tool", "pprof"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof %s: %v: %s", strings.Join(args, " "), err, out)
	}
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Type:") ||
			strings.HasPrefix(line, "Time:") || strings.HasPrefix(line, "Main binary") {
			continue
		}
		keep = append(keep, strings.TrimRight(line, " "))
	}
	return strings.TrimSpace(strings.Join(keep, "\n")), nil
}
