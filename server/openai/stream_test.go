package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmstack/llmstack/internal/golden"
)

// encodingJSON is what encoding/json writes for s, without its optional
// HTML escaping of <, > and & (which a stream has no use for).
func encodingJSON(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// wantDecoded is the string encoding/json reads back from its own encoding
// of s: each byte of invalid UTF-8 becomes one U+FFFD.
func wantDecoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func allControlChars() string {
	var b []byte
	for c := 0; c < 0x20; c++ {
		b = append(b, byte(c))
	}
	return string(b)
}

var appendStringCases = []struct {
	name string
	in   string
	want string // the exact encoding
}{
	{"empty", "", `""`},
	{"plain", "hello world", `"hello world"`},
	{"quote", `say "hi"`, `"say \"hi\""`},
	{"backslash", `C:\path\to`, `"C:\\path\\to"`},
	{"newline-cr-tab", "a\nb\rc\td", `"a\nb\rc\td"`},
	{"nul", "a\x00b", `"a\u0000b"`},
	{"escape-char", "\x1b[31m", `"\u001b[31m"`},
	{"unit-separator", "\x1f", `"\u001f"`},
	{"backspace", "a\bb", `"a\bb"`},
	{"formfeed", "a\fb", `"a\fb"`},
	{"all-control", allControlChars(), `"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"`},
	{"del", "\x7f", "\"\x7f\""},
	{"html-chars", "<a href='x'>&amp;</a>", `"<a href='x'>&amp;</a>"`},
	{"slash", "a/b", `"a/b"`},
	{"line-separator", "a\u2028b", `"a\u2028b"`},
	{"paragraph-separator", "a\u2029b", `"a\u2029b"`},
	{"other-2020s", "\u2027\u202a", "\"\u2027\u202a\""},
	{"non-ascii", "héllo, 世界 🎉", `"héllo, 世界 🎉"`},
	{"replacement-char", "\uFFFD", "\"\uFFFD\""},
	{"invalid-byte", "a\xffb", `"a\ufffdb"`},
	{"invalid-continuation", "\x80", `"\ufffd"`},
	{"truncated-sequence", "\xe2\x80", `"\ufffd\ufffd"`},
	{"truncated-at-end", "ok\xf0\x9f\x8e", `"ok\ufffd\ufffd\ufffd"`},
	{"utf8-surrogate", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
	{"overlong", "\xc0\xaf", `"\ufffd\ufffd"`},
	{"mixed", "\"\\\n\u2028\xff<", `"\"\\\n\u2028\ufffd<"`},
	{"json-in-string", `{"city": "NYC"}`, `"{\"city\": \"NYC\"}"`},
}

func TestAppendString(t *testing.T) {
	for _, tc := range appendStringCases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendString(nil, tc.in))
			if got != tc.want {
				t.Errorf("appendString(%q) = %s, want %s", tc.in, got, tc.want)
			}
			if ref := encodingJSON(t, tc.in); got != ref {
				t.Errorf("appendString(%q) = %s, encoding/json writes %s", tc.in, got, ref)
			}
			var back string
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("not a JSON string: %s: %v", got, err)
			}
			if back != wantDecoded(tc.in) {
				t.Errorf("reads back as %q, want %q", back, wantDecoded(tc.in))
			}
		})
	}
}

// TestAppendStringKeepsPrefix: appendString appends, it does not overwrite.
func TestAppendStringKeepsPrefix(t *testing.T) {
	dst := []byte(`{"k":`)
	got := string(appendString(dst, "v\n"))
	if got != `{"k":"v\n"` {
		t.Errorf("got %s", got)
	}
}

// TestAppendStringEveryByte compares every single byte and every
// two-byte combination of interesting bytes with encoding/json.
func TestAppendStringEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if got, want := string(appendString(nil, s)), encodingJSON(t, s); got != want {
			t.Errorf("byte %#02x: appendString = %s, encoding/json = %s", c, got, want)
		}
	}
	for r := rune(0x80); r < 0x3000; r++ {
		s := string(r)
		if got, want := string(appendString(nil, s)), encodingJSON(t, s); got != want {
			t.Errorf("rune %U: appendString = %s, encoding/json = %s", r, got, want)
		}
	}
}

// FuzzAppendString checks that whatever appendString writes is a JSON
// string that reads back as the input, with invalid UTF-8 replaced the way
// encoding/json replaces it.
func FuzzAppendString(f *testing.F) {
	for _, tc := range appendStringCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("appendString(%q) = %s is not valid JSON", s, out)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, out, err)
		}
		if want := wantDecoded(s); back != want {
			t.Fatalf("appendString(%q) = %s reads back as %q, want %q", s, out, back, want)
		}
		// Nothing a JavaScript parser or an SSE reader chokes on.
		if bytes.ContainsAny(out, "\n\r\u2028\u2029") {
			t.Fatalf("appendString(%q) = %q holds a raw line break", s, out)
		}
	})
}

// streamCases script a Stream; the SSE output is compared with
// testdata/stream/<name>.sse.
var streamCases = []struct {
	name   string
	ep     Endpoint
	id     string
	model  string
	script func(s *Stream)
}{
	{name: "chat-text", id: "chatcmpl-0001", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("Hello")
		s.Content(", world")
		s.Content("") // no event
		s.Finish("stop")
		s.Done()
	}},
	{name: "chat-escaping", id: "chatcmpl-\"q\"", model: "m\\odel", script: func(s *Stream) {
		s.Begin()
		s.Content("line1\nline2\t\"quoted\" \\ \u2028 \x01 \xff <&>")
		s.Finish("stop")
		s.Done()
	}},
	{name: "chat-reasoning", id: "chatcmpl-0002", model: "plan", script: func(s *Stream) {
		s.Begin()
		s.Reasoning("Let me think.")
		s.Reasoning("")
		s.Content("42")
		s.Finish("stop")
		s.Done()
	}},
	{name: "chat-reasoning-details", id: "chatcmpl-0008", model: "plan", script: func(s *Stream) {
		s.Begin()
		s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Text: "Let me \"think\".", Format: ReasoningFormat})
		s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Text: " More.", Format: ReasoningFormat})
		s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Signature: "c2ln", Format: ReasoningFormat})
		s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Format: ReasoningFormat}) // nothing to send
		s.ReasoningDetail(ReasoningDetail{Type: ReasoningEncrypted, Data: "b3BhcXVl", Format: ReasoningFormat, Index: 1})
		s.Content("42")
		s.Finish("stop")
		s.Done()
	}},
	{name: "chat-tool-calls", id: "chatcmpl-0003", model: "agent", script: func(s *Stream) {
		s.Begin()
		s.Content("Checking.")
		s.ToolCallStart(0, "call_a", "get_weather")
		s.ToolCallArguments(0, `{"city":`)
		s.ToolCallArguments(0, "")
		s.ToolCallArguments(0, ` "NYC"}`)
		s.ToolCallStart(1, "call_b", "get_time")
		s.ToolCallArguments(1, `{}`)
		s.Finish("tool_calls")
		s.Done()
	}},
	{name: "chat-usage", id: "chatcmpl-0004", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("ok")
		s.Finish("length")
		s.Usage(Usage{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15})
		s.Done()
	}},
	{name: "chat-usage-cached", id: "chatcmpl-0007", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("ok")
		s.Finish("stop")
		s.Usage(Usage{PromptTokens: 4105, CompletionTokens: 2, TotalTokens: 4107, PromptTokensDetails: &PromptTokensDetails{CachedTokens: 3900}})
		s.Done()
	}},
	{name: "chat-fail", id: "chatcmpl-0005", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("partial")
		s.Fail(&Error{Status: 502, Message: `Bedrock said "no" <now>`, Type: TypeUpstream, Code: "incomplete_stream"})
	}},
	{name: "chat-empty", id: "chatcmpl-0006", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Finish("stop")
		s.Done()
	}},
	{name: "text-completion", ep: Completions, id: "cmpl-0001", model: "fast", script: func(s *Stream) {
		s.Begin() // sends headers only
		s.Content("Once")
		s.Content(" upon")
		s.Reasoning("hidden") // not part of text_completion
		s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Text: "hidden", Index: 0})
		s.ToolCallStart(0, "call_x", "f")
		s.ToolCallArguments(0, "{}")
		s.Finish("stop")
		s.Usage(Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3})
		s.Done()
	}},
	{name: "chat-native-finish", id: "chatcmpl-0008", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("done")
		s.FinishNative("stop", "stop_sequence")
		s.Done()
	}},
	{name: "text-native-finish", ep: Completions, id: "cmpl-0003", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("Once")
		s.FinishNative("length", "max_tokens")
		s.Done()
	}},
	{name: "text-fail", ep: Completions, id: "cmpl-0002", model: "fast", script: func(s *Stream) {
		s.Begin()
		s.Content("Once")
		s.Fail(&Error{Status: 503, Message: "the router is shutting down; the answer was cut short", Type: TypeServer, Code: "shutting_down"})
	}},
}

func TestStream(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range streamCases {
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s := NewStream(rec, tc.ep, tc.id, 1700000000, tc.model)
			tc.script(s)
			if s.Err() != nil {
				t.Fatalf("Err() = %v", s.Err())
			}
			if rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
			for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if !rec.Flushed {
				t.Error("never flushed")
			}
			body := rec.Body.String()
			checkSSE(t, body, tc.ep, tc.id, tc.model)
			golden.Assert(t, "stream/"+tc.name+".sse", []byte(body))
		})
	}
	checkNoStaleGoldens(t, "stream", ".sse", names)
}

// checkSSE checks the shape every stream must have: data events separated
// by blank lines, each a JSON chunk with the stream's id, object, created
// and model, ending in [DONE] or in an error chunk.
func checkSSE(t *testing.T, body string, ep Endpoint, id, model string) {
	t.Helper()
	if !strings.HasSuffix(body, "\n\n") {
		t.Fatalf("stream does not end with a blank line: %q", body)
	}
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	object := "chat.completion.chunk"
	if ep == Completions {
		object = "text_completion"
	}
	for i, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("event %d is not one data line: %q", i, ev)
		}
		if data == "[DONE]" {
			if i != len(events)-1 {
				t.Errorf("[DONE] is event %d of %d", i, len(events))
			}
			continue
		}
		var chunk struct {
			ID      string            `json:"id"`
			Object  string            `json:"object"`
			Created int64             `json:"created"`
			Model   string            `json:"model"`
			Choices []json.RawMessage `json:"choices"`
			Error   *Error            `json:"error"`
		}
		dec := json.NewDecoder(strings.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&chunk); err != nil {
			var loose map[string]any
			if json.Unmarshal([]byte(data), &loose) != nil {
				t.Fatalf("event %d is not JSON: %v\n%s", i, err, data)
			}
			if _, ok := loose["usage"]; !ok {
				t.Errorf("event %d has unexpected fields: %v\n%s", i, err, data)
			}
			_ = json.Unmarshal([]byte(data), &chunk)
		}
		if chunk.ID != id || chunk.Object != object || chunk.Created != 1700000000 || chunk.Model != wantDecoded(model) {
			t.Errorf("event %d head = %q %q %d %q", i, chunk.ID, chunk.Object, chunk.Created, chunk.Model)
		}
		if chunk.Error != nil && i != len(events)-1 {
			t.Errorf("error chunk is event %d of %d", i, len(events))
		}
	}
}

func TestStreamChatStartsWithRole(t *testing.T) {
	rec := httptest.NewRecorder()
	s := NewStream(rec, ChatCompletions, "chatcmpl-x", 1, "m")
	if err := s.Begin(); err != nil {
		t.Fatal(err)
	}
	want := `data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}` + "\n\n"
	if rec.Body.String() != want {
		t.Errorf("first event:\n%s\nwant\n%s", rec.Body.String(), want)
	}
}

func TestStreamFailHasNoDone(t *testing.T) {
	rec := httptest.NewRecorder()
	s := NewStream(rec, ChatCompletions, "chatcmpl-x", 1, "m")
	s.Begin()
	s.Fail(&Error{Message: "boom", Type: TypeUpstream, Code: "upstream"})
	body := rec.Body.String()
	if strings.Contains(body, "[DONE]") {
		t.Errorf("failed stream sent [DONE]:\n%s", body)
	}
	last := body[strings.LastIndex(strings.TrimSuffix(body, "\n\n"), "\n\n")+2:]
	var chunk struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Error Error `json:"error"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(strings.TrimSpace(last), "data: ")), &chunk); err != nil {
		t.Fatalf("last event %q: %v", last, err)
	}
	if len(chunk.Choices) != 1 || chunk.Choices[0].FinishReason != "error" {
		t.Errorf("last event finish_reason: %+v", chunk.Choices)
	}
	if chunk.Error.Message != "boom" || chunk.Error.Type != TypeUpstream || chunk.Error.Code != "upstream" {
		t.Errorf("last event error: %+v", chunk.Error)
	}
}

// brokenWriter fails every write after the first n, as a client that went
// away does.
type brokenWriter struct {
	*httptest.ResponseRecorder
	n      int
	writes int
}

var errGone = errors.New("client gone")

func (w *brokenWriter) Write(b []byte) (int, error) {
	w.writes++
	if w.writes > w.n {
		return 0, errGone
	}
	return w.ResponseRecorder.Write(b)
}

func (w *brokenWriter) Flush() { w.ResponseRecorder.Flush() }

func TestStreamWriteErrorIsSticky(t *testing.T) {
	w := &brokenWriter{ResponseRecorder: httptest.NewRecorder(), n: 1}
	s := NewStream(w, ChatCompletions, "chatcmpl-x", 1, "m")
	if err := s.Begin(); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := s.Content("a"); !errors.Is(err, errGone) {
		t.Fatalf("Content after the client left = %v", err)
	}
	for name, err := range map[string]error{
		"Content":           s.Content("b"),
		"Content empty":     s.Content(""),
		"Reasoning":         s.Reasoning("r"),
		"ReasoningDetail":   s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Text: "r"}),
		"ToolCallStart":     s.ToolCallStart(0, "id", "f"),
		"ToolCallArguments": s.ToolCallArguments(0, "{}"),
		"Finish":            s.Finish("stop"),
		"Usage":             s.Usage(Usage{}),
		"Fail":              s.Fail(&Error{Message: "x"}),
		"Done":              s.Done(),
		"Err":               s.Err(),
	} {
		if !errors.Is(err, errGone) {
			t.Errorf("%s after a write error = %v, want the write error", name, err)
		}
	}
	if w.writes != 2 {
		t.Errorf("%d writes; want no write after the failed one", w.writes)
	}
	if strings.Count(w.Body.String(), "data: ") != 1 {
		t.Errorf("body:\n%s", w.Body.String())
	}
}

// TestStreamUsageMatchesMarshal checks that the hand-written usage chunk
// says what encoding/json says of the same Usage.
func TestStreamUsageMatchesMarshal(t *testing.T) {
	for _, u := range []Usage{
		{},
		{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15},
		{PromptTokens: 4105, CompletionTokens: 2, TotalTokens: 4107, PromptTokensDetails: &PromptTokensDetails{CachedTokens: 3900}},
		{PromptTokens: 200, TotalTokens: 200, PromptTokensDetails: &PromptTokensDetails{}},
	} {
		rec := httptest.NewRecorder()
		s := NewStream(rec, ChatCompletions, "chatcmpl-1", 1, "fast")
		s.Begin()
		s.Usage(u)
		events := strings.Split(strings.TrimSpace(rec.Body.String()), "\n\n")
		var chunk struct {
			Usage json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(events[len(events)-1], "data: ")), &chunk); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(u)
		if string(chunk.Usage) != string(want) {
			t.Errorf("usage chunk %s, encoding/json %s", chunk.Usage, want)
		}
	}
}
