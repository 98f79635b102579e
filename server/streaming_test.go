package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// TestManySequentialStreams is the regression test for the SDK's request
// body hazard: on HTTP/1.1 the SDK closes the request body while the
// transport may still be writing it, which killed about 1 stream in 25
// mid-way ("use of closed network connection") before the router's client
// gave the wire its own copy of the body. Every stream must complete.
func TestManySequentialStreams(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	f := newFixtureWith(t, fakebedrock.Options{EarlyHeaders: true})
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Chunks: []string{"one ", "two ", "three"}}
	})
	body := `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"` + strings.Repeat("context ", 2000) + `"}]}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	failures := 0
	for i := range n {
		resp, err := client.Post(f.url+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !strings.HasSuffix(string(data), "data: [DONE]\n\n") || !strings.Contains(string(data), `"finish_reason":"stop"`) {
			failures++
			if failures <= 3 {
				t.Errorf("stream %d did not complete (err %v):\n%s", i, err, tail(data))
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d streams failed", failures, n)
	}
}

// TestEarlyHeadersErrors checks the fake's early-answer mode reports an
// error the only way left once 200 is sent, as an exception event, and that
// the router ends the stream with that error.
func TestEarlyHeadersErrors(t *testing.T) {
	f := newFixtureWith(t, fakebedrock.Options{EarlyHeaders: true})
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{ErrorType: "ThrottlingException", ErrorMessage: "slow down", Status: 429}
	})
	resp, data := f.post("/v1/chat/completions", `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	out := string(data)
	if !strings.Contains(out, `"finish_reason":"error"`) || !strings.Contains(out, "ThrottlingException") || !strings.Contains(out, "slow down") || strings.Contains(out, "[DONE]") {
		t.Errorf("stream does not end with the throttling error:\n%s", tail(data))
	}
}

func tail(b []byte) string {
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return string(b)
}

// TestClientDisconnectMidStream checks that a client leaving mid-stream
// cancels the Bedrock call and leaves the router serving.
func TestClientDisconnectMidStream(t *testing.T) {
	f := newFixture(t)
	f.fake.Respond(func(r fakebedrock.Request) fakebedrock.Reply {
		chunks := make([]string, 200)
		for i := range chunks {
			chunks[i] = "tok "
		}
		return fakebedrock.Reply{Chunks: chunks, InterEventDelay: 20 * time.Millisecond}
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", f.url+"/v1/chat/completions", strings.NewReader(`{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	for range 3 { // role chunk and two tokens
		if _, err := rd.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		rd.ReadString('\n')
	}
	cancel()
	resp.Body.Close()

	// The router keeps serving, and counts no error against the tier.
	f.fake.Respond(nil)
	resp2, body := f.post("/v1/chat/completions", `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`)
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("after a disconnect: %d %s", resp2.StatusCode, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var h server.Health
		_, hb := f.get("/health")
		json.Unmarshal(hb, &h)
		if h.Tiers[0].Requests == 2 {
			if h.Tiers[0].Errors != 0 {
				t.Errorf("a client disconnect counted as a tier error: %+v", h.Tiers[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the disconnected stream was never accounted for: %+v", h.Tiers[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGracefulShutdown checks both halves of a shutdown: a stream that ends
// within the grace period completes; one that does not ends with an error
// chunk instead of being cut off silently.
func TestGracefulShutdown(t *testing.T) {
	for _, tt := range []struct {
		name     string
		grace    time.Duration
		complete bool
	}{
		{"finishes-within-grace", 5 * time.Second, true},
		{"cut-after-grace", 300 * time.Millisecond, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
				chunks := make([]string, 20)
				for i := range chunks {
					chunks[i] = "tok "
				}
				return fakebedrock.Reply{Chunks: chunks, InterEventDelay: 50 * time.Millisecond}
			})
			cfg, err := tiers.Load(f.cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			var logs syncBuffer
			srv := server.New(cfg, server.Options{ShutdownGrace: tt.grace, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ctx, ln) }()

			resp, err := http.Post("http://"+ln.Addr().String()+"/v1/chat/completions", "application/json",
				strings.NewReader(`{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			rd := bufio.NewReader(resp.Body)
			rd.ReadString('\n') // the stream has started
			stop()
			rest, _ := io.ReadAll(rd)
			resp.Body.Close()
			text := string(rest)
			if tt.complete {
				if !strings.HasSuffix(text, "data: [DONE]\n\n") || strings.Count(text, `"content":"tok "`) != 20 {
					t.Errorf("stream did not complete during shutdown:\n%s", tail(rest))
				}
			} else {
				if strings.Contains(text, "[DONE]") || !strings.Contains(text, `"finish_reason":"error"`) || !strings.Contains(text, `"code":"shutting_down"`) {
					t.Errorf("stream cut by shutdown does not end with an error chunk:\n%s", tail(rest))
				}
			}
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not return after shutdown")
			}
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				t.Error("still accepting connections after shutdown")
			}
			if want := "msg=\"stopping: letting requests in flight finish\" requests=1"; !strings.Contains(logs.String(), want) {
				t.Errorf("the log does not say the router waits for the stream (%s):\n%s", want, logs.String())
			}
		})
	}
}

// TestConcurrentStreams runs many streams at once on one tier (one SDK
// client) and checks each gets exactly its own frames. aws-sdk-go-v2
// v1.63's restJson1 protocol decodes the event streams of all calls of a
// client with one shared codec; under -race this test reported that shared
// state until each stream got its own protocol instance.
func TestConcurrentStreams(t *testing.T) {
	f := newFixture(t)
	// Each stream repeats its own letter, so a frame decoded into another
	// stream shows up as a foreign letter.
	f.fake.Respond(func(r fakebedrock.Request) fakebedrock.Reply {
		var body struct {
			Messages []struct {
				Content []struct{ Text string }
			}
		}
		json.Unmarshal(r.Body, &body)
		letter := body.Messages[0].Content[0].Text
		chunks := make([]string, 40)
		for i := range chunks {
			chunks[i] = strings.Repeat(letter, 300)
		}
		return fakebedrock.Reply{Chunks: chunks}
	})
	const workers, each = 16, 20
	errs := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		letter := string(rune('a' + w))
		wg.Go(func() {
			for range each {
				resp, err := http.Post(f.url+"/v1/chat/completions", "application/json",
					strings.NewReader(`{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"`+letter+`"}]}`))
				if err != nil {
					errs <- err.Error()
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.HasSuffix(string(data), "data: [DONE]\n\n") || strings.Count(string(data), strings.Repeat(letter, 300)) != 40 {
					errs <- tail(data)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for e := range errs {
		if n++; n <= 2 {
			t.Errorf("a stream was corrupted or cut:\n%s", e)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d concurrent streams failed", n, workers*each)
	}
}
