package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// TestConversationStartingWithAssistant: Converse requires the first
// message to be a user turn. Histories that start with an assistant turn are
// common (a greeting replayed by a chat UI, or a history an agent trimmed or
// compacted so that it now begins with the model's reply or tool call). The
// router passes such a history through unchanged and Bedrock (and the fake,
// which applies the same rule) answers 400, so the conversation is wedged:
// every retry fails the same way.
func TestConversationStartingWithAssistant(t *testing.T) {
	for _, tt := range []struct{ name, messages string }{
		{"greeting", `[{"role":"system","content":"You are helpful."},
			{"role":"assistant","content":"Hi! How can I help?"},
			{"role":"user","content":"Fix the bug in main.go"}]`},
		{"trimmed-tool-history", `[{"role":"system","content":"You are an agent."},
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"bash","arguments":"{\"cmd\":\"ls\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"main.go"},
			{"role":"user","content":"Go on"}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return fakebedrock.Reply{Text: "ok"} })
			resp, body := f.post("/v1/chat/completions", `{"model":"code-smart","messages":`+tt.messages+`}`)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d, want 200 (the router should make the history start with a user turn): %s", resp.StatusCode, body)
			}
		})
	}
}

// TestStreamedToolCallWithoutArguments: Bedrock streams a call of a
// tool that takes no arguments as contentBlockStart + contentBlockStop with
// no input deltas. The router then leaves the OpenAI tool call's arguments
// as "" (not JSON), while the non-streaming path answers "{}" for the very
// same call. Clients that json-parse arguments (OpenAI SDK helpers,
// LangChain, many agents) fail on "".
func TestStreamedToolCallWithoutArguments(t *testing.T) {
	f := newFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{ToolUses: []fakebedrock.ToolUse{{ID: "tooluse_1", Name: "list_files", InputChunks: []string{}}}}
	})
	resp, body := f.post("/v1/chat/completions", `{"model":"code-smart","stream":true,
		"tools":[{"type":"function","function":{"name":"list_files","parameters":{"type":"object","properties":{}}}}],
		"messages":[{"role":"user","content":"List the files"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	args, seen := "", false
	for _, ev := range sseEvents(t, body) {
		if ev == "[DONE]" {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					ToolCalls []struct {
						Index    int
						Function struct {
							Arguments *string
						}
					} `json:"tool_calls"`
				}
			}
		}
		if err := json.Unmarshal([]byte(ev), &chunk); err != nil {
			t.Fatalf("chunk %s: %v", ev, err)
		}
		for _, c := range chunk.Choices {
			for _, tc := range c.Delta.ToolCalls {
				seen = true
				if tc.Function.Arguments != nil {
					args += *tc.Function.Arguments
				}
			}
		}
	}
	if !seen {
		t.Fatalf("no tool call in the stream:\n%s", body)
	}
	if !json.Valid([]byte(args)) {
		t.Errorf("streamed tool call arguments = %q, want valid JSON (\"{}\", as the non-streaming answer gives)", args)
	}
}

// TestNonStreamingRequestCutByShutdown: when the shutdown grace
// period ends, a streaming request gets an error chunk with code
// shutting_down, but a non-streaming request still waiting for Bedrock is
// answered with HTTP status 499 and "request cancelled before Bedrock
// answered": a non-standard status (nginx's "client closed request") sent
// to a client that did not cancel anything.
func TestNonStreamingRequestCutByShutdown(t *testing.T) {
	f := newFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "late", FirstTokenDelay: 30 * time.Second}
	})
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, server.Options{ShutdownGrace: 200 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(bufio.NewReader(resp.Body))
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	// Wait until the call is at Bedrock, then shut down.
	deadline := time.Now().Add(10 * time.Second)
	for len(f.fake.Requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the fake Bedrock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no answer after shutdown")
	}
	if r.err != nil {
		t.Fatalf("request failed: %v", r.err)
	}
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "shutting_down") {
		t.Errorf("non-streaming request cut by shutdown: status %d %s; want 503 with code shutting_down, as streams get", r.status, r.body)
	}
	select {
	case <-served:
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
}
