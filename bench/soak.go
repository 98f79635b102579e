package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// The soak: `llmstack serve` under a fixed rate of mixed requests for
// minutes, against a fake Bedrock that throttles, fails and breaks streams
// off, with models.ini rewritten under it and a fallback tier configured.
// Every answer goes through the honesty checker; the router's resident
// set, threads and open files are sampled from /proc throughout.

// SoakOptions configure a soak run.
type SoakOptions struct {
	// Duration of the load; Rate is requests started per second.
	Duration time.Duration
	Rate     float64
	// ReloadEvery is how often models.ini is rewritten.
	ReloadEvery time.Duration
	// The faults the main tier's fake injects (fractions of its calls).
	ThrottleRate, ErrorRate, StreamErrorRate float64
	// RouterBin and FakeBin are bin/llmstack and bin/fakebedrock.
	RouterBin, FakeBin string
	// WorkDir holds the run's models.ini and the router's config directory.
	WorkDir string
	// Isolated is set when the run is inside a private network namespace.
	Isolated bool
	Log      io.Writer
}

// Soak limits: the load is bounded in count (Rate × Duration requests), in
// time per request and in requests in flight.
const (
	soakRequestTimeout = 60 * time.Second
	soakMaxInFlight    = 256
	soakMaxBody        = 16 << 20
	// soakToolSteps is how many tool calls a tool loop makes before its
	// final answer (fakebedrock -tool-steps).
	soakToolSteps = 2
	soakMaxLoops  = 64 // tool loops waiting for their next turn
)

// Flatness tolerances: the router's figures at the end of the load may
// exceed those just after warm-up by at most this much.
const (
	soakRSSTolerancePct = 10   // RSS: 10 % …
	soakRSSToleranceKiB = 4096 // … or 4 MiB, whichever is larger
	soakThreadTolerance = 2
	soakFDTolerance     = 10
)

// Tier names of the soak's models.ini.
const (
	soakMain   = "soak-main"
	soakBackup = "soak-backup"
)

// soakTool is the tool the tool loops declare and the fake calls.
var soakTool = fakebedrock.AgentTool{Name: "bash", Input: `{"command":"ls"}`}

// soakText is the fake's answer to a request without tools: its default
// 8 chunks of 8 bytes (-deltas 8 -delta-size 8).
var soakText = strings.Repeat(strings.Repeat("x", 7)+" ", 8)

// soakKind is one kind of request of the mix.
type soakKind struct {
	Name      string
	Messages  bool // Anthropic's /v1/messages, else OpenAI chat completions
	Stream    bool
	ToolLoop  bool
	mixWeight int
}

// soakKinds are the request kinds, with their share of every 20 requests.
var soakKinds = []soakKind{
	{Name: "chat", mixWeight: 5},
	{Name: "chat, streamed", Stream: true, mixWeight: 5},
	{Name: "tool loop turn", ToolLoop: true, mixWeight: 3},
	{Name: "tool loop turn, streamed", ToolLoop: true, Stream: true, mixWeight: 3},
	{Name: "messages", Messages: true, mixWeight: 2},
	{Name: "messages, streamed", Messages: true, Stream: true, mixWeight: 2},
}

// soakMix interleaves the kinds by weight: the kind of request i is
// soakMix[i%len(soakMix)].
func soakMix() []int {
	var mix []int
	left := make([]int, len(soakKinds))
	for i, k := range soakKinds {
		left[i] = k.mixWeight
	}
	for {
		added := false
		for i := range soakKinds {
			if left[i] > 0 {
				mix = append(mix, i)
				left[i]--
				added = true
			}
		}
		if !added {
			return mix
		}
	}
}

// SoakResult is what a soak run saw; it is written as JSON under
// bench/results/ and rendered into RELIABILITY.md.
type SoakResult struct {
	// Mode is "full" for the 10-minute `make soak`, else "short".
	Mode       string     `json:"mode"`
	Started    time.Time  `json:"started"`
	ElapsedSec float64    `json:"elapsed_sec"`
	Machine    Machine    `json:"machine"`
	Commit     string     `json:"commit"`
	Isolation  string     `json:"isolation"`
	Params     SoakParams `json:"params"`

	// Sent requests; Answered got an HTTP answer; OK were clean, whole
	// answers.
	Sent     int `json:"sent"`
	Answered int `json:"answered"`
	OK       int `json:"ok"`
	// Kinds has the figures per request kind.
	Kinds []SoakKindResult `json:"kinds"`
	// Failures counts the answers that were not clean, by what failed.
	Failures   []SoakCount    `json:"failures"`
	Dishonest  SoakProblems   `json:"dishonest"`
	Unexpected SoakProblems   `json:"unexpected"`
	Fallbacks  []SoakCount    `json:"fallbacks"`
	Loops      SoakLoops      `json:"tool_loops"`
	Reloads    SoakReloads    `json:"reloads"`
	LatencyOK  SoakLatency    `json:"latency_ok"`
	LatencyAll SoakLatency    `json:"latency_all"`
	Router     *RouterCounted `json:"router_counted,omitempty"`

	// Samples of the router process, every SampleEvery from the start of
	// the load; IdleBefore and IdleAfter are taken with no request in
	// flight, before the load and after it drained.
	Samples    []ProcSample `json:"samples"`
	IdleBefore ProcSample   `json:"idle_before"`
	IdleAfter  ProcSample   `json:"idle_after"`
	Flat       []FlatCheck  `json:"flat"`

	// Pass is the verdict: honest, explained, flat. Verdict says why not.
	Pass     bool     `json:"pass"`
	Verdict  []string `json:"verdict,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// SoakParams are the settings of a run.
type SoakParams struct {
	DurationSec     float64  `json:"duration_sec"`
	Rate            float64  `json:"rate"`
	ReloadEverySec  float64  `json:"reload_every_sec"`
	SampleEverySec  float64  `json:"sample_every_sec"`
	WarmupSec       float64  `json:"warmup_sec"`
	ThrottleRate    float64  `json:"throttle_rate"`
	ErrorRate       float64  `json:"error_rate"`
	StreamErrorRate float64  `json:"stream_error_rate"`
	Mix             []string `json:"mix"`
	ToolSteps       int      `json:"tool_steps"`
}

// SoakKindResult is one request kind's share of a run.
type SoakKindResult struct {
	Name   string      `json:"name"`
	Sent   int         `json:"sent"`
	OK     int         `json:"ok"`
	Failed int         `json:"failed"`
	OKLat  SoakLatency `json:"latency_ok"`
}

// SoakCount is how often something happened, with its first example.
type SoakCount struct {
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Honest  int    `json:"honest"`
	Example string `json:"example,omitempty"`
}

// SoakProblems counts answers the soak fails on, with the first few.
type SoakProblems struct {
	Count    int      `json:"count"`
	Examples []string `json:"examples,omitempty"`
}

// SoakLoops counts the tool loops: each is a conversation whose turns are
// requests of the mix, answering the tool call of the turn before.
type SoakLoops struct {
	Started   int `json:"started"`
	Completed int `json:"completed"`
	// Abandoned loops had a turn fail (honestly); Dropped ones found no
	// room to wait for their next turn.
	Abandoned int `json:"abandoned"`
	Dropped   int `json:"dropped"`
}

// SoakReloads counts the models.ini rewrites and the router taking them.
type SoakReloads struct {
	Written int `json:"written"`
	// Seen rewrites showed in /v1/models within 5 s; MaxLagMS is the
	// longest that took.
	Seen     int      `json:"seen"`
	MaxLagMS float64  `json:"max_lag_ms"`
	Missed   []string `json:"missed,omitempty"`
}

// SoakLatency is a latency distribution, in milliseconds.
type SoakLatency struct {
	N     int     `json:"n"`
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// RouterCounted is what the router's /health counted for the soak's tiers.
type RouterCounted struct {
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
}

// ProcSample is one reading of the router process from /proc.
type ProcSample struct {
	AtSec   float64 `json:"at_sec"`
	RSSKiB  int64   `json:"rss_kib"`
	HWMKiB  int64   `json:"hwm_kib"`
	Threads int     `json:"threads"`
	FDs     int     `json:"fds"`
}

// FlatCheck compares one figure just after warm-up with the end of the
// load.
type FlatCheck struct {
	Figure    string  `json:"figure"`
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Max       float64 `json:"max"`
	Allowed   float64 `json:"allowed"` // the most End may be
	Tolerance string  `json:"tolerance"`
	Status    string  `json:"status"`
}

// soakRun is one run under way.
type soakRun struct {
	o      SoakOptions
	ctx    context.Context
	client *http.Client
	res    *SoakResult

	faulty, backup, llama, router *Proc
	cfgPath                       string

	mu       sync.Mutex
	kinds    []SoakKindResult
	okLat    [][]time.Duration // per kind
	allLat   []time.Duration
	failures map[string]*SoakCount
	fallback map[string]*SoakCount
	loops    chan *toolLoop
}

// toolLoop is a tool-loop conversation waiting for its next turn.
type toolLoop struct {
	messages []any
	results  int
}

func (s *soakRun) logf(format string, args ...any) {
	if s.o.Log != nil {
		fmt.Fprintf(s.o.Log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

// soakTiming derives the sampling period and the warm-up from the
// duration: 20 samples at least, a fifth of the run (at most a minute) to
// warm up.
func soakTiming(d time.Duration) (sample, warmup time.Duration) {
	sample = min(5*time.Second, d/20)
	warmup = min(time.Minute, d/5)
	return max(sample, 100*time.Millisecond), warmup
}

// RunSoak runs the soak and returns what it saw; the error is for a run
// that could not start or was stopped.
func RunSoak(ctx context.Context, o SoakOptions) (*SoakResult, error) {
	sample, warmup := soakTiming(o.Duration)
	mode := "short"
	if o.Duration >= 10*time.Minute {
		mode = "full"
	}
	var mix []string
	for _, i := range soakMix() {
		mix = append(mix, soakKinds[i].Name)
	}
	s := &soakRun{o: o, ctx: ctx, client: newHTTPClient(),
		failures: map[string]*SoakCount{}, fallback: map[string]*SoakCount{},
		loops: make(chan *toolLoop, soakMaxLoops), okLat: make([][]time.Duration, len(soakKinds))}
	for _, k := range soakKinds {
		s.kinds = append(s.kinds, SoakKindResult{Name: k.Name})
	}
	s.res = &SoakResult{Mode: mode, Started: time.Now(), Machine: DescribeMachine(), Commit: gitCommit(),
		Isolation: "host loopback (127.0.0.1)",
		Params: SoakParams{DurationSec: o.Duration.Seconds(), Rate: o.Rate, ReloadEverySec: o.ReloadEvery.Seconds(),
			SampleEverySec: sample.Seconds(), WarmupSec: warmup.Seconds(),
			ThrottleRate: o.ThrottleRate, ErrorRate: o.ErrorRate, StreamErrorRate: o.StreamErrorRate,
			Mix: mix, ToolSteps: soakToolSteps}}
	if o.Isolated {
		s.res.Isolation = "private network namespace (unshare -n) whose only interface is loopback"
	}
	defer s.stopAll()
	if err := s.startAll(); err != nil {
		return s.res, err
	}
	time.Sleep(time.Second)
	s.res.IdleBefore = s.sample(0)

	loadCtx, stopLoad := context.WithCancel(ctx)
	var bg sync.WaitGroup
	start := time.Now()
	bg.Add(2)
	go func() { defer bg.Done(); s.rewriteLoop(loadCtx) }()
	go func() { defer bg.Done(); s.sampleLoop(loadCtx, start, sample) }()
	s.logf("load: %v at %.0f requests/s, models.ini rewritten every %v, router sampled every %v", o.Duration, o.Rate, o.ReloadEvery, sample)
	s.load(ctx, start)
	stopLoad()
	bg.Wait()

	// Idle again: our keep-alive connections closed, the router quiet.
	s.client.CloseIdleConnections()
	time.Sleep(2 * time.Second)
	s.res.IdleAfter = s.sample(time.Since(start).Seconds())
	s.res.Router = s.routerCounted()
	if !s.router.Alive() {
		s.res.Problems = append(s.res.Problems, "the router exited during the run: "+trim(s.router.Log(), 500))
	}
	if ctx.Err() != nil {
		s.res.Problems = append(s.res.Problems, "the run was stopped before its end")
	}
	s.finish(warmup)
	s.res.ElapsedSec = time.Since(s.res.Started).Seconds()
	if ctx.Err() != nil {
		return s.res, ctx.Err()
	}
	return s.res, nil
}

func (s *soakRun) startAll() error {
	agent := []string{"-deltas", "8", "-delta-size", "8", "-tool", soakTool.Name + "=" + soakTool.Input, "-tool-steps", fmt.Sprint(soakToolSteps)}
	faults := append(slices.Clone(agent), "-throttle-rate", fmt.Sprint(s.o.ThrottleRate),
		"-error-rate", fmt.Sprint(s.o.ErrorRate), "-stream-error-rate", fmt.Sprint(s.o.StreamErrorRate))
	var err error
	if s.faulty, err = StartFake(s.o.FakeBin, "fakebedrock with faults", faults...); err != nil {
		return err
	}
	if s.backup, err = StartFake(s.o.FakeBin, "fakebedrock for the fallback", agent...); err != nil {
		return err
	}
	if s.llama, err = StartHelper("fake llama-swap", "fakellamaswap", "-addr", "127.0.0.1:0"); err != nil {
		return err
	}
	s.logf("fakebedrock with faults at %s %v; fallback fake at %s", s.faulty.URL, faults, s.backup.URL)
	dir := filepath.Join(s.o.WorkDir, "soak")
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		return err
	}
	s.cfgPath = filepath.Join(dir, "models.ini")
	if err := os.WriteFile(s.cfgPath, []byte(s.config(0)), 0o644); err != nil {
		return err
	}
	// Its own config directory, so the run's spend stays out of the
	// user's usage.json.
	if s.router, err = StartRouter(s.o.RouterBin, s.cfgPath, "XDG_CONFIG_HOME="+filepath.Join(dir, "config")); err != nil {
		return err
	}
	s.logf("llmstack serve at %s (pid %d), models.ini %s", s.router.URL, s.router.PID(), s.cfgPath)
	return nil
}

func (s *soakRun) stopAll() {
	for _, p := range []*Proc{s.router, s.llama, s.faulty, s.backup} {
		p.Stop()
	}
}

// config is the soak's models.ini; variant 0 and 1 are the two contents
// the rewrites alternate between (a description and a sampler differ).
func (s *soakRun) config(variant int) string {
	desc, temp := soakDescription(variant), []string{"0.2", "0.3"}[variant%2]
	return fmt.Sprintf(`# The soak's models.ini (bench/soak.go); rewritten every %v during the run.
[DEFAULT]
router_host = 127.0.0.1
router_port = 10111
llama_swap_url = %s

[%s]
role = agent
description = %s
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_region = us-east-1
aws_endpoint_url = %s
sampler = temp=%s
; throttled, unavailable or timed out before the first byte: try the backup
fallback = %s

[%s]
role = fast
description = Soak fallback: a fake that does not fail
aws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0
aws_region = us-east-1
aws_endpoint_url = %s
`, s.o.ReloadEvery, s.llama.URL, soakMain, desc, s.faulty.URL, temp, soakBackup, soakBackup, s.backup.URL)
}

func soakDescription(variant int) string {
	return []string{"Soak tier (A): a fake with faults", "Soak tier (B): a fake with faults"}[variant%2]
}

// load starts Rate requests a second for Duration, each on its own
// goroutine, and waits for them.
func (s *soakRun) load(ctx context.Context, start time.Time) {
	mix := soakMix()
	n := int(s.o.Duration.Seconds() * s.o.Rate)
	sem := make(chan struct{}, soakMaxInFlight)
	var wg sync.WaitGroup
	for i := range n {
		at := start.Add(time.Duration(float64(i) / s.o.Rate * float64(time.Second)))
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		kind := mix[i%len(mix)]
		s.mu.Lock()
		s.res.Sent++
		s.kinds[kind].Sent++
		s.mu.Unlock()
		select {
		case sem <- struct{}{}:
		default:
			s.record(kind, Outcome{Kind: "not sent", Unexpected: fmt.Sprintf("%d requests already in flight", soakMaxInFlight)}, 0, false)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.request(i, kind)
		}()
		if i > 0 && i%int(max(s.o.Rate*60, 1)) == 0 {
			s.mu.Lock()
			s.logf("  %d requests, %d clean, %d dishonest, %d unexpected", s.res.Sent, s.res.OK, s.res.Dishonest.Count, s.res.Unexpected.Count)
			s.mu.Unlock()
		}
	}
	wg.Wait() // every request ends by soakRequestTimeout
}

// request makes request i of the given kind and records its outcome.
func (s *soakRun) request(i, kind int) {
	k := soakKinds[kind]
	want := Expect{Text: soakText}
	var loop *toolLoop
	if k.ToolLoop {
		select {
		case loop = <-s.loops:
		default:
			loop = &toolLoop{messages: []any{map[string]any{"role": "user", "content": fmt.Sprintf("List the files (soak loop %d).", i)}}}
			s.mu.Lock()
			s.res.Loops.Started++
			s.mu.Unlock()
		}
		want = Expect{Text: fakebedrock.AgentFinalText}
		if loop.results < soakToolSteps {
			want = Expect{Text: fmt.Sprintf("Step %d: calling %s.", loop.results+1, soakTool.Name), Tool: soakTool.Name, ToolInput: soakTool.Input}
		}
	}
	path, body, header := s.body(i, k, loop)
	ctx, cancel := context.WithTimeout(s.ctx, soakRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.router.URL+path, bytes.NewReader(body))
	if err != nil {
		s.record(kind, Outcome{Kind: "not sent", Unexpected: err.Error()}, 0, false)
		return
	}
	req.Header = header
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		s.record(kind, Outcome{Kind: "no answer", Unexpected: s.transportProblem(ctx, err)}, time.Since(t0), false)
		s.abandon(loop)
		return
	}
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, soakMaxBody))
	resp.Body.Close()
	d := time.Since(t0)
	var o Outcome
	if k.Messages {
		o = CheckMessages(k.Stream, resp.StatusCode, resp.Header, data, want)
	} else {
		o = CheckOpenAI(k.Stream, resp.StatusCode, resp.Header, data, want)
	}
	if readErr != nil && ctx.Err() != nil {
		// Our own deadline cut the answer short: the router was too slow,
		// which no fault explains; its honesty is not in question.
		o = Outcome{Kind: "no answer", Unexpected: s.transportProblem(ctx, readErr)}
	} else if readErr != nil && o.Dishonest != "" {
		o.Dishonest += " (reading it: " + readErr.Error() + ")"
	}
	s.record(kind, o, d, true)
	if !k.ToolLoop {
		return
	}
	if o.Kind != KindOK {
		s.abandon(loop)
		return
	}
	if want.Tool == "" {
		s.mu.Lock()
		s.res.Loops.Completed++
		s.mu.Unlock()
		return
	}
	loop.messages = append(loop.messages,
		map[string]any{"role": "assistant", "content": o.Text, "tool_calls": []any{map[string]any{
			"id": o.ToolCallID, "type": "function", "function": map[string]any{"name": soakTool.Name, "arguments": soakTool.Input}}}},
		map[string]any{"role": "tool", "tool_call_id": o.ToolCallID, "content": "README.md\nmain.go"})
	loop.results++
	select {
	case s.loops <- loop:
	default:
		s.mu.Lock()
		s.res.Loops.Dropped++
		s.mu.Unlock()
	}
}

func (s *soakRun) abandon(loop *toolLoop) {
	if loop == nil {
		return
	}
	s.mu.Lock()
	s.res.Loops.Abandoned++
	s.mu.Unlock()
}

func (s *soakRun) transportProblem(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no whole answer within %v", soakRequestTimeout)
	}
	return "the request failed: " + err.Error()
}

// body is request i of kind k: its path, JSON body and headers.
func (s *soakRun) body(i int, k soakKind, loop *toolLoop) (string, []byte, http.Header) {
	h := http.Header{"Content-Type": {"application/json"}}
	question := fmt.Sprintf("Say something (soak request %d).", i)
	if k.Messages {
		h.Set("Anthropic-Version", "2023-06-01")
		h.Set("X-Api-Key", "soak") // what Claude Code sends; the router neither checks nor logs it on loopback
		b, _ := json.Marshal(map[string]any{"model": soakMain, "max_tokens": 256, "stream": k.Stream,
			"messages": []any{map[string]any{"role": "user", "content": question}}})
		return "/v1/messages", b, h
	}
	req := map[string]any{"model": soakMain, "stream": k.Stream,
		"messages": []any{map[string]any{"role": "user", "content": question}}}
	if loop != nil {
		req["messages"] = loop.messages
		req["tools"] = []any{map[string]any{"type": "function", "function": map[string]any{
			"name": soakTool.Name, "description": "Run a shell command",
			"parameters": map[string]any{"type": "object", "properties": map[string]any{"command": map[string]any{"type": "string"}}, "required": []string{"command"}},
		}}}
	}
	b, _ := json.Marshal(req)
	return "/v1/chat/completions", b, h
}

// record counts one outcome; answered says an HTTP answer came back.
func (s *soakRun) record(kind int, o Outcome, d time.Duration, answered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := &s.kinds[kind]
	if answered {
		s.res.Answered++
		s.allLat = append(s.allLat, d)
	}
	if o.Dishonest != "" {
		s.res.Dishonest.Count++
		if len(s.res.Dishonest.Examples) < 20 {
			s.res.Dishonest.Examples = append(s.res.Dishonest.Examples, fmt.Sprintf("%s: %s", soakKinds[kind].Name, o.Dishonest))
		}
	}
	if o.Unexpected != "" {
		s.res.Unexpected.Count++
		if len(s.res.Unexpected.Examples) < 20 {
			s.res.Unexpected.Examples = append(s.res.Unexpected.Examples, fmt.Sprintf("%s: %s", soakKinds[kind].Name, o.Unexpected))
		}
	}
	if o.Fallback != "" {
		c := s.fallback[o.Fallback]
		if c == nil {
			c = &SoakCount{Name: o.Fallback, Example: soakKinds[kind].Name}
			s.fallback[o.Fallback] = c
		}
		c.Count++
		if o.Kind == KindOK {
			c.Honest++
		}
	}
	if o.Kind == KindOK && o.Dishonest == "" && o.Unexpected == "" {
		s.res.OK++
		k.OK++
		s.okLat[kind] = append(s.okLat[kind], d)
		return
	}
	k.Failed++
	name := o.Kind
	if name == "" || name == KindOK {
		name = "DISHONEST"
	}
	c := s.failures[name]
	if c == nil {
		c = &SoakCount{Name: name, Example: trim(cmp.Or(o.Detail, o.Dishonest, o.Unexpected), 200)}
		s.failures[name] = c
	}
	c.Count++
	if o.Dishonest == "" {
		c.Honest++
	}
}

// rewriteLoop rewrites models.ini every ReloadEvery, alternating its two
// contents and the two ways editors save (in place, and a new file renamed
// over it), and checks the router serves each within 5 s.
func (s *soakRun) rewriteLoop(ctx context.Context) {
	t := time.NewTicker(s.o.ReloadEvery)
	defer t.Stop()
	for gen := 1; ; gen++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		content := s.config(gen)
		var err error
		if gen%2 == 1 {
			err = os.WriteFile(s.cfgPath, []byte(content), 0o644)
		} else {
			tmp := s.cfgPath + ".tmp"
			if err = os.WriteFile(tmp, []byte(content), 0o644); err == nil {
				err = os.Rename(tmp, s.cfgPath)
			}
		}
		written := time.Now()
		s.mu.Lock()
		s.res.Reloads.Written++
		s.mu.Unlock()
		if err != nil {
			s.missed(fmt.Sprintf("rewrite %d: writing models.ini: %v", gen, err))
			continue
		}
		want := soakDescription(gen)
		for {
			if s.description() == want {
				lag := time.Since(written)
				s.mu.Lock()
				s.res.Reloads.Seen++
				s.res.Reloads.MaxLagMS = max(s.res.Reloads.MaxLagMS, float64(lag)/1e6)
				s.mu.Unlock()
				break
			}
			if time.Since(written) > 5*time.Second || ctx.Err() != nil {
				s.missed(fmt.Sprintf("rewrite %d: /v1/models did not show %q within 5 s", gen, want))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (s *soakRun) missed(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.res.Reloads.Missed) < 20 {
		s.res.Reloads.Missed = append(s.res.Reloads.Missed, why)
	}
}

// description is the soak tier's description in the router's /v1/models.
func (s *soakRun) description() string {
	var list struct {
		Data []struct {
			ID          string `json:"id"`
			Description string `json:"description"`
		} `json:"data"`
	}
	if err := s.getJSON("/v1/models", &list); err != nil {
		return ""
	}
	for _, m := range list.Data {
		if m.ID == soakMain {
			return m.Description
		}
	}
	return ""
}

func (s *soakRun) getJSON(path string, v any) error {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.router.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(v)
}

// routerCounted reads the soak tiers' request and error counts from the
// router's /health.
func (s *soakRun) routerCounted() *RouterCounted {
	var h struct {
		Tiers []struct {
			Name     string `json:"name"`
			Requests int    `json:"requests"`
			Errors   int    `json:"errors"`
		} `json:"tiers"`
	}
	if err := s.getJSON("/health", &h); err != nil {
		s.res.Problems = append(s.res.Problems, "reading the router's /health: "+err.Error())
		return nil
	}
	var c RouterCounted
	for _, t := range h.Tiers {
		if t.Name == soakMain || t.Name == soakBackup {
			c.Requests += t.Requests
			c.Errors += t.Errors
		}
	}
	return &c
}

func (s *soakRun) sampleLoop(ctx context.Context, start time.Time, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p := s.sample(time.Since(start).Seconds())
			s.mu.Lock()
			s.res.Samples = append(s.res.Samples, p)
			s.mu.Unlock()
		}
	}
}

// sample reads the router's resident set, threads and open files.
func (s *soakRun) sample(at float64) ProcSample {
	p := ProcSample{AtSec: at}
	pid := s.router.PID()
	if m, err := ReadMemory(pid); err == nil {
		p.RSSKiB, p.HWMKiB = m.RSS, m.HWM
	}
	p.Threads, _ = Threads(pid)
	p.FDs, _ = OpenFiles(pid)
	return p
}

// finish computes the summary figures and the verdict.
func (s *soakRun) finish(warmup time.Duration) {
	r := s.res
	r.Kinds = s.kinds
	var okAll []time.Duration
	for i := range r.Kinds {
		r.Kinds[i].OKLat = latencyOf(s.okLat[i])
		okAll = append(okAll, s.okLat[i]...)
	}
	r.LatencyOK, r.LatencyAll = latencyOf(okAll), latencyOf(s.allLat)
	r.Failures = sortedCounts(s.failures)
	r.Fallbacks = sortedCounts(s.fallback)
	r.Flat = FlatChecks(r.Samples, warmup.Seconds())
	Verdict(r)
}

// Verdict decides whether the run passed and says why not.
func Verdict(r *SoakResult) {
	r.Verdict = nil
	if r.Dishonest.Count > 0 {
		r.Verdict = append(r.Verdict, fmt.Sprintf("%d DISHONEST answers", r.Dishonest.Count))
	}
	if r.Unexpected.Count > 0 {
		r.Verdict = append(r.Verdict, fmt.Sprintf("%d answers no injected fault explains", r.Unexpected.Count))
	}
	if r.Reloads.Seen < r.Reloads.Written {
		r.Verdict = append(r.Verdict, fmt.Sprintf("%d of %d models.ini rewrites not seen by the router", r.Reloads.Written-r.Reloads.Seen, r.Reloads.Written))
	}
	for _, f := range r.Flat {
		if f.Status != statusMet {
			r.Verdict = append(r.Verdict, fmt.Sprintf("%s not flat (%s)", f.Figure, f.Status))
		}
	}
	if r.Sent == 0 {
		r.Verdict = append(r.Verdict, "no request was sent")
	}
	r.Verdict = append(r.Verdict, r.Problems...)
	r.Pass = len(r.Verdict) == 0
}

func latencyOf(ds []time.Duration) SoakLatency {
	if len(ds) == 0 {
		return SoakLatency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return SoakLatency{N: len(s), P50MS: ms(Percentile(s, 0.5)), P99MS: ms(Percentile(s, 0.99)), MaxMS: ms(s[len(s)-1])}
}

func sortedCounts(m map[string]*SoakCount) []SoakCount {
	out := make([]SoakCount, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// FlatChecks compares the router's RSS, threads and open files just after
// warm-up (the median of the first three samples after it) with the end of
// the load (the median of the last three), within the soak's tolerances.
func FlatChecks(samples []ProcSample, warmupSec float64) []FlatCheck {
	var after []ProcSample
	for _, p := range samples {
		if p.AtSec >= warmupSec {
			after = append(after, p)
		}
	}
	figures := []struct {
		name      string
		get       func(ProcSample) float64
		allowed   func(start float64) float64
		tolerance string
	}{
		{"RSS (KiB)", func(p ProcSample) float64 { return float64(p.RSSKiB) },
			func(v float64) float64 { return v + max(v*soakRSSTolerancePct/100, soakRSSToleranceKiB) },
			fmt.Sprintf("+%d %% or +%d MiB, whichever is larger", soakRSSTolerancePct, soakRSSToleranceKiB/1024)},
		{"OS threads", func(p ProcSample) float64 { return float64(p.Threads) },
			func(v float64) float64 { return v + soakThreadTolerance }, fmt.Sprintf("+%d", soakThreadTolerance)},
		{"open files", func(p ProcSample) float64 { return float64(p.FDs) },
			func(v float64) float64 { return v + soakFDTolerance }, fmt.Sprintf("+%d", soakFDTolerance)},
	}
	var out []FlatCheck
	for _, f := range figures {
		c := FlatCheck{Figure: f.name, Tolerance: f.tolerance}
		if len(after) < 6 {
			c.Status = fmt.Sprintf("%s: %d samples after warm-up, 6 needed", statusNotMeasured, len(after))
			out = append(out, c)
			continue
		}
		vals := make([]float64, len(after))
		for i, p := range after {
			vals[i] = f.get(p)
			c.Max = max(c.Max, vals[i])
		}
		c.Start = Summarize(vals[:3]).Median
		c.End = Summarize(vals[len(vals)-3:]).Median
		c.Allowed = f.allowed(c.Start)
		c.Status = check(c.End <= c.Allowed)
		out = append(out, c)
	}
	return out
}
