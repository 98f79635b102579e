package bench

import "time"

// Results is everything one run measured; it is written as JSON under
// bench/results/ and rendered into BENCHMARKS.md.
type Results struct {
	Mode        string    `json:"mode"`
	Started     time.Time `json:"started"`
	DurationSec float64   `json:"duration_sec"`
	Machine     Machine   `json:"machine"`
	Commit      string    `json:"commit"`
	Isolation   string    `json:"isolation"`
	Peer        PeerInfo  `json:"peer"`
	Params      Params    `json:"params"`

	Latency     []LatencyResult    `json:"latency"`
	Streaming   *StreamingResult   `json:"streaming,omitempty"`
	Throughput  []ThroughputPoint  `json:"throughput"`
	Streams     *ConcurrentStreams `json:"concurrent_streams,omitempty"`
	PassThrough *PassResult        `json:"pass_through,omitempty"`
	Memory      MemoryResult       `json:"memory"`
	Profiles    []ProfileResult    `json:"profiles,omitempty"`
	Targets     []TargetCheck      `json:"targets"`
	Problems    []string           `json:"problems,omitempty"`
}

// PeerInfo says whether and which peer was measured.
type PeerInfo struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Measured bool   `json:"measured"`
	Reason   string `json:"reason,omitempty"`
}

// Params are the sizes of a run.
type Params struct {
	Repeats int `json:"repeats"`
	// Latency workloads: rounds per repeat, requests per round and
	// target, warm-up requests per target.
	LatRounds   int `json:"lat_rounds"`
	LatPerRound int `json:"lat_per_round"`
	LatWarm     int `json:"lat_warm"`
	// Streaming workload.
	StreamDeltas     int           `json:"stream_deltas"`
	StreamGap        time.Duration `json:"stream_gap_ns"`
	StreamsPerRepeat int           `json:"streams_per_repeat"`
	// Throughput workload.
	Concurrency       []int           `json:"concurrency"`
	FakeDelays        []time.Duration `json:"fake_delays_ns"`
	ThroughputWarm    time.Duration   `json:"throughput_warm_ns"`
	ThroughputMeasure time.Duration   `json:"throughput_measure_ns"`
	// Concurrent streams workload.
	StreamLevels   []int         `json:"stream_levels"`
	StreamRepeats  int           `json:"stream_repeats"`
	StreamRamp     time.Duration `json:"stream_ramp_ns"`
	StallThreshold time.Duration `json:"stall_threshold_ns"`
	// Pass-through workload: concurrency of its throughput point.
	PassConcurrency int `json:"pass_concurrency"`
}

// TargetLatency is one target's latency at concurrency 1.
type TargetLatency struct {
	Target string `json:"target"`
	// P50 and P99 in µs; Added* are the same minus direct's, per repeat.
	P50      Stat `json:"p50_us"`
	P99      Stat `json:"p99_us"`
	AddedP50 Stat `json:"added_p50_us"`
	AddedP99 Stat `json:"added_p99_us"`
	// CPUPerReq is the CPU time of the target's process per request (µs).
	CPUPerReq Stat   `json:"cpu_per_req_us"`
	Requests  int    `json:"requests"`
	Errors    int    `json:"errors"`
	FirstErr  string `json:"first_error,omitempty"`
}

// LatencyResult is a latency workload (concurrency 1, alternating rounds).
type LatencyResult struct {
	Workload  string          `json:"workload"`
	Fixture   string          `json:"fixture"`
	BodyBytes int             `json:"body_bytes"`
	Messages  int             `json:"messages"`
	Tools     int             `json:"tools"`
	Targets   []TargetLatency `json:"targets"`
}

// TargetStreaming is one target's streaming figures.
type TargetStreaming struct {
	Target string `json:"target"`
	// Time to first token and the added part of it, µs.
	TTFT      Stat `json:"ttft_us"`
	AddedTTFT Stat `json:"added_ttft_us"`
	// Gaps between chunks, µs.
	GapP50      Stat `json:"gap_p50_us"`
	GapP99      Stat `json:"gap_p99_us"`
	AddedGapP99 Stat `json:"added_gap_p99_us"`
	// Per-chunk delivery latency (arrival minus the fake's send stamp), µs.
	ChunkP50      Stat `json:"chunk_latency_p50_us"`
	ChunkP99      Stat `json:"chunk_latency_p99_us"`
	AddedChunkP50 Stat `json:"added_chunk_latency_p50_us"`
	AddedChunkP99 Stat `json:"added_chunk_latency_p99_us"`
	// CPU of the target's process per relayed chunk, µs (the whole
	// stream's CPU, request set-up included, over its text chunks).
	CPUPerChunk Stat   `json:"cpu_per_chunk_us"`
	Streams     int    `json:"streams"`
	Chunks      int    `json:"chunks"`
	Lost        int    `json:"lost_frames"`
	Incomplete  int    `json:"incomplete_streams"`
	FirstErr    string `json:"first_error,omitempty"`
}

// StreamingResult is the streaming workload.
type StreamingResult struct {
	Deltas  int               `json:"deltas"`
	GapMS   float64           `json:"gap_ms"`
	Targets []TargetStreaming `json:"targets"`
}

// ThroughputPoint is one target at one concurrency against one fake.
type ThroughputPoint struct {
	Workload    string  `json:"workload"`
	FakeDelayMS float64 `json:"fake_delay_ms"`
	Concurrency int     `json:"concurrency"`
	Target      string  `json:"target"`
	RPS         Stat    `json:"rps"`
	P50         Stat    `json:"p50_us"`
	P99         Stat    `json:"p99_us"`
	CPUPerReq   Stat    `json:"cpu_per_req_us"`
	PeakRSSKiB  Stat    `json:"peak_rss_kib"`
	Completed   int     `json:"completed"`
	Errors      int     `json:"errors"`
	FirstErr    string  `json:"first_error,omitempty"`
}

// StreamLevel is one target holding a number of concurrent streams.
type StreamLevel struct {
	Target  string `json:"target"`
	Streams int    `json:"streams"`
	// Summed over repeats.
	Attempted  int `json:"attempted"`
	Complete   int `json:"complete"`
	Lost       int `json:"lost_frames"`
	Stalled    int `json:"stalled_streams"`
	Incomplete int `json:"incomplete_streams"`
	// Per repeat: the longest silence any stream saw (ms), the p99 gap (ms),
	// the most streams open at once, peak RSS and RSS per stream (KiB).
	MaxGapMS        Stat `json:"max_gap_ms"`
	GapP99MS        Stat `json:"gap_p99_ms"`
	MaxOpen         Stat `json:"max_open"`
	PeakRSSKiB      Stat `json:"peak_rss_kib"`
	RSSPerStreamKiB Stat `json:"rss_per_stream_kib"`
	// CPUPerChunk is the path's process CPU over the level divided by the
	// text chunks relayed (µs).
	CPUPerChunk Stat   `json:"cpu_per_chunk_us"`
	Clean       bool   `json:"clean"`
	FirstErr    string `json:"first_error,omitempty"`
}

// ConcurrentStreams is the concurrent streams workload.
type ConcurrentStreams struct {
	Deltas  int              `json:"deltas"`
	GapMS   float64          `json:"gap_ms"`
	IdleKiB map[string]int64 `json:"idle_rss_kib"`
	Levels  []StreamLevel    `json:"levels"`
	// MaxClean is, per target, the most streams served with no stall and
	// no lost frame in every repeat (0: none).
	MaxClean map[string]int `json:"max_clean"`
}

// PassResult is the llama-swap pass-through workload.
type PassResult struct {
	Latency    LatencyResult     `json:"latency"`
	Throughput []ThroughputPoint `json:"throughput"`
}

// MemoryResult holds the resident set sizes, KiB.
type MemoryResult struct {
	// Per process name (router, floor, portkey).
	IdleStart map[string]Memory `json:"idle_start"`
	IdleWarm  map[string]Memory `json:"idle_warm"`
	IdleEnd   map[string]Memory `json:"idle_end"`
	Peak      map[string]int64  `json:"peak_kib"`
	// PeakAt50 is the peak during the concurrency-50 zero-delay
	// throughput point.
	PeakAt50 map[string]Stat `json:"peak_c50_kib"`
}

// ProfileResult is a CPU or allocation profile of the router's request
// path, taken in-process during the run.
type ProfileResult struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Requests (or streams) served while the profile ran.
	Requests int `json:"requests"`
	// PerUnitUS is the CPU of the router's own goroutines per request
	// (or per relayed chunk), µs.
	PerUnitUS float64 `json:"router_goroutines_cpu_per_unit_us,omitempty"`
	// Top is `go tool pprof -top` output; File the profile under OutDir.
	Top  string `json:"top"`
	File string `json:"file"`
	Note string `json:"note,omitempty"`
}

// TargetCheck is one target of the issue, met or missed in this run.
type TargetCheck struct {
	Target string `json:"target"`
	Goal   string `json:"goal"`
	Value  string `json:"value"`
	// Status is "met", "missed" or "not measured".
	Status string `json:"status"`
}
