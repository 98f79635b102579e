package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
)

// Options configure a run.
type Options struct {
	// Quick selects the short everyday run.
	Quick bool
	// RouterBin and FakeBin are bin/llmstack and bin/fakebedrock.
	RouterBin, FakeBin string
	// PeersDir holds the peer's node_modules (bench/peers).
	PeersDir string
	// Peer is "auto" (measure Portkey if it can run), "on" (must) or "off".
	Peer string
	// Isolated is set when the run is inside a private network namespace.
	Isolated bool
	// WorkDir holds the run's models.ini and scratch files.
	WorkDir string
	// OutDir receives the JSON, the chart and the profiles.
	OutDir string
	// Report is the markdown file to write ("" for none).
	Report string
	// Profile takes in-process CPU and allocation profiles of the router.
	Profile bool
	// RouterEnv is added to the environment of `llmstack serve` (e.g.
	// GOMAXPROCS=1, to try a setting).
	RouterEnv []string
	// Variants are extra `llmstack serve` processes, each with one more
	// environment setting (e.g. GOMAXPROCS=1), measured as paths of their
	// own next to the router in every workload but the concurrent streams.
	Variants []string
	// Only, when set, runs just the workloads whose names it holds
	// (latency, agent, streaming, throughput, pass, streams, profile).
	Only []string
	Log  io.Writer
}

// QuickParams and FullParams size the two kinds of run.
func QuickParams() Params {
	return Params{
		Repeats: 3, LatRounds: 2, LatPerRound: 150, LatWarm: 100,
		StreamDeltas: 24, StreamGap: 20 * time.Millisecond, StreamsPerRepeat: 1,
		Concurrency: []int{1, 50}, FakeDelays: []time.Duration{0},
		ThroughputWarm: 150 * time.Millisecond, ThroughputMeasure: 500 * time.Millisecond,
		StreamLevels: []int{128}, StreamRepeats: 1, StreamRamp: 200 * time.Millisecond,
		StallThreshold: 200 * time.Millisecond, PassConcurrency: 50,
	}
}

// FullParams is the size of `make bench`.
func FullParams() Params {
	return Params{
		Repeats: 3, LatRounds: 4, LatPerRound: 500, LatWarm: 300,
		StreamDeltas: 64, StreamGap: 20 * time.Millisecond, StreamsPerRepeat: 5,
		Concurrency: []int{1, 8, 32, 50, 128, 512}, FakeDelays: []time.Duration{0, 20 * time.Millisecond},
		ThroughputWarm: 500 * time.Millisecond, ThroughputMeasure: 2 * time.Second,
		StreamLevels: []int{64, 128, 256, 512, 1024}, StreamRepeats: 3, StreamRamp: 500 * time.Millisecond,
		StallThreshold: 200 * time.Millisecond, PassConcurrency: 50,
	}
}

// Tier names in the run's models.ini.
const (
	tierZero   = "bench-zero"
	tierSlow   = "bench-slow"
	tierStream = "bench-stream"
	// localModel is not a tier: the router hands it to llama-swap.
	localModel = "local-model"
)

// Runner runs the workloads.
type Runner struct {
	o   Options
	p   Params
	res *Results
	ctx context.Context

	http *http.Client
	sdk  map[string]*bedrock.RuntimeClient

	fakes  map[string]*Proc // by tier
	llama  *Proc
	router *Proc
	// variants are routers started with one more setting, by setting.
	variants map[string]*Proc
	floor    *Proc
	peer     *Proc
	// floorURL maps an upstream base URL to the floor route in front of it.
	floorURL map[string]string
	cfgPath  string
}

func (r *Runner) logf(format string, args ...any) {
	if r.o.Log != nil {
		fmt.Fprintf(r.o.Log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

// Run executes every workload and returns the results.
func Run(ctx context.Context, o Options) (*Results, error) {
	p := FullParams()
	mode := "full"
	if o.Quick {
		p, mode = QuickParams(), "quick"
	}
	r := &Runner{o: o, p: p, ctx: ctx, http: newHTTPClient(), sdk: map[string]*bedrock.RuntimeClient{},
		fakes: map[string]*Proc{}, floorURL: map[string]string{}, variants: map[string]*Proc{}}
	r.res = &Results{Mode: mode, Started: time.Now(), Machine: DescribeMachine(), Commit: gitCommit(), Params: p,
		Memory: MemoryResult{IdleStart: map[string]Memory{}, IdleWarm: map[string]Memory{}, IdleEnd: map[string]Memory{},
			Peak: map[string]int64{}, PeakAt50: map[string]Stat{}}}
	r.res.Isolation = "host loopback (127.0.0.1)"
	if o.Isolated {
		r.res.Isolation = "private network namespace (unshare -n) whose only interface is loopback"
	}
	r.res.Peer = PeerInfo{Name: "Portkey AI gateway (@portkey-ai/gateway)", Version: "1.15.2"}
	defer r.stopAll()

	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return r.res, err
	}
	if err := r.startAll(); err != nil {
		return r.res, err
	}
	workloads := []struct {
		key, name string
		run       func() error
	}{
		{"latency", "added latency, small request", func() error { return r.latencyWorkload("added-latency", SmallFixture()) }},
		{"agent", "translation cost, 20 KB agent request", func() error { return r.latencyWorkload("translation-cost", AgentFixture()) }},
		{"streaming", "streaming", r.streamingWorkload},
		{"throughput", "throughput", r.throughputWorkload},
		{"pass", "pass-through to llama-swap", r.passWorkload},
		{"streams", "concurrent streams", r.concurrentStreamsWorkload},
	}
	for _, w := range workloads {
		if len(o.Only) > 0 && !slices.Contains(o.Only, w.key) {
			continue
		}
		if ctx.Err() != nil {
			return r.res, ctx.Err()
		}
		r.logf("workload: %s", w.name)
		if err := w.run(); err != nil {
			r.res.Problems = append(r.res.Problems, fmt.Sprintf("%s: %v", w.name, err))
			r.logf("  failed: %v", err)
		}
		r.settle()
	}
	r.idleEnd()
	if o.Profile && ctx.Err() == nil && (len(o.Only) == 0 || slices.Contains(o.Only, "profile")) {
		r.logf("profiling the router in-process")
		profs, err := r.profileRouter()
		if err != nil {
			r.res.Problems = append(r.res.Problems, fmt.Sprintf("profile: %v", err))
		}
		r.res.Profiles = profs
	}
	r.res.Targets = CheckTargets(r.res)
	r.res.DurationSec = time.Since(r.res.Started).Seconds()
	return r.res, nil
}

// startAll starts the fakes, llama-swap's stand-in, the router, the floor
// and the peer.
func (r *Runner) startAll() error {
	p := r.p
	var err error
	fakeArgs := map[string][]string{
		tierZero:   {"-deltas", "8"},
		tierSlow:   {"-deltas", "8", "-first-token-delay", "20ms"},
		tierStream: {"-deltas", fmt.Sprint(p.StreamDeltas), "-inter-event-delay", p.StreamGap.String(), "-stamp"},
	}
	for _, tier := range sortedKeys(fakeArgs) {
		if r.fakes[tier], err = StartFake(r.o.FakeBin, "fakebedrock "+tier, fakeArgs[tier]...); err != nil {
			return err
		}
		r.logf("fakebedrock for %s at %s %v", tier, r.fakes[tier].URL, fakeArgs[tier])
	}
	if r.llama, err = StartHelper("fake llama-swap", "fakellamaswap", "-addr", "127.0.0.1:0"); err != nil {
		return err
	}
	tiers := map[string]string{}
	for t, f := range r.fakes {
		tiers[t] = f.URL
	}
	if err := os.MkdirAll(r.o.WorkDir, 0o755); err != nil {
		return err
	}
	r.cfgPath = filepath.Join(r.o.WorkDir, "models.ini")
	if err := os.WriteFile(r.cfgPath, []byte(RouterConfig(r.llama.URL, tiers)), 0o644); err != nil {
		return err
	}
	if err := r.startRouter(); err != nil {
		return err
	}
	for _, v := range r.o.Variants {
		p, err := StartRouter(r.o.RouterBin, r.cfgPath, append(slices.Clone(r.o.RouterEnv), v)...)
		if err != nil {
			return err
		}
		p.Name = VariantName(v)
		r.variants[v] = p
		r.logf("llmstack serve with %s at %s", v, p.URL)
	}
	if err := r.startFloor(); err != nil {
		return err
	}
	if r.o.Peer != "off" {
		ok, why := PeerAvailability(r.o.PeersDir, r.o.Isolated)
		if ok {
			if r.peer, err = StartPortkey(r.o.PeersDir); err != nil {
				why = "not run: Portkey did not start: " + err.Error()
				ok = false
			}
		}
		if ok {
			if err := r.checkPeer(); err != nil {
				r.peer.Stop()
				r.peer = nil
				ok, why = false, "not run: Portkey did not answer a request correctly: "+err.Error()
			}
		}
		if !ok && r.o.Peer == "on" {
			return fmt.Errorf("the peer was required (make bench-peers) but %s", strings.TrimPrefix(why, "not run: "))
		}
		r.res.Peer.Measured, r.res.Peer.Reason = ok, why
		if ok {
			r.res.Machine.Node = NodeVersion()
			r.logf("portkey at %s", r.peer.URL)
		} else {
			r.logf("portkey %s", why)
		}
	} else {
		r.res.Peer.Reason = "not run: this run leaves peers out (make bench-peers measures Portkey)"
	}
	// Idle memory, before any request.
	time.Sleep(time.Second)
	for _, p := range r.measured() {
		if m, err := ReadMemory(p.PID()); err == nil {
			r.res.Memory.IdleStart[p.Name] = m
		}
	}
	return nil
}

func (r *Runner) startRouter() error {
	var err error
	if r.router, err = StartRouter(r.o.RouterBin, r.cfgPath, r.o.RouterEnv...); err != nil {
		return err
	}
	r.router.Name = "router"
	r.logf("llmstack serve at %s", r.router.URL)
	return nil
}

func (r *Runner) startFloor() error {
	var routes []string
	var upstreams []string
	for _, tier := range sortedKeys(r.fakes) {
		upstreams = append(upstreams, r.fakes[tier].URL)
	}
	upstreams = append(upstreams, r.llama.URL)
	args := []string{"floor"}
	for _, u := range upstreams {
		args = append(args, "-route", "127.0.0.1:0="+u)
		routes = append(routes, u)
	}
	self, err := helperBin()
	if err != nil {
		return err
	}
	// The floor prints one line per route; collect them all.
	got := map[string]string{}
	ready := func(line string) (string, bool) {
		u, ok := afterPrefix("listening on ")(line)
		if !ok {
			return "", false
		}
		_, target, _ := strings.Cut(line, "-> ")
		got[strings.TrimSpace(target)] = u
		return u, len(got) == len(routes)
	}
	cmd := execCommand(self, args...)
	if r.floor, err = startProc("floor", cmd, ready, nil, 10*time.Second); err != nil {
		return err
	}
	r.floorURL = got
	r.logf("floor (httputil.ReverseProxy) routes %v", got)
	return nil
}

// checkPeer makes one request through Portkey to see it answers.
func (r *Runner) checkPeer() error {
	call := HTTPCall(r.http, r.peer.URL+"/v1/chat/completions", PortkeyHeaders(r.fakes[tierZero].URL), AgentFixture().OpenAIBody(ModelID, false))
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	return call(ctx, &buf)
}

func (r *Runner) stopAll() {
	for _, p := range []*Proc{r.peer, r.router, r.floor, r.llama} {
		p.Stop()
	}
	for _, p := range r.variants {
		p.Stop()
	}
	for _, p := range r.fakes {
		p.Stop()
	}
}

// measured are the processes whose CPU and memory the run reports.
func (r *Runner) measured() []*Proc {
	ps := []*Proc{r.router}
	for _, v := range r.o.Variants {
		ps = append(ps, r.variants[v])
	}
	ps = append(ps, r.floor)
	if r.peer != nil {
		ps = append(ps, r.peer)
	}
	return ps
}

// settle lets the machine go quiet between workloads.
func (r *Runner) settle() {
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
}

// variantPrefix starts the name of a router variant's path.
const variantPrefix = "router "

// VariantName names the path of a router run with one more setting.
func VariantName(env string) string { return variantPrefix + env }

// target is one way of reaching the fake: direct, the floor, the router or
// the peer.
type target struct {
	name   string
	proc   *Proc
	call   func(fx *Fixture) CallFunc
	stream func(fx *Fixture) StreamFunc
}

func (r *Runner) sdkClient(base string) *bedrock.RuntimeClient {
	c, ok := r.sdk[base]
	if !ok {
		c = NewSDKClient(base)
		r.sdk[base] = c
	}
	return c
}

var jsonHeaders = http.Header{"Content-Type": {"application/json"}}

// bedrockTargets are the ways to reach the fake of tier.
func (r *Runner) bedrockTargets(tier string) []target {
	fake := r.fakes[tier].URL
	direct, floor := r.sdkClient(fake), r.sdkClient(r.floorURL[fake])
	routerURL := r.router.URL + "/v1/chat/completions"
	ts := []target{
		{name: "direct",
			call:   func(fx *Fixture) CallFunc { return SDKCall(direct, fx.ConverseInput()) },
			stream: func(fx *Fixture) StreamFunc { return SDKStream(direct, fx.ConverseStreamInput()) }},
		{name: "floor", proc: r.floor,
			call:   func(fx *Fixture) CallFunc { return SDKCall(floor, fx.ConverseInput()) },
			stream: func(fx *Fixture) StreamFunc { return SDKStream(floor, fx.ConverseStreamInput()) }},
		{name: "router", proc: r.router,
			call: func(fx *Fixture) CallFunc {
				return HTTPCall(r.http, routerURL, jsonHeaders, fx.OpenAIBody(tier, false))
			},
			stream: func(fx *Fixture) StreamFunc {
				return HTTPStream(r.http, routerURL, jsonHeaders, fx.OpenAIBody(tier, true))
			}},
	}
	for _, v := range r.o.Variants {
		p := r.variants[v]
		u := p.URL + "/v1/chat/completions"
		ts = append(ts, target{name: p.Name, proc: p,
			call:   func(fx *Fixture) CallFunc { return HTTPCall(r.http, u, jsonHeaders, fx.OpenAIBody(tier, false)) },
			stream: func(fx *Fixture) StreamFunc { return HTTPStream(r.http, u, jsonHeaders, fx.OpenAIBody(tier, true)) }})
	}
	if r.peer != nil {
		peerURL, h := r.peer.URL+"/v1/chat/completions", PortkeyHeaders(fake)
		ts = append(ts, target{name: "portkey", proc: r.peer,
			call:   func(fx *Fixture) CallFunc { return HTTPCall(r.http, peerURL, h, fx.OpenAIBody(ModelID, false)) },
			stream: func(fx *Fixture) StreamFunc { return HTTPStream(r.http, peerURL, h, fx.OpenAIBody(ModelID, true)) }})
	}
	return ts
}

// passTargets are the ways to reach the fake llama-swap.
func (r *Runner) passTargets() []target {
	body := func(fx *Fixture) []byte { return fx.OpenAIBody(localModel, false) }
	ts := []target{
		{name: "direct", call: func(fx *Fixture) CallFunc {
			return HTTPCall(r.http, r.llama.URL+"/v1/chat/completions", jsonHeaders, body(fx))
		}},
		{name: "floor", proc: r.floor, call: func(fx *Fixture) CallFunc {
			return HTTPCall(r.http, r.floorURL[r.llama.URL]+"/v1/chat/completions", jsonHeaders, body(fx))
		}},
		{name: "router", proc: r.router, call: func(fx *Fixture) CallFunc {
			return HTTPCall(r.http, r.router.URL+"/v1/chat/completions", jsonHeaders, body(fx))
		}},
	}
	for _, v := range r.o.Variants {
		p := r.variants[v]
		ts = append(ts, target{name: p.Name, proc: p, call: func(fx *Fixture) CallFunc {
			return HTTPCall(r.http, p.URL+"/v1/chat/completions", jsonHeaders, body(fx))
		}})
	}
	if r.peer != nil {
		h := PortkeyOpenAIHeaders(r.llama.URL + "/v1")
		ts = append(ts, target{name: "portkey", proc: r.peer, call: func(fx *Fixture) CallFunc {
			return HTTPCall(r.http, r.peer.URL+"/v1/chat/completions", h, body(fx))
		}})
	}
	return ts
}

// rotate returns ts starting at index k, so no target always goes first.
func rotate[T any](ts []T, k int) []T {
	if len(ts) == 0 {
		return ts
	}
	k %= len(ts)
	return append(slices.Clone(ts[k:]), ts[:k]...)
}

func cpuOf(p *Proc) time.Duration {
	if p == nil {
		return 0
	}
	d, _ := CPUTime(p.PID())
	return d
}

// trackPeak remembers the highest resident set seen per process.
func (r *Runner) trackPeak(p *Proc, m Memory) {
	if p == nil {
		return
	}
	if m.HWM > r.res.Memory.Peak[p.Name] {
		r.res.Memory.Peak[p.Name] = m.HWM
	}
}

func (r *Runner) readMemory(p *Proc) (Memory, bool) {
	if p == nil {
		return Memory{}, false
	}
	m, err := ReadMemory(p.PID())
	if err != nil {
		return Memory{}, false
	}
	r.trackPeak(p, m)
	return m, true
}

// latencyWorkload measures one request at concurrency 1 through every
// target, in alternating rounds.
func (r *Runner) latencyWorkload(name string, fx *Fixture) error {
	lr, err := r.measureLatency(name, fx, r.bedrockTargets(tierZero))
	if lr != nil {
		r.res.Latency = append(r.res.Latency, *lr)
	}
	if name == "added-latency" {
		// Idle memory once every client has been served once.
		time.Sleep(time.Second)
		for _, p := range r.measured() {
			if m, ok := r.readMemory(p); ok {
				r.res.Memory.IdleWarm[p.Name] = m
			}
		}
	}
	return err
}

func (r *Runner) measureLatency(name string, fx *Fixture, targets []target) (*LatencyResult, error) {
	p := r.p
	lr := &LatencyResult{Workload: name, Fixture: fx.Name, BodyBytes: len(fx.OpenAIBody(tierZero, false)), Messages: fx.Messages(), Tools: fx.Tools()}
	calls := make([]CallFunc, len(targets))
	for i, t := range targets {
		calls[i] = t.call(fx)
		res := RunSequential(r.ctx, p.LatWarm, calls[i])
		if res.Errors > 0 {
			r.logf("  warm-up %s: %d errors, first: %v", t.name, res.Errors, res.FirstErr)
		}
	}
	p50 := make([][]float64, len(targets))
	p99 := make([][]float64, len(targets))
	cpu := make([][]float64, len(targets))
	tl := make([]TargetLatency, len(targets))
	for rep := range p.Repeats {
		lat := make([][]time.Duration, len(targets))
		cpuSum := make([]time.Duration, len(targets))
		n := make([]int, len(targets))
		for round := range p.LatRounds {
			for _, i := range rotate(indexes(len(targets)), rep*p.LatRounds+round) {
				c0 := cpuOf(targets[i].proc)
				res := RunSequential(r.ctx, p.LatPerRound, calls[i])
				cpuSum[i] += cpuOf(targets[i].proc) - c0
				lat[i] = append(lat[i], res.Latencies...)
				n[i] += len(res.Latencies) + res.Errors
				tl[i].Requests += len(res.Latencies) + res.Errors
				tl[i].Errors += res.Errors
				if res.FirstErr != nil && tl[i].FirstErr == "" {
					tl[i].FirstErr = res.FirstErr.Error()
				}
			}
		}
		for i := range targets {
			a, b := Quantiles(lat[i])
			p50[i], p99[i] = append(p50[i], a), append(p99[i], b)
			if targets[i].proc != nil && n[i] > 0 {
				cpu[i] = append(cpu[i], Micros(cpuSum[i])/float64(n[i]))
			}
		}
		r.logf("  %s repeat %d: %s", name, rep+1, describeP50(targets, p50))
	}
	for i, t := range targets {
		tl[i].Target = t.name
		tl[i].P50, tl[i].P99, tl[i].CPUPerReq = Summarize(p50[i]), Summarize(p99[i]), Summarize(cpu[i])
		if i > 0 {
			tl[i].AddedP50 = Summarize(Diff(p50[i], p50[0]))
			tl[i].AddedP99 = Summarize(Diff(p99[i], p99[0]))
		}
	}
	lr.Targets = tl
	return lr, nil
}

func describeP50(targets []target, p50 [][]float64) string {
	var parts []string
	for i, t := range targets {
		if n := len(p50[i]); n > 0 {
			parts = append(parts, fmt.Sprintf("%s p50 %.0fµs", t.name, p50[i][n-1]))
		}
	}
	return strings.Join(parts, ", ")
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// streamingWorkload measures streams one at a time through every target.
func (r *Runner) streamingWorkload() error {
	p := r.p
	targets := r.bedrockTargets(tierStream)
	fx := SmallFixture()
	streams := make([]StreamFunc, len(targets))
	for i, t := range targets {
		streams[i] = t.stream(fx)
		if sr := streams[i](r.ctx); sr.Err != nil {
			r.logf("  warm-up %s: %v", t.name, sr.Err)
		}
	}
	type acc struct {
		ttft, gaps, lat []time.Duration
		cpu             time.Duration
		chunks          int
	}
	series := make([]map[string][]float64, len(targets))
	for i := range series {
		series[i] = map[string][]float64{}
	}
	ts := make([]TargetStreaming, len(targets))
	for rep := range p.Repeats {
		accs := make([]acc, len(targets))
		for s := range p.StreamsPerRepeat {
			for _, i := range rotate(indexes(len(targets)), rep*p.StreamsPerRepeat+s) {
				c0 := cpuOf(targets[i].proc)
				sr := streams[i](r.ctx)
				accs[i].cpu += cpuOf(targets[i].proc) - c0
				t := &ts[i]
				t.Streams++
				t.Chunks += sr.Chunks
				if sr.Chunks < p.StreamDeltas {
					t.Lost += p.StreamDeltas - sr.Chunks
				}
				if !sr.Complete {
					t.Incomplete++
					if sr.Err != nil && t.FirstErr == "" {
						t.FirstErr = sr.Err.Error()
					}
				}
				if sr.Chunks > 0 {
					accs[i].ttft = append(accs[i].ttft, sr.TTFT)
				}
				accs[i].gaps = append(accs[i].gaps, sr.Gaps...)
				accs[i].lat = append(accs[i].lat, sr.Latency...)
				accs[i].chunks += sr.Chunks
			}
		}
		for i := range targets {
			a := accs[i]
			ttft, _ := Quantiles(a.ttft)
			g50, g99 := Quantiles(a.gaps)
			l50, l99 := Quantiles(a.lat)
			m := series[i]
			m["ttft"] = append(m["ttft"], ttft)
			m["g50"], m["g99"] = append(m["g50"], g50), append(m["g99"], g99)
			m["l50"], m["l99"] = append(m["l50"], l50), append(m["l99"], l99)
			if targets[i].proc != nil && a.chunks > 0 {
				m["cpu"] = append(m["cpu"], Micros(a.cpu)/float64(a.chunks))
			}
		}
		r.logf("  streaming repeat %d: %s", rep+1, describeSeries(targets, series, "ttft", "TTFT"))
	}
	for i, t := range targets {
		m := series[i]
		ts[i].Target = t.name
		ts[i].TTFT, ts[i].GapP50, ts[i].GapP99 = Summarize(m["ttft"]), Summarize(m["g50"]), Summarize(m["g99"])
		ts[i].ChunkP50, ts[i].ChunkP99, ts[i].CPUPerChunk = Summarize(m["l50"]), Summarize(m["l99"]), Summarize(m["cpu"])
		if i > 0 {
			d := series[0]
			ts[i].AddedTTFT = Summarize(Diff(m["ttft"], d["ttft"]))
			ts[i].AddedGapP99 = Summarize(Diff(m["g99"], d["g99"]))
			ts[i].AddedChunkP50 = Summarize(Diff(m["l50"], d["l50"]))
			ts[i].AddedChunkP99 = Summarize(Diff(m["l99"], d["l99"]))
		}
	}
	r.res.Streaming = &StreamingResult{Deltas: p.StreamDeltas, GapMS: float64(p.StreamGap) / 1e6, Targets: ts}
	return nil
}

func describeSeries(targets []target, series []map[string][]float64, key, label string) string {
	var parts []string
	for i, t := range targets {
		if v := series[i][key]; len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s %.0fµs", t.name, label, v[len(v)-1]))
		}
	}
	return strings.Join(parts, ", ")
}

// throughputWorkload runs closed-loop load at each concurrency against the
// zero-delay and the slow fake.
func (r *Runner) throughputWorkload() error {
	for _, delay := range r.p.FakeDelays {
		tier := tierZero
		if delay > 0 {
			tier = tierSlow
		}
		pts := r.measureThroughput("throughput", float64(delay)/1e6, r.bedrockTargets(tier), SmallFixture(), r.p.Concurrency)
		r.res.Throughput = append(r.res.Throughput, pts...)
	}
	return nil
}

func (r *Runner) measureThroughput(workload string, delayMS float64, targets []target, fx *Fixture, levels []int) []ThroughputPoint {
	p := r.p
	calls := make([]CallFunc, len(targets))
	for i, t := range targets {
		calls[i] = t.call(fx)
	}
	var out []ThroughputPoint
	for _, c := range levels {
		series := make([]map[string][]float64, len(targets))
		pts := make([]ThroughputPoint, len(targets))
		for i := range targets {
			series[i] = map[string][]float64{}
			pts[i] = ThroughputPoint{Workload: workload, FakeDelayMS: delayMS, Concurrency: c, Target: targets[i].name}
		}
		for rep := range p.Repeats {
			for _, i := range rotate(indexes(len(targets)), rep) {
				t := targets[i]
				if t.proc != nil {
					_ = ResetPeak(t.proc.PID())
				}
				c0 := cpuOf(t.proc)
				lr := RunClosedLoop(r.ctx, c, p.ThroughputWarm, p.ThroughputMeasure, calls[i])
				cpu := cpuOf(t.proc) - c0
				m := series[i]
				m["rps"] = append(m["rps"], lr.Throughput)
				p50, p99 := Quantiles(lr.Latencies)
				m["p50"], m["p99"] = append(m["p50"], p50), append(m["p99"], p99)
				// CPU over the whole load, warm-up included, per request
				// answered in that time (completed/window scaled up).
				total := float64(lr.Completed) * float64(p.ThroughputWarm+p.ThroughputMeasure) / float64(p.ThroughputMeasure)
				if t.proc != nil && total > 0 {
					m["cpu"] = append(m["cpu"], Micros(cpu)/total)
				}
				if mem, ok := r.readMemory(t.proc); ok {
					m["rss"] = append(m["rss"], float64(mem.HWM))
				}
				pts[i].Completed += lr.Completed
				pts[i].Errors += lr.Errors
				if lr.FirstErr != nil && pts[i].FirstErr == "" {
					pts[i].FirstErr = lr.FirstErr.Error()
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		var desc []string
		for i := range targets {
			m := series[i]
			pts[i].RPS, pts[i].P50, pts[i].P99 = Summarize(m["rps"]), Summarize(m["p50"]), Summarize(m["p99"])
			pts[i].CPUPerReq, pts[i].PeakRSSKiB = Summarize(m["cpu"]), Summarize(m["rss"])
			desc = append(desc, fmt.Sprintf("%s %.0f req/s (%d errors)", targets[i].name, pts[i].RPS.Median, pts[i].Errors))
			if workload == "throughput" && delayMS == 0 && c == 50 && targets[i].proc != nil {
				r.res.Memory.PeakAt50[targets[i].proc.Name] = pts[i].PeakRSSKiB
			}
		}
		r.logf("  %s fake %gms c=%d: %s", workload, delayMS, c, strings.Join(desc, ", "))
		out = append(out, pts...)
	}
	return out
}

// passWorkload measures the llama-swap pass-through.
func (r *Runner) passWorkload() error {
	fx := SmallFixture()
	lr, err := r.measureLatency("pass-through", fx, r.passTargets())
	if err != nil {
		return err
	}
	lr.BodyBytes = len(fx.OpenAIBody(localModel, false))
	pts := r.measureThroughput("pass-through", 0, r.passTargets(), fx, []int{r.p.PassConcurrency})
	r.res.PassThrough = &PassResult{Latency: *lr, Throughput: pts}
	return nil
}

// concurrentStreamsWorkload holds more and more streams open at once through
// fresh router and floor processes.
func (r *Runner) concurrentStreamsWorkload() error {
	p := r.p
	// Fresh processes, so the figures are not inflated by what earlier
	// workloads left in their heaps.
	r.router.Stop()
	r.floor.Stop()
	if err := r.startRouter(); err != nil {
		return err
	}
	if err := r.startFloor(); err != nil {
		return err
	}
	if r.peer != nil {
		r.peer.Stop()
		var err error
		if r.peer, err = StartPortkey(r.o.PeersDir); err != nil {
			r.peer = nil
			return fmt.Errorf("restarting Portkey: %w", err)
		}
	}
	var targets []target
	for _, t := range r.bedrockTargets(tierStream) {
		if !strings.HasPrefix(t.name, variantPrefix) {
			targets = append(targets, t)
		}
	}
	fx := SmallFixture()
	cs := &ConcurrentStreams{Deltas: p.StreamDeltas, GapMS: float64(p.StreamGap) / 1e6, IdleKiB: map[string]int64{}, MaxClean: map[string]int{}}
	streams := make([]StreamFunc, len(targets))
	for i, t := range targets {
		streams[i] = t.stream(fx)
		_ = streams[i](r.ctx)
		if t.proc != nil {
			time.Sleep(500 * time.Millisecond)
			if m, err := ReadMemory(t.proc.PID()); err == nil {
				cs.IdleKiB[t.name] = m.RSS
			}
		}
	}
	clean := map[string]bool{}
	for _, t := range targets {
		clean[t.name] = true
	}
	for _, n := range p.StreamLevels {
		for i, t := range targets {
			if !clean[t.name] {
				continue // it failed a smaller level; spare the machine
			}
			lvl := StreamLevel{Target: t.name, Streams: n}
			series := map[string][]float64{}
			for rep := range p.StreamRepeats {
				_ = rep
				if t.proc != nil {
					_ = ResetPeak(t.proc.PID())
				}
				c0 := cpuOf(t.proc)
				batch := RunStreams(r.ctx, n, p.StreamRamp, streams[i])
				cpu := cpuOf(t.proc) - c0
				chunks := 0
				var maxGap time.Duration
				var gaps []time.Duration
				for _, s := range batch.Streams {
					lvl.Attempted++
					if s.Complete {
						lvl.Complete++
					} else {
						lvl.Incomplete++
						if s.Err != nil && lvl.FirstErr == "" {
							lvl.FirstErr = s.Err.Error()
						}
					}
					if s.Chunks < p.StreamDeltas {
						lvl.Lost += p.StreamDeltas - s.Chunks
					}
					chunks += s.Chunks
					worst := slices.Max(append([]time.Duration{0}, s.Gaps...))
					// The first chunk is due one spacing after the request.
					if s.Chunks > 0 && s.TTFT-p.StreamGap > worst {
						worst = s.TTFT - p.StreamGap
					}
					if worst > p.StallThreshold {
						lvl.Stalled++
					}
					maxGap = max(maxGap, worst)
					gaps = append(gaps, s.Gaps...)
				}
				_, g99 := Quantiles(gaps)
				series["maxgap"] = append(series["maxgap"], float64(maxGap)/1e6)
				series["g99"] = append(series["g99"], g99/1e3)
				series["open"] = append(series["open"], float64(batch.MaxOpen))
				if t.proc != nil && chunks > 0 {
					series["cpu"] = append(series["cpu"], Micros(cpu)/float64(chunks))
				}
				if t.proc != nil {
					if m, ok := r.readMemory(t.proc); ok {
						series["rss"] = append(series["rss"], float64(m.HWM))
						series["per"] = append(series["per"], float64(m.HWM-cs.IdleKiB[t.name])/float64(n))
					}
				}
				time.Sleep(300 * time.Millisecond)
			}
			lvl.MaxGapMS, lvl.GapP99MS, lvl.MaxOpen = Summarize(series["maxgap"]), Summarize(series["g99"]), Summarize(series["open"])
			lvl.PeakRSSKiB, lvl.RSSPerStreamKiB = Summarize(series["rss"]), Summarize(series["per"])
			lvl.CPUPerChunk = Summarize(series["cpu"])
			lvl.Clean = lvl.Complete == lvl.Attempted && lvl.Lost == 0 && lvl.Stalled == 0
			if lvl.Clean {
				cs.MaxClean[t.name] = n
			} else {
				clean[t.name] = false
			}
			r.logf("  %d streams via %s: complete %d/%d, lost %d, stalled %d, max gap %.0f ms, peak RSS %.1f MiB",
				n, t.name, lvl.Complete, lvl.Attempted, lvl.Lost, lvl.Stalled, lvl.MaxGapMS.Median, lvl.PeakRSSKiB.Median/1024)
			cs.Levels = append(cs.Levels, lvl)
		}
	}
	r.res.Streams = cs
	return nil
}

// idleEnd reads the resident sets once the run is over and quiet.
func (r *Runner) idleEnd() {
	time.Sleep(2 * time.Second)
	for _, p := range r.measured() {
		if m, ok := r.readMemory(p); ok {
			r.res.Memory.IdleEnd[p.Name] = m
		}
	}
}

func gitCommit() string {
	out, err := execCommand("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if st, err := execCommand("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		commit += " (with uncommitted changes)"
	}
	return commit
}
