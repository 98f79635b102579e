// Command llmstack-bench is llmstack's benchmark: it measures what the
// router adds between an OpenAI client and (fake) Bedrock, next to a bare
// httputil.ReverseProxy floor and, where Node is available, the Portkey
// gateway, and writes BENCHMARKS.md, bench/results/*.json and a chart.
//
//	llmstack-bench [-quick] [-peer auto|on|off] ...   run the benchmark (see make bench)
//	llmstack-bench floor -route ADDR=URL ...          the floor: a bare ReverseProxy
//	llmstack-bench fakellamaswap -addr ADDR           a stand-in for llama-swap
//	llmstack-bench soak [-duration 10m] [-rate 20] ...  the soak (see make soak)
//
// Everything runs on loopback; when it can (as root) the benchmark runs
// inside its own network namespace, so nothing it starts is reachable from
// outside the machine, including the peer, which listens on all interfaces.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/llmstack/llmstack/bench"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

type routeList []string

func (r *routeList) String() string     { return strings.Join(*r, ",") }
func (r *routeList) Set(v string) error { *r = append(*r, v); return nil }

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 {
		switch args[0] {
		case "floor":
			fs := flag.NewFlagSet("floor", flag.ExitOnError)
			var routes routeList
			fs.Var(&routes, "route", "listenAddr=upstreamURL (repeatable)")
			_ = fs.Parse(args[1:])
			if err := bench.ServeFloor(ctx, routes); err != nil {
				fmt.Fprintln(os.Stderr, "floor:", err)
				return 1
			}
			return 0
		case "soak":
			return soak(ctx, args)
		case "fakellamaswap":
			fs := flag.NewFlagSet("fakellamaswap", flag.ExitOnError)
			addr := fs.String("addr", "127.0.0.1:0", "listen address")
			_ = fs.Parse(args[1:])
			if err := bench.ServeFakeLlamaSwap(ctx, *addr); err != nil {
				fmt.Fprintln(os.Stderr, "fakellamaswap:", err)
				return 1
			}
			return 0
		}
	}

	fs := flag.NewFlagSet("llmstack-bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "the short everyday run (under a minute; no peer, no report)")
	routerBin := fs.String("router", "bin/llmstack", "the llmstack binary to measure")
	fakeBin := fs.String("fake", "bin/fakebedrock", "the fake Bedrock runtime binary")
	peersDir := fs.String("peers", "bench/peers", "directory with the peer's node_modules")
	peer := fs.String("peer", "auto", "measure Portkey: auto (when it can run), on (required), off")
	outDir := fs.String("out", "bench/results", "directory for the JSON results, chart and profiles")
	workDir := fs.String("work", "bench/work", "scratch directory (models.ini of the run)")
	report := fs.String("report", "", "markdown report to write (default BENCHMARKS.md for a full run, none for -quick)")
	netns := fs.String("netns", "auto", "run inside a private network namespace: auto, on, off")
	profile := fs.Bool("profile", true, "profile the router in-process at the end of a full run")
	var routerEnv routeList
	fs.Var(&routerEnv, "router-env", "KEY=VALUE added to the environment of llmstack serve (repeatable; for experiments)")
	variants := fs.String("variants", "GOMAXPROCS=1", "comma-separated settings (KEY=VALUE) to measure extra llmstack serve processes with, in a full run; \"\" for none")
	only := fs.String("only", "", "comma-separated workloads to run (latency, agent, streaming, throughput, pass, streams, profile); default all")
	from := fs.String("from", "", "rewrite the report (and chart) from this results JSON of an earlier run instead of running")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from != "" {
		return rerender(*from, *outDir, *report)
	}
	inNetns := os.Getenv(bench.NetnsEnv) == "1"
	if !inNetns && *netns != "off" {
		if bench.CanUnshare() {
			code, err := bench.InNetns(args)
			if err != nil {
				fmt.Fprintln(os.Stderr, "llmstack-bench:", err)
			}
			return code
		}
		if *netns == "on" {
			fmt.Fprintln(os.Stderr, "llmstack-bench: cannot make a network namespace (unshare -n needs root)")
			return 1
		}
	}
	if inNetns {
		if err := bench.BringUpLoopback(); err != nil {
			fmt.Fprintln(os.Stderr, "llmstack-bench: bringing up loopback in the namespace:", err)
			return 1
		}
	}
	if *report == "" && !*quick {
		*report = "BENCHMARKS.md"
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	opts := bench.Options{
		Quick: *quick, RouterBin: abs(*routerBin), FakeBin: abs(*fakeBin), PeersDir: abs(*peersDir),
		Peer: *peer, Isolated: inNetns, WorkDir: abs(*workDir), OutDir: abs(*outDir), Report: *report,
		Profile: *profile && !*quick, Log: os.Stderr, RouterEnv: routerEnv,
	}
	if *variants != "" && !*quick {
		opts.Variants = strings.Split(*variants, ",")
	}
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
		opts.Report = "" // a partial run does not replace the report
	}
	if *quick && *peer == "auto" {
		opts.Peer = "off"
	}
	for _, f := range []string{opts.RouterBin, opts.FakeBin} {
		if _, err := os.Stat(f); err != nil {
			fmt.Fprintf(os.Stderr, "llmstack-bench: %v (run make build first)\n", err)
			return 1
		}
	}
	res, err := bench.Run(ctx, opts)
	if res == nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench:", err)
		return 1
	}
	if err != nil {
		res.Problems = append(res.Problems, "run stopped: "+err.Error())
	}
	if werr := write(opts, res, *outDir); werr != nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench:", werr)
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench:", err)
		return 1
	}
	return 0
}

// write saves the JSON, the chart and the report; relOut is the output
// directory as the report links it (relative to the repository root).
func write(opts bench.Options, res *bench.Results, relOut string) error {
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return err
	}
	name := res.Mode + ".json"
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(opts.OutDir, name), append(b, '\n'), 0o644); err != nil {
		return err
	}
	chart := ""
	if res.Mode == "full" {
		chart = filepath.Join(opts.OutDir, "latency-vs-concurrency.png")
		if err := bench.Chart(res, chart); err != nil {
			res.Problems = append(res.Problems, "chart: "+err.Error())
			chart = ""
		}
	}
	md := bench.Markdown(res, bench.MarkdownOptions{JSON: filepath.Join(relOut, name), Findings: "bench/FINDINGS.md"})
	if chart != "" {
		md = bench.Markdown(res, bench.MarkdownOptions{Chart: filepath.Join(relOut, filepath.Base(chart)), JSON: filepath.Join(relOut, name), Findings: "bench/FINDINGS.md"})
	}
	if opts.Report != "" {
		if err := os.WriteFile(opts.Report, []byte(md), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s, %s\n", opts.Report, filepath.Join(opts.OutDir, name))
	} else {
		fmt.Print(bench.Summary(res))
		fmt.Fprintf(os.Stderr, "wrote %s\n", filepath.Join(opts.OutDir, name))
	}
	return nil
}

// rerender rewrites the report and chart of an earlier full run from its
// JSON: the figures stay those of that run.
func rerender(path, relOut, report string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench:", err)
		return 1
	}
	var res bench.Results
	if err := json.Unmarshal(b, &res); err != nil {
		fmt.Fprintf(os.Stderr, "llmstack-bench: %s: %v\n", path, err)
		return 1
	}
	if report == "" {
		report = "BENCHMARKS.md"
	}
	chart := filepath.Join(relOut, "latency-vs-concurrency.png")
	opts := bench.MarkdownOptions{JSON: path, Findings: "bench/FINDINGS.md", Chart: chart}
	if err := bench.Chart(&res, chart); err != nil {
		opts.Chart = ""
	}
	if err := os.WriteFile(report, []byte(bench.Markdown(&res, opts)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "wrote %s from %s\n", report, path)
	return 0
}

// soak runs `llmstack-bench soak ...` (args[0] is "soak"): the router under
// a fixed rate of mixed requests against a fake Bedrock injecting faults.
// It writes RELIABILITY.md and bench/results/soak.json and exits non-zero
// unless the verdict is a pass.
func soak(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("llmstack-bench soak", flag.ContinueOnError)
	duration := fs.Duration("duration", 10*time.Minute, "how long the load runs")
	rate := fs.Float64("rate", 20, "requests started per second")
	reload := fs.Duration("reload-every", 10*time.Second, "how often models.ini is rewritten")
	throttle := fs.Float64("throttle-rate", 0.05, "fraction of the main tier's Bedrock calls throttled (429)")
	errorRate := fs.Float64("error-rate", 0.02, "fraction answered with a 5xx")
	streamErr := fs.Float64("stream-error-rate", 0.02, "fraction of streams broken off after their first chunk")
	routerBin := fs.String("router", "bin/llmstack", "the llmstack binary")
	fakeBin := fs.String("fake", "bin/fakebedrock", "the fake Bedrock runtime binary")
	workDir := fs.String("work", "bench/work", "scratch directory (the run's models.ini)")
	outDir := fs.String("out", "bench/results", "directory for soak.json")
	report := fs.String("report", "RELIABILITY.md", "markdown report to write (\"\" for none)")
	netns := fs.String("netns", "auto", "run inside a private network namespace: auto, on, off")
	from := fs.String("from", "", "rewrite the report from this soak JSON of an earlier run instead of running")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	jsonPath := filepath.Join(*outDir, "soak.json")
	if *from != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			fmt.Fprintln(os.Stderr, "llmstack-bench soak:", err)
			return 1
		}
		var res bench.SoakResult
		if err := json.Unmarshal(b, &res); err != nil {
			fmt.Fprintf(os.Stderr, "llmstack-bench soak: %s: %v\n", *from, err)
			return 1
		}
		if err := os.WriteFile(*report, []byte(bench.ReliabilityMarkdown(&res, *from)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "llmstack-bench soak:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "wrote %s from %s\n", *report, *from)
		return 0
	}
	switch {
	case *duration <= 0 || *duration > 24*time.Hour:
		fmt.Fprintf(os.Stderr, "llmstack-bench soak: -duration %v: want more than 0 and at most 24h\n", *duration)
		return 2
	case !(*rate > 0 && *rate <= 1000):
		fmt.Fprintf(os.Stderr, "llmstack-bench soak: -rate %v: want more than 0 and at most 1000 requests a second\n", *rate)
		return 2
	case *reload <= 0:
		fmt.Fprintf(os.Stderr, "llmstack-bench soak: -reload-every %v: want more than 0\n", *reload)
		return 2
	}
	inNetns := os.Getenv(bench.NetnsEnv) == "1"
	if !inNetns && *netns != "off" {
		if bench.CanUnshare() {
			code, err := bench.InNetns(args)
			if err != nil {
				fmt.Fprintln(os.Stderr, "llmstack-bench soak:", err)
			}
			return code
		}
		if *netns == "on" {
			fmt.Fprintln(os.Stderr, "llmstack-bench soak: cannot make a network namespace (unshare -n needs root)")
			return 1
		}
	}
	if inNetns {
		if err := bench.BringUpLoopback(); err != nil {
			fmt.Fprintln(os.Stderr, "llmstack-bench soak: bringing up loopback in the namespace:", err)
			return 1
		}
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	opts := bench.SoakOptions{Duration: *duration, Rate: *rate, ReloadEvery: *reload,
		ThrottleRate: *throttle, ErrorRate: *errorRate, StreamErrorRate: *streamErr,
		RouterBin: abs(*routerBin), FakeBin: abs(*fakeBin), WorkDir: abs(*workDir), Isolated: inNetns, Log: os.Stderr}
	for _, f := range []string{opts.RouterBin, opts.FakeBin} {
		if _, err := os.Stat(f); err != nil {
			fmt.Fprintf(os.Stderr, "llmstack-bench soak: %v (run make bench-bin first)\n", err)
			return 1
		}
	}
	res, err := bench.RunSoak(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench soak:", err)
		if res == nil || res.Sent == 0 {
			return 1
		}
	}
	b, jerr := json.MarshalIndent(res, "", "  ")
	if jerr == nil {
		if jerr = os.MkdirAll(*outDir, 0o755); jerr == nil {
			jerr = os.WriteFile(jsonPath, append(b, '\n'), 0o644)
		}
	}
	if jerr != nil {
		fmt.Fprintln(os.Stderr, "llmstack-bench soak: writing the results:", jerr)
		return 1
	}
	if *report != "" {
		if err := os.WriteFile(*report, []byte(bench.ReliabilityMarkdown(res, jsonPath)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "llmstack-bench soak:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "wrote %s, %s\n", *report, jsonPath)
	}
	fmt.Print(bench.SoakSummary(res))
	if err != nil || !res.Pass {
		return 1
	}
	return 0
}
