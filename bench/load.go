package bench

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callTimeout bounds one request; a request that takes longer is an error.
const callTimeout = 30 * time.Second

// SeqResult is the outcome of requests made one after another.
type SeqResult struct {
	Latencies []time.Duration
	Errors    int
	FirstErr  error
}

// RunSequential makes n calls one after another (concurrency 1).
func RunSequential(ctx context.Context, n int, call CallFunc) SeqResult {
	res := SeqResult{Latencies: make([]time.Duration, 0, n)}
	var buf bytes.Buffer
	for range n {
		if ctx.Err() != nil {
			break
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		t0 := time.Now()
		err := call(cctx, &buf)
		d := time.Since(t0)
		cancel()
		if err != nil {
			res.Errors++
			if res.FirstErr == nil {
				res.FirstErr = err
			}
			continue
		}
		res.Latencies = append(res.Latencies, d)
	}
	return res
}

// LoadResult is the outcome of a closed-loop load.
type LoadResult struct {
	// Completed is the number of calls that finished inside the measured
	// window; Throughput is that per second.
	Completed  int
	Throughput float64
	// Latencies of the calls that started and finished inside the window.
	Latencies []time.Duration
	Errors    int
	FirstErr  error
	Window    time.Duration
}

// RunClosedLoop keeps conc calls in flight (each worker sends its next
// request as soon as the previous one is answered) for warm+measure, and
// measures the second part only.
func RunClosedLoop(ctx context.Context, conc int, warm, measure time.Duration, call CallFunc) LoadResult {
	start := time.Now()
	winStart, winEnd := start.Add(warm), start.Add(warm+measure)
	var (
		mu        sync.Mutex
		res       LoadResult
		completed atomic.Int64
		wg        sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			lat := make([]time.Duration, 0, 1024)
			errs := 0
			var firstErr error
			for {
				t0 := time.Now()
				if !t0.Before(winEnd) || ctx.Err() != nil {
					break
				}
				cctx, cancel := context.WithTimeout(ctx, callTimeout)
				err := call(cctx, &buf)
				cancel()
				t1 := time.Now()
				inWindow := !t1.Before(winStart) && !t1.After(winEnd)
				if err != nil {
					if inWindow || t1.After(winEnd) {
						errs++
						if firstErr == nil {
							firstErr = err
						}
					}
					continue
				}
				if inWindow {
					completed.Add(1)
					if !t0.Before(winStart) {
						lat = append(lat, t1.Sub(t0))
					}
				}
			}
			mu.Lock()
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errs
			if res.FirstErr == nil {
				res.FirstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Completed = int(completed.Load())
	res.Window = measure
	res.Throughput = float64(res.Completed) / measure.Seconds()
	return res
}

// StreamBatch is the outcome of a set of concurrent streams.
type StreamBatch struct {
	Streams []StreamResult
	// MaxOpen is the most streams in flight at the same time.
	MaxOpen int
}

// RunStreams opens n streams, starting them evenly over ramp, and waits
// for all of them.
func RunStreams(ctx context.Context, n int, ramp time.Duration, stream StreamFunc) StreamBatch {
	res := StreamBatch{Streams: make([]StreamResult, n)}
	var wg sync.WaitGroup
	var open, maxOpen atomic.Int64
	step := time.Duration(0)
	if n > 1 {
		step = ramp / time.Duration(n)
	}
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(step * time.Duration(i))); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			o := open.Add(1)
			for {
				m := maxOpen.Load()
				if o <= m || maxOpen.CompareAndSwap(m, o) {
					break
				}
			}
			res.Streams[i] = stream(cctx)
			open.Add(-1)
		}()
	}
	wg.Wait()
	res.MaxOpen = int(maxOpen.Load())
	return res
}
