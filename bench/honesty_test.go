package bench

import (
	"net/http"
	"strings"
	"testing"
)

// sse joins server-sent event lines, each followed by a blank line.
func sse(events ...string) string {
	return strings.Join(events, "\n\n") + "\n\n"
}

const (
	chunkRole  = `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`
	chunkA     = `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"xx "},"finish_reason":null}]}`
	chunkB     = `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"yy"},"finish_reason":null}]}`
	chunkStop  = `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	chunkError = `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"error"}],"error":{"message":"tier soak-main: Bedrock ModelStreamErrorException: injected","type":"upstream_error","code":"ModelStreamErrorException"}}`
	done       = `data: [DONE]`
	toolStart  = `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"bash","arguments":""}}]},"finish_reason":null}]}`
	toolArgs1  = `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"command\""}}]},"finish_reason":null}]}`
	toolArgs2  = `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"ls\"}"}}]},"finish_reason":null}]}`
	toolFinish = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`
)

var (
	wantText = Expect{Text: "xx yy"}
	wantTool = Expect{Text: "xx yy", Tool: "bash", ToolInput: `{"command":"ls"}`}
	routed   = http.Header{"X-Llmstack-Route": {"soak-main; reason=explicit"}}
)

func fellBack(cause string) http.Header {
	return http.Header{"X-Llmstack-Route": {"soak-main; reason=explicit; fallback=soak-backup after " + cause}}
}

// TestCheckOpenAIStream: a stream is honest when it ends cleanly with the
// whole answer, or ends with an error chunk and nothing after it.
func TestCheckOpenAIStream(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		want      Expect
		kind      string
		dishonest string // part of the reason, "" for honest
	}{
		{"clean", sse(chunkRole, chunkA, chunkB, chunkStop, done), wantText, KindOK, ""},
		{"error chunk", sse(chunkRole, chunkA, chunkError), wantText, "stream error ModelStreamErrorException", ""},
		{"error chunk before any text", sse(chunkRole, chunkError), wantText, "stream error ModelStreamErrorException", ""},
		{"clean stop after a failure", sse(chunkRole, chunkA, chunkError, chunkStop, done), wantText, "", "after the error chunk"},
		{"[DONE] after a failure", sse(chunkRole, chunkA, chunkError, done), wantText, "", "[DONE] after the error chunk"},
		{"text after a failure", sse(chunkRole, chunkA, chunkError, chunkB), wantText, "", "after the error chunk"},
		{"clean stop with text missing", sse(chunkRole, chunkA, chunkStop, done), wantText, "", "clean stop with an incomplete answer"},
		{"cut off without an error chunk", sse(chunkRole, chunkA, chunkB), wantText, "", "without [DONE] and without an error chunk"},
		{"cut off after the finish", sse(chunkRole, chunkA, chunkB, chunkStop), wantText, "", "without [DONE] and without an error chunk"},
		{"[DONE] without a finish_reason", sse(chunkRole, chunkA, chunkB, done), wantText, "", "[DONE] without a finish_reason"},
		{"error chunk without a message", sse(chunkRole, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"error"}]}`), wantText, "", "error chunk carries no error message"},
		{"not JSON", sse(chunkRole, `data: {"choices":`), wantText, "", "not JSON"},
		{"tool call", sse(chunkRole, chunkA, chunkB, toolStart, toolArgs1, toolArgs2, toolFinish, done), wantTool, KindOK, ""},
		{"tool call expected, text given", sse(chunkRole, chunkA, chunkB, chunkStop, done), wantTool, "", "clean stop with an incomplete answer"},
		{"tool call with its arguments cut short", sse(chunkRole, chunkA, chunkB, toolStart, toolArgs1, toolFinish, done), wantTool, "", "clean stop with an incomplete answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := CheckOpenAI(true, http.StatusOK, routed, []byte(tc.body), tc.want)
			checkOutcome(t, o, tc.kind, tc.dishonest)
		})
	}
}

// TestCheckOpenAIJSON: a failure is honest when its status is one the
// fault explains and the body is an OpenAI error object that agrees with
// it; a 200 must hold the whole answer.
func TestCheckOpenAIJSON(t *testing.T) {
	answer := `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"xx yy"},"finish_reason":"stop"}]}`
	toolAnswer := `{"choices":[{"index":0,"message":{"role":"assistant","content":"xx yy","tool_calls":[{"id":"call_1","type":"function","function":{"name":"bash","arguments":"{\"command\":\"ls\"}"}}]},"finish_reason":"tool_calls"}]}`
	throttled := `{"error":{"message":"tier soak-main: Bedrock ThrottlingException: Too many requests","type":"rate_limit_error","code":"ThrottlingException"}}`
	cases := []struct {
		name       string
		stream     bool
		status     int
		header     http.Header
		body       string
		want       Expect
		kind       string
		dishonest  string
		unexpected string
		fallback   string
	}{
		{"answer", false, 200, routed, answer, wantText, KindOK, "", "", ""},
		{"tool call", false, 200, routed, toolAnswer, wantTool, KindOK, "", "", ""},
		{"answer after a fallback", false, 200, fellBack("ThrottlingException"), answer, wantText, KindOK, "", "", "soak-backup after ThrottlingException"},
		{"throttled", false, 429, routed, throttled, wantText, "429 ThrottlingException", "", "", ""},
		{"throttled before a stream", true, 429, routed, throttled, wantText, "429 ThrottlingException", "", "", ""},
		{"unavailable", false, 503, routed, `{"error":{"message":"m","type":"upstream_error","code":"ServiceUnavailableException"}}`, wantText, "503 ServiceUnavailableException", "", "", ""},
		{"5xx as 502", false, 502, routed, `{"error":{"message":"m","type":"upstream_error","code":"InternalServerException"}}`, wantText, "502 InternalServerException", "", "", ""},
		{"throttling as a 502", false, 502, routed, throttled, wantText, "", "status 502 for ThrottlingException, want 429", "", ""},
		{"error without an error object", false, 503, routed, `Service Unavailable`, wantText, "", "not an OpenAI error object", "", ""},
		{"error object without a message", false, 429, routed, `{"error":{"type":"rate_limit_error","code":"ThrottlingException"}}`, wantText, "", "not an OpenAI error object", "", ""},
		{"200 with an incomplete answer", false, 200, routed, `{"choices":[{"index":0,"message":{"role":"assistant","content":"xx"},"finish_reason":"stop"}]}`, wantText, "", "incomplete answer", "", ""},
		{"200 with an error finish", false, 200, routed, `{"choices":[{"index":0,"message":{"role":"assistant","content":"xx yy"},"finish_reason":"error"}]}`, wantText, "", "finish_reason \"error\"", "", ""},
		{"200 holding an error", false, 200, routed, throttled, wantText, "", "no choices", "", ""},
		{"a status no fault explains", false, 400, routed, `{"error":{"message":"bad","type":"invalid_request_error"}}`, wantText, "400 invalid_request_error", "", "status 400", ""},
		{"no route header", false, 200, http.Header{}, answer, wantText, KindOK, "", "no X-LLMStack-Route", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := CheckOpenAI(tc.stream, tc.status, tc.header, []byte(tc.body), tc.want)
			checkOutcome(t, o, tc.kind, tc.dishonest)
			if !contains(o.Unexpected, tc.unexpected) {
				t.Errorf("unexpected = %q, want %q", o.Unexpected, tc.unexpected)
			}
			if o.Fallback != tc.fallback {
				t.Errorf("fallback = %q, want %q", o.Fallback, tc.fallback)
			}
		})
	}
}

// TestCheckMessages: the same rules in Anthropic's shapes: an error event
// and nothing after it, never message_stop after a failure.
func TestCheckMessages(t *testing.T) {
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data }
	start := ev("message_start", `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[]}}`)
	block := ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	textA := ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"xx "}}`)
	textB := ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"yy"}}`)
	stopBlock := ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
	delta := ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"}}`)
	stop := ev("message_stop", `{"type":"message_stop"}`)
	failed := ev("error", `{"type":"error","error":{"type":"api_error","message":"tier soak-main: Bedrock ModelStreamErrorException: injected"}}`)
	ping := ev("ping", `{"type":"ping"}`)
	answer := `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"xx yy"}],"stop_reason":"end_turn"}`
	cases := []struct {
		name      string
		stream    bool
		status    int
		body      string
		kind      string
		dishonest string
	}{
		{"answer", false, 200, answer, KindOK, ""},
		{"incomplete answer", false, 200, `{"type":"message","content":[{"type":"text","text":"xx"}],"stop_reason":"end_turn"}`, "", "incomplete answer"},
		{"throttled", false, 429, `{"type":"error","error":{"type":"rate_limit_error","message":"m"}}`, "429 rate_limit_error", ""},
		{"overloaded", false, 503, `{"type":"error","error":{"type":"overloaded_error","message":"m"}}`, "503 overloaded_error", ""},
		{"api error", false, 502, `{"type":"error","error":{"type":"api_error","message":"m"}}`, "502 api_error", ""},
		{"throttling as a 503", false, 503, `{"type":"error","error":{"type":"rate_limit_error","message":"m"}}`, "", "status 503 for rate_limit_error, want 429"},
		{"an OpenAI error object", false, 429, `{"error":{"message":"m","type":"rate_limit_error"}}`, "", "not an Anthropic error object"},
		{"stream", true, 200, sse(start, block, textA, ping, textB, stopBlock, delta, stop), KindOK, ""},
		{"stream error event", true, 200, sse(start, block, textA, failed), "stream error api_error", ""},
		{"message_stop after a failure", true, 200, sse(start, block, textA, failed, stopBlock, delta, stop), "", "after the error event"},
		{"stream cut off", true, 200, sse(start, block, textA), "", "without message_stop and without an error event"},
		{"clean stop with text missing", true, 200, sse(start, block, textA, stopBlock, delta, stop), "", "clean stop with an incomplete answer"},
		{"stream throttled before it started", true, 429, `{"type":"error","error":{"type":"rate_limit_error","message":"m"}}`, "429 rate_limit_error", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := CheckMessages(tc.stream, tc.status, routed, []byte(tc.body), wantText)
			checkOutcome(t, o, tc.kind, tc.dishonest)
		})
	}
}

// TestToolCallOfAnswer: a tool loop's next turn answers the call the
// router issued, by its id.
func TestToolCallOfAnswer(t *testing.T) {
	o := CheckOpenAI(true, 200, routed, []byte(sse(chunkRole, chunkA, chunkB, toolStart, toolArgs1, toolArgs2, toolFinish, done)), wantTool)
	if o.ToolCallID != "call_1" || o.Text != "xx yy" {
		t.Errorf("tool call id %q, text %q; want call_1 and the text", o.ToolCallID, o.Text)
	}
}

func checkOutcome(t *testing.T, o Outcome, kind, dishonest string) {
	t.Helper()
	if dishonest == "" {
		if o.Dishonest != "" {
			t.Fatalf("counted DISHONEST (%s); want honest %q", o.Dishonest, kind)
		}
		if o.Kind != kind {
			t.Errorf("kind = %q, want %q", o.Kind, kind)
		}
		return
	}
	if !strings.Contains(o.Dishonest, dishonest) {
		t.Errorf("dishonest = %q (kind %q), want a reason containing %q", o.Dishonest, o.Kind, dishonest)
	}
}

func contains(s, part string) bool {
	if part == "" {
		return s == ""
	}
	return strings.Contains(s, part)
}
