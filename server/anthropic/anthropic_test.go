package anthropic

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/server/openai"
)

// TestFromOpenAI checks that each of the router's errors keeps its status
// and gets the Anthropic type clients act on (retry a rate_limit_error or
// overloaded_error, fix an invalid_request_error).
func TestFromOpenAI(t *testing.T) {
	tests := []struct {
		e    openai.Error
		want string
	}{
		{openai.Error{Status: 429, Type: openai.TypeRateLimit}, TypeRateLimit},
		{openai.Error{Status: 400, Type: openai.TypeInvalidRequest}, TypeInvalidRequest},
		{openai.Error{Status: 401, Type: openai.TypeAuthentication}, TypeAuthentication},
		{openai.Error{Status: 403, Type: openai.TypePermission}, TypePermission},
		{openai.Error{Status: 404, Type: openai.TypeNotFound}, TypeNotFound},
		{openai.Error{Status: 503, Type: openai.TypeUpstream}, TypeOverloaded},
		{openai.Error{Status: 502, Type: openai.TypeUpstream}, TypeAPI},
		{openai.Error{Status: 504, Type: openai.TypeTimeout}, TypeAPI},
		{openai.Error{Status: 413, Type: openai.TypeInvalidRequest}, TypeInvalidRequest},
		{openai.Error{Status: 405}, TypeInvalidRequest},
		{openai.Error{Status: 500, Type: openai.TypeServer}, TypeAPI},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		WriteError(rec, &tt.e)
		var body ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tt.e.Status || body.Type != "error" || body.Error.Type != tt.want {
			t.Errorf("%d %s: answered %d %+v, want %s", tt.e.Status, tt.e.Type, rec.Code, body, tt.want)
		}
	}
}

// TestToChat checks the translation of Messages requests for tiers
// served through Converse.
func TestToChat(t *testing.T) {
	tests := []struct {
		name, body string
		want       func(*openai.ChatRequest) bool
		err        string
	}{
		{"budget as effort", `{"thinking":{"type":"enabled","budget_tokens":9000},"messages":[]}`,
			func(r *openai.ChatRequest) bool { return r.ReasoningEffort == "medium" }, ""},
		{"adaptive effort", `{"thinking":{"type":"adaptive"},"output_config":{"effort":"max"},"messages":[]}`,
			func(r *openai.ChatRequest) bool { return r.ReasoningEffort == "high" }, ""},
		{"disabled", `{"thinking":{"type":"disabled"},"messages":[]}`,
			func(r *openai.ChatRequest) bool { return r.ReasoningEffort == "none" }, ""},
		{"tool choice any", `{"tool_choice":{"type":"any"},"messages":[]}`,
			func(r *openai.ChatRequest) bool { return string(r.ToolChoice) == `"required"` }, ""},
		{"tool choice tool", `{"tool_choice":{"type":"tool","name":"ls"},"messages":[]}`,
			func(r *openai.ChatRequest) bool {
				return string(r.ToolChoice) == `{"function":{"name":"ls"},"type":"function"}`
			}, ""},
		{"system inside messages", `{"system":"a","messages":[{"role":"user","content":"q"},{"role":"system","content":"b"}]}`,
			func(r *openai.ChatRequest) bool {
				return len(r.Messages) == 3 && r.Messages[0].Role == "system" && r.Messages[2].Role == "system" && r.Messages[2].Content.Text() == "b"
			}, ""},
		{"tool result first", `{"messages":[{"role":"user","content":[{"type":"text","text":"and"},{"type":"tool_result","tool_use_id":"t1","content":"out","is_error":true}]}]}`,
			func(r *openai.ChatRequest) bool {
				return len(r.Messages) == 2 && r.Messages[0].Role == "tool" && r.Messages[0].ToolCallID == "t1" && r.Messages[0].Content.Text() == "(the tool failed) out" && r.Messages[1].Content.Text() == "and"
			}, ""},
		{"assistant thinking and call", `{"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"c2ln"},{"type":"redacted_thinking","data":"ZGF0YQ=="},{"type":"tool_use","id":"t1","name":"ls","input":{"a":1}}]}]}`,
			func(r *openai.ChatRequest) bool {
				m := r.Messages[0]
				return len(m.ReasoningDetails) == 2 && m.ReasoningDetails[0].Signature == "c2ln" && m.ReasoningDetails[1].Data == "ZGF0YQ==" &&
					len(m.ToolCalls) == 1 && string(m.ToolCalls[0].Function.Arguments) == `"{\"a\":1}"`
			}, ""},
		{"pdf as file", `{"messages":[{"role":"user","content":[{"type":"document","title":"r.pdf","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]}`,
			func(r *openai.ChatRequest) bool {
				p := r.Messages[0].Content.Parts[0]
				return p.Type == "file" && p.File.Filename == "r.pdf" && p.File.FileData == "data:application/pdf;base64,JVBE"
			}, ""},
		{"stream asks for usage", `{"stream":true,"messages":[]}`,
			func(r *openai.ChatRequest) bool { return r.StreamOptions != nil && r.StreamOptions.IncludeUsage }, ""},
		{"url image", `{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}`, nil,
			`messages[0].content[0]: a image source of type "url" cannot reach this tier`},
		{"server tool block", `{"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s"}]}]}`, nil,
			`content block type "server_tool_use" is not supported`},
		{"bad role", `{"messages":[{"role":"tool","content":"x"}]}`, nil, `messages[0].role "tool"`},
		{"bad thinking", `{"thinking":{"type":"on"},"messages":[]}`, nil, `thinking.type "on"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, derr := Decode([]byte(tt.body))
			if derr != nil {
				t.Fatal(derr.Message)
			}
			got, err := ToChat(req)
			switch {
			case tt.err != "":
				if err == nil || err.Status != http.StatusBadRequest || !strings.Contains(err.Message, tt.err) {
					t.Errorf("error %v, want a 400 with %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err.Message)
			case !tt.want(got):
				out, _ := json.Marshal(got)
				t.Errorf("translated to %s", out)
			}
		})
	}
}

func TestDecodeNamesTheField(t *testing.T) {
	_, err := Decode([]byte(`{"model":"x","max_tokens":"many","messages":[]}`))
	if err == nil || !strings.Contains(err.Message, "max_tokens") {
		t.Errorf("error %v, want one naming max_tokens", err)
	}
}

// events reads an Anthropic event stream as "type" lines and the data.
func events(t *testing.T, body string) (types []string, data []map[string]any) {
	t.Helper()
	for _, ev := range strings.Split(strings.TrimSpace(body), "\n\n") {
		lines := strings.Split(ev, "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("malformed event %q", ev)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &d); err != nil {
			t.Fatal(err)
		}
		typ := strings.TrimPrefix(lines[0], "event: ")
		if d["type"] != typ {
			t.Errorf("event %s carries type %v", typ, d["type"])
		}
		types, data = append(types, typ), append(data, d)
	}
	return types, data
}

// TestAnswerWriterStream drives the router's OpenAI stream writer into an
// AnswerWriter and checks the Anthropic events that come out.
func TestAnswerWriterStream(t *testing.T) {
	rec := httptest.NewRecorder()
	aw := NewAnswerWriter(rec, "nova")
	s := openai.NewStream(aw, openai.ChatCompletions, "chatcmpl-abc", 1, "nova")
	steps := []func() error{
		s.Begin,
		func() error {
			return s.ReasoningDetail(openai.ReasoningDetail{Type: openai.ReasoningText, Text: "hm", Index: 0})
		},
		func() error {
			return s.ReasoningDetail(openai.ReasoningDetail{Type: openai.ReasoningText, Signature: "sig", Index: 0})
		},
		func() error { return s.Content("hel") },
		func() error { return s.Content("lo") },
		func() error { return s.ToolCallStart(0, "t1", "ls") },
		func() error { return s.ToolCallArguments(0, `{"a":`) },
		func() error { return s.ToolCallArguments(0, `1}`) },
		func() error { return s.FinishNative("tool_calls", "tool_use") },
		func() error {
			return s.Usage(openai.Usage{PromptTokens: 10, CompletionTokens: 3, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 4}})
		},
		s.Done,
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	aw.Finish(nil)
	types, data := events(t, rec.Body.String())
	want := "message_start content_block_start content_block_delta content_block_delta content_block_stop " +
		"content_block_start content_block_delta content_block_delta content_block_stop " +
		"content_block_start content_block_delta content_block_delta content_block_stop message_delta message_stop"
	if strings.Join(types, " ") != want {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(types, " "), want)
	}
	if rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
	delta, _ := json.Marshal(data[len(data)-2])
	if string(delta) != `{"delta":{"stop_reason":"tool_use","stop_sequence":null},"type":"message_delta","usage":{"cache_creation_input_tokens":0,"cache_read_input_tokens":4,"input_tokens":6,"output_tokens":3}}` {
		t.Errorf("message_delta %s", delta)
	}
	if sig, _ := json.Marshal(data[3]); !strings.Contains(string(sig), `"signature_delta"`) {
		t.Errorf("signature delta %s", sig)
	}
}

// TestAnswerWriterFailures checks that a stream that fails ends with an
// error event (no message_stop), and that a JSON error becomes an
// Anthropic error with its status.
func TestAnswerWriterFailures(t *testing.T) {
	rec := httptest.NewRecorder()
	aw := NewAnswerWriter(rec, "nova")
	s := openai.NewStream(aw, openai.ChatCompletions, "chatcmpl-abc", 1, "nova")
	_ = s.Begin()
	_ = s.Content("par")
	failure := &openai.Error{Status: 429, Message: "slow down", Type: openai.TypeRateLimit}
	_ = s.Fail(failure)
	aw.Finish(failure)
	types, data := events(t, rec.Body.String())
	if types[len(types)-1] != "error" || strings.Contains(strings.Join(types, " "), "message_stop") {
		t.Errorf("failed stream: %v", types)
	}
	if e, _ := data[len(data)-1]["error"].(map[string]any); e["type"] != TypeRateLimit || e["message"] != "slow down" {
		t.Errorf("error event %v", data[len(data)-1])
	}

	rec = httptest.NewRecorder()
	aw = NewAnswerWriter(rec, "nova")
	openai.WriteError(aw, &openai.Error{Status: 503, Message: "busy", Type: openai.TypeUpstream})
	aw.Finish(nil)
	var body ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 503 || body.Error.Type != TypeOverloaded || body.Error.Message != "busy" {
		t.Errorf("error answer %d %s", rec.Code, rec.Body)
	}
}

// TestUsageConversion checks both directions between Anthropic's usage
// (cache reads and writes apart from input_tokens, writes split by TTL in
// cache_creation) and the router's OpenAI usage (prompt tokens include
// the cache's, writes in cache_write_tokens, the one-hour part apart).
func TestUsageConversion(t *testing.T) {
	tests := []struct {
		name string
		raw  string // Anthropic usage JSON
		want openai.Usage
	}{
		{"no cache", `{"input_tokens":10,"output_tokens":2}`,
			openai.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}},
		{"reads", `{"input_tokens":10,"output_tokens":2,"cache_read_input_tokens":90}`,
			openai.Usage{PromptTokens: 100, CompletionTokens: 2, TotalTokens: 102, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 90}}},
		{"writes without a split are five-minute", `{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":40}`,
			openai.Usage{PromptTokens: 50, CompletionTokens: 2, TotalTokens: 52, PromptTokensDetails: &openai.PromptTokensDetails{CacheWriteTokens: 40}}},
		{"writes split by TTL", `{"input_tokens":10,"output_tokens":2,"cache_read_input_tokens":5,"cache_creation_input_tokens":40,"cache_creation":{"ephemeral_5m_input_tokens":15,"ephemeral_1h_input_tokens":25}}`,
			openai.Usage{PromptTokens: 55, CompletionTokens: 2, TotalTokens: 57, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 5, CacheWriteTokens: 40, CacheWrite1hTokens: 25}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u Usage
			if err := json.Unmarshal([]byte(tt.raw), &u); err != nil {
				t.Fatal(err)
			}
			got := u.OpenAIUsage()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("OpenAIUsage = %+v (details %+v); want %+v (details %+v)", got, got.PromptTokensDetails, tt.want, tt.want.PromptTokensDetails)
			}
			// And back, as a Converse answer reaches an Anthropic client.
			back := usageFrom(&got)
			if back.InputTokens != u.InputTokens || back.CacheReadInputTokens != u.CacheReadInputTokens ||
				back.CacheCreationInputTokens != u.CacheCreationInputTokens || back.OutputTokens != u.OutputTokens {
				t.Errorf("usageFrom = %+v; want the counts of %s", back, tt.raw)
			}
		})
	}
}
