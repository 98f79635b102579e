// Command fakebedrock serves the in-repo fake Bedrock runtime on loopback,
// for trying llmstack without AWS and for the benchmark.
//
//	go run ./cmd/fakebedrock -addr 127.0.0.1:4599
//
// Point a tier at it with aws_endpoint_url = http://127.0.0.1:4599; any
// credentials will do (the fake reads the SigV4 scope, not the signature).
// With -tool it plays a model in a coding agent's tool loop:
//
//	fakebedrock -tool 'bash={"command":"ls","description":"List files"}' -tool-steps 2
//
// With -throttle-rate, -error-rate and -stream-error-rate it injects faults
// (make soak runs it so).
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4599", "listen address (host:port; port 0 picks one)")
	deltas := flag.Int("deltas", 8, "text chunks per streamed answer")
	deltaSize := flag.Int("delta-size", 8, "bytes per text chunk")
	firstToken := flag.Duration("first-token-delay", 0, "wait before the first chunk (and before a Converse answer)")
	interEvent := flag.Duration("inter-event-delay", 0, "wait between stream events")
	throttleRate := flag.Float64("throttle-rate", 0, "fraction of calls answered with 429 ThrottlingException")
	errorRate := flag.Float64("error-rate", 0, "fraction of calls answered with a 5xx (503 ServiceUnavailableException or 500 InternalServerException)")
	streamErrorRate := flag.Float64("stream-error-rate", 0, "fraction of streams ended by a modelStreamErrorException after their first text chunk")
	lenient := flag.Bool("lenient", false, "accept requests Bedrock would reject")
	stamp := flag.Bool("stamp", false, "start each streamed text chunk with its send time (Unix ns), for per-chunk latency")
	var tools []fakebedrock.AgentTool
	flag.Func("tool", "agent mode: `name={json}` calls tool name with that input when a request declares it (repeatable; the first declared one is called)", func(v string) error {
		t, err := fakebedrock.ParseAgentTool(v)
		tools = append(tools, t)
		return err
	})
	steps := flag.Int("tool-steps", 1, "agent mode: tool calls before the final answer")
	flag.Parse()
	if err := checkRates(*throttleRate, *errorRate, *streamErrorRate); err != nil {
		fmt.Fprintln(os.Stderr, "fakebedrock:", err)
		os.Exit(2)
	}

	fake := fakebedrock.New(fakebedrock.Options{
		Deltas: *deltas, DeltaSize: *deltaSize,
		FirstTokenDelay: *firstToken, InterEventDelay: *interEvent,
		ThrottleRate: *throttleRate, ErrorRate: *errorRate, StreamErrorRate: *streamErrorRate,
		Lenient: *lenient, Stamp: *stamp,
		AgentTools: tools, AgentSteps: *steps,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("fakebedrock: %v", err)
	}
	// The line below is read by scripts that start the fake on port 0.
	fmt.Printf("fakebedrock listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("fakebedrock: %v", err)
	}
}

// checkRates refuses fault rates outside 0..1 and rates that add up to
// more than 1: one draw per call picks the fault, so they cannot overlap.
func checkRates(throttle, errs, stream float64) error {
	for _, r := range []struct {
		flag string
		v    float64
	}{{"-throttle-rate", throttle}, {"-error-rate", errs}, {"-stream-error-rate", stream}} {
		if !(r.v >= 0 && r.v <= 1) { // NaN fails too
			return fmt.Errorf("%s must be between 0 and 1, not %v", r.flag, r.v)
		}
	}
	if sum := throttle + errs + stream; sum > 1 {
		return fmt.Errorf("-throttle-rate, -error-rate and -stream-error-rate add up to %.4g: at most 1 (one fault per call)", sum)
	}
	return nil
}
