package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// TestBedrockEndToEnd drives the router, the real aws-sdk-go-v2 client and
// the fake Bedrock together: what the client gets back, what Bedrock
// received (golden files), and who signed it for which region.
func TestBedrockEndToEnd(t *testing.T) {
	weather := `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	tests := []struct {
		name      string
		path      string
		body      string
		reply     fakebedrock.Reply
		op        string
		model     string
		key       string
		region    string
		token     string
		route     string
		streaming bool
	}{
		{
			name:  "text",
			path:  "/v1/chat/completions",
			body:  `{"model":"code-fast","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}]}`,
			reply: fakebedrock.Reply{Text: "Hello there", InputTokens: 9, OutputTokens: 2},
			op:    "Converse", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=explicit",
		},
		{
			name:  "text-stream",
			path:  "/v1/chat/completions",
			body:  `{"model":"fast","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello"}]}`,
			reply: fakebedrock.Reply{Chunks: []string{"Hel", "lo ", "there"}, InputTokens: 5, OutputTokens: 3},
			op:    "ConverseStream", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=alias fast", streaming: true,
		},
		{
			name:  "caller-sampler-wins",
			path:  "/v1/chat/completions",
			body:  `{"model":"code-fast","temperature":0.7,"max_tokens":99999,"stop":"END","messages":[{"role":"user","content":"Count"}]}`,
			reply: fakebedrock.Reply{Text: "1 2 3", StopReason: "stop_sequence"},
			op:    "Converse", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=explicit",
		},
		{
			name:  "tool-call",
			path:  "/v1/chat/completions",
			body:  `{"model":"code-smart","messages":[{"role":"user","content":"Weather in Paris?"}],` + weather + `,"tool_choice":"required"}`,
			reply: fakebedrock.Reply{ToolUses: []fakebedrock.ToolUse{{ID: "tooluse_1", Name: "get_weather", Input: `{"city":"Paris"}`}}, InputTokens: 40, OutputTokens: 12},
			op:    "Converse", model: "smart-model-v1", key: keySmart, region: "us-east-1", token: "token-smart", route: "code-smart; reason=explicit",
		},
		{
			name: "tool-call-stream",
			path: "/v1/chat/completions",
			body: `{"model":"smart","stream":true,"messages":[{"role":"user","content":"Weather in Paris and Rome?"}],` + weather + `}`,
			reply: fakebedrock.Reply{Chunks: []string{"Checking."}, ToolUses: []fakebedrock.ToolUse{
				{ID: "tooluse_1", Name: "get_weather", InputChunks: []string{`{"city":`, `"Paris"}`}},
				{ID: "tooluse_2", Name: "get_weather", InputChunks: []string{`{"city":"Rome"}`}},
			}},
			op: "ConverseStream", model: "smart-model-v1", key: keySmart, region: "us-east-1", token: "token-smart", route: "code-smart; reason=alias smart", streaming: true,
		},
		{
			name: "tool-history-without-tools",
			path: "/v1/chat/completions",
			body: `{"model":"code-smart","messages":[
				{"role":"system","content":"You are an agent."},
				{"role":"user","content":"Fix the build"},
				{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"bash","arguments":"{\"cmd\":\"make\"}"}},{"id":"call_b","type":"function","function":{"name":"read","arguments":"{\"path\":\"Makefile\"}"}}]},
				{"role":"tool","tool_call_id":"call_a","content":"make: *** [all] Error 1"},
				{"role":"user","content":"Go on"}]}`,
			reply: fakebedrock.Reply{Text: "The build fails in all."},
			op:    "Converse", model: "smart-model-v1", key: keySmart, region: "us-east-1", token: "token-smart", route: "code-smart; reason=explicit",
		},
		{
			name:  "structured-output-stream",
			path:  "/v1/chat/completions",
			body:  `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"A colour?"}],"response_format":{"type":"json_schema","json_schema":{"name":"colour","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}}}`,
			reply: fakebedrock.Reply{Chunks: []string{`{"name":`, `"teal"}`}},
			op:    "ConverseStream", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=explicit", streaming: true,
		},
		{
			name:  "prompt-cache-stream",
			path:  "/v1/chat/completions",
			body:  `{"model":"plan","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You plan."},{"role":"user","content":"Weather in Paris?"}],` + weather + `}`,
			reply: fakebedrock.Reply{Chunks: []string{"Sunny."}, InputTokens: 6, OutputTokens: 2, CacheReadTokens: 4000, CacheWriteTokens: 120},
			op:    "ConverseStream", model: "plan-model-v1", key: keyDefault, region: "eu-central-1", route: "plan; reason=explicit", streaming: true,
		},
		{
			name:  "auto-plan",
			path:  "/v1/chat/completions",
			body:  `{"model":"auto","messages":[{"role":"user","content":"What architecture should we use for the cache?"}]}`,
			reply: fakebedrock.Reply{Text: "Use a write-through cache.", Reasoning: "Consider the read ratio."},
			op:    "Converse", model: "plan-model-v1", key: keyDefault, region: "eu-central-1", route: `plan; reason=plan-word "architecture"`,
		},
		{
			// opencode's shape for an attached PDF.
			name:  "document",
			path:  "/v1/chat/completions",
			body:  `{"model":"code-smart","messages":[{"role":"user","content":[{"type":"text","text":"Summarise this."},{"type":"file","file":{"filename":"report.pdf","file_data":"data:application/pdf;base64,JVBERi0xLjQK"}}]}]}`,
			reply: fakebedrock.Reply{Text: "A one-page PDF.", StopReason: "end_turn"},
			op:    "Converse", model: "smart-model-v1", key: keySmart, region: "us-east-1", token: "token-smart", route: "code-smart; reason=explicit",
		},
		{
			name:  "document-only-stream",
			path:  "/v1/chat/completions",
			body:  `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"data.csv","file_data":"data:text/csv;base64,YSxiCjEsMgo="}},{"type":"file","file":{"filename":"data.csv","file_data":"data:text/csv;base64,YSxiCjMsNAo="}}]}]}`,
			reply: fakebedrock.Reply{Chunks: []string{"Two ", "tables."}},
			op:    "ConverseStream", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=explicit", streaming: true,
		},
		{
			name: "tool-result-image",
			path: "/v1/chat/completions",
			body: `{"model":"code-smart","messages":[
				{"role":"user","content":"What is on screen?"},
				{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"screenshot","arguments":"{}"}}]},
				{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"Taken."},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}],
				"tools":[{"type":"function","function":{"name":"screenshot","parameters":{"type":"object"}}}]}`,
			reply: fakebedrock.Reply{Text: "A terminal."},
			op:    "Converse", model: "smart-model-v1", key: keySmart, region: "us-east-1", token: "token-smart", route: "code-smart; reason=explicit",
		},
		{
			name:  "completions",
			path:  "/v1/completions",
			body:  `{"model":"code-fast","prompt":"def add(a, b):","max_tokens":16}`,
			reply: fakebedrock.Reply{Text: "\n    return a + b", StopReason: "max_tokens"},
			op:    "Converse", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=explicit",
		},
		{
			name:  "completions-stream",
			path:  "/v1/completions",
			body:  `{"model":"code-fast","prompt":["def add(a, b):"],"stream":true}`,
			reply: fakebedrock.Reply{Chunks: []string{"\n    return", " a + b"}},
			op:    "ConverseStream", model: "fast-model-v1", key: keyFast, region: "us-west-2", route: "code-fast; reason=explicit", streaming: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return tt.reply })
			resp, body := f.post(tt.path, tt.body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("X-LLMStack-Route"); got != tt.route {
				t.Errorf("X-LLMStack-Route = %q, want %q", got, tt.route)
			}
			if tt.streaming {
				if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
					t.Errorf("Content-Type = %q", ct)
				}
				golden.Assert(t, "e2e/"+tt.name+".response.sse", normalize(body))
				events := sseEvents(t, body)
				if len(events) == 0 || events[len(events)-1] != "[DONE]" {
					t.Errorf("stream does not end with [DONE]: %q", events)
				}
			} else {
				golden.AssertJSON(t, "e2e/"+tt.name+".response.json", normalize(body))
			}

			got := f.lastRequest()
			golden.AssertJSON(t, "e2e/"+tt.name+".converse.json", got.Body)
			if got.Operation != tt.op || got.ModelID != tt.model {
				t.Errorf("Bedrock got %s %s, want %s %s", got.Operation, got.ModelID, tt.op, tt.model)
			}
			if got.AccessKeyID != tt.key || got.Region != tt.region || got.Service != "bedrock" {
				t.Errorf("signed by %s for %s/%s, want %s for %s/bedrock", got.AccessKeyID, got.Region, got.Service, tt.key, tt.region)
			}
			if got.SessionToken != tt.token {
				t.Errorf("session token %q, want %q", got.SessionToken, tt.token)
			}
		})
	}
}

// TestBedrockErrors checks that Bedrock's errors reach the client with an
// honest status and an OpenAI error object, streaming or not.
func TestBedrockErrors(t *testing.T) {
	tests := []struct {
		errType string
		status  int
		want    int
		typ     string
	}{
		{"ThrottlingException", 429, 429, "rate_limit_error"},
		{"ServiceQuotaExceededException", 400, 429, "rate_limit_error"},
		{"ValidationException", 400, 400, "invalid_request_error"},
		{"AccessDeniedException", 403, 403, "permission_error"},
		{"ResourceNotFoundException", 404, 404, "not_found_error"},
		{"ModelTimeoutException", 408, 408, "timeout_error"},
		{"ServiceUnavailableException", 503, 503, "upstream_error"},
		{"ModelNotReadyException", 429, 503, "upstream_error"},
		{"ModelErrorException", 424, 502, "upstream_error"},
		{"InternalServerException", 500, 502, "upstream_error"},
		{"UnrecognizedClientException", 403, 401, "authentication_error"},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.errType
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				f := newFixture(t)
				f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
					return fakebedrock.Reply{Status: tt.status, ErrorType: tt.errType, ErrorMessage: "scripted " + tt.errType}
				})
				body := `{"model":"plan","messages":[{"role":"user","content":"hi"}]}`
				if stream {
					body = `{"model":"plan","stream":true,"messages":[{"role":"user","content":"hi"}]}`
				}
				resp, data := f.post("/v1/chat/completions", body)
				if resp.StatusCode != tt.want {
					t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, data)
				}
				var e struct {
					Error struct{ Message, Type, Code string }
				}
				if err := json.Unmarshal(data, &e); err != nil {
					t.Fatalf("not an OpenAI error object: %s", data)
				}
				if e.Error.Type != tt.typ || e.Error.Code != tt.errType || !strings.Contains(e.Error.Message, "scripted "+tt.errType) || !strings.Contains(e.Error.Message, "plan-model-v1") {
					t.Errorf("error = %+v", e.Error)
				}
			})
		}
	}
}

// TestMidStreamFailures checks that a stream Bedrock breaks off ends with an
// error chunk, never a clean stop.
func TestMidStreamFailures(t *testing.T) {
	tests := []struct {
		name  string
		reply fakebedrock.Reply
		code  string
	}{
		{"throttling-exception", fakebedrock.Reply{Chunks: []string{"a", "b", "c"}, Exception: "throttlingException", ExceptionAfter: 2}, "ThrottlingException"},
		{"model-stream-error", fakebedrock.Reply{Chunks: []string{"a"}, Exception: "modelStreamErrorException", ExceptionAfter: 1}, "ModelStreamErrorException"},
		{"truncated", fakebedrock.Reply{Chunks: []string{"a", "b"}, Truncate: true}, "incomplete_stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return tt.reply })
			resp, body := f.post("/v1/chat/completions", `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			golden.Assert(t, "e2e/midstream-"+tt.name+".sse", normalize(body))
			events := sseEvents(t, body)
			last := events[len(events)-1]
			var chunk struct {
				Choices []struct {
					FinishReason *string `json:"finish_reason"`
				}
				Error *struct{ Message, Type, Code string }
			}
			if err := json.Unmarshal([]byte(last), &chunk); err != nil {
				t.Fatalf("last event %q: %v", last, err)
			}
			if len(chunk.Choices) != 1 || chunk.Choices[0].FinishReason == nil || *chunk.Choices[0].FinishReason != "error" {
				t.Errorf("last chunk %s: want finish_reason error", last)
			}
			if chunk.Error == nil || chunk.Error.Code != tt.code {
				t.Errorf("last chunk %s: want error code %s", last, tt.code)
			}
			for _, ev := range events {
				if ev == "[DONE]" || strings.Contains(ev, `"finish_reason":"stop"`) {
					t.Errorf("a broken stream must not look complete: %s", ev)
				}
			}
		})
	}
}

// TestTokenStats checks that each tier counts the tokens Bedrock reported,
// streamed or not, and how many of them came from the prompt cache.
func TestTokenStats(t *testing.T) {
	f := newFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Chunks: []string{"ok"}, InputTokens: 10, OutputTokens: 3, CacheReadTokens: 900, CacheWriteTokens: 90}
	})
	for _, body := range []string{
		`{"model":"plan","messages":[{"role":"user","content":"a"}]}`,
		`{"model":"plan","stream":true,"messages":[{"role":"user","content":"b"}]}`,
	} {
		if resp, out := f.post("/v1/chat/completions", body); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
	for _, ts := range f.server.Status().Tiers {
		if ts.Name != "plan" {
			continue
		}
		got := [3]int64{ts.Stats.PromptTokens, ts.Stats.CachedTokens, ts.Stats.CompletionTokens}
		if want := [3]int64{2 * 1000, 2 * 900, 2 * 3}; got != want || !ts.PromptCache {
			t.Errorf("plan: tokens (prompt, cached, completion) = %v, prompt cache %v; want %v, true", got, ts.PromptCache, want)
		}
		return
	}
	t.Fatal("no plan tier in the status")
}
