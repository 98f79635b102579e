package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
)

// decodeCases are request bodies for DecodeRequest. wantErr, when set, is
// the exact message of the 400 the body must get; the full outcome (the
// decoded request, or the error's status, type, code and message) is also
// compared with testdata/decode/<name>.golden.
var decodeCases = []struct {
	name     string
	ep       Endpoint
	body     string
	wantErr  string
	wantCode string
}{
	// Accepted bodies.
	{name: "chat-minimal", body: `{"model":"auto","messages":[{"role":"user","content":"Hello"}]}`},
	{name: "chat-all-fields", body: `{
		"model": "agent",
		"messages": [
			{"role": "system", "content": "Be brief."},
			{"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
			{"role": "user", "content": "Weather?", "name": "alice"},
			{"role": "assistant", "content": null, "tool_calls": [
				{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"NYC\"}"}}
			]},
			{"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
		],
		"stream": true,
		"stream_options": {"include_usage": true},
		"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather by city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
		"tool_choice": "auto",
		"temperature": 0.5,
		"top_p": 0.9,
		"max_tokens": 100,
		"max_completion_tokens": 200,
		"stop": "END"
	}`},
	{name: "content-parts", body: `{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"text","text":"b"}]}]}`},
	{name: "content-null", body: `{"messages":[{"role":"assistant","content":null}]}`},
	{name: "content-missing", body: `{"messages":[{"role":"user"}]}`},
	{name: "content-empty-string", body: `{"messages":[{"role":"user","content":""}]}`},
	{name: "stop-list", body: `{"messages":[{"role":"user","content":"x"}],"stop":["a","b"]}`},
	{name: "stop-null", body: `{"messages":[{"role":"user","content":"x"}],"stop":null}`},
	{name: "tool-id-fallback", body: `{"messages":[{"role":"tool","id":"call_9","content":"42"}]}`},
	{name: "tool-call-arguments-object", body: `{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"n":12345678901234567890}}}]}]}`},
	{name: "unknown-fields-ignored", body: `{"messages":[{"role":"user","content":"x","extra":1}],"parallel_tool_calls":false,"logprobs":true,"seed":7,"user":"u"}`},
	{name: "response-format-json-schema", body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"a","description":"d","strict":true,"schema":{"type":"object"}}}}`},
	{name: "leading-whitespace", body: " \n\t{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n"},
	{name: "completions-prompt-string", ep: Completions, body: `{"model":"fast","prompt":"Once upon a time","max_tokens":16}`},
	{name: "completions-prompt-list", ep: Completions, body: `{"prompt":["line one","line two"]}`},
	{name: "completions-prompt-empty-string", ep: Completions, body: `{"prompt":""}`},
	{name: "completions-ignores-messages-check", ep: Completions, body: `{"prompt":"p","messages":[]}`},

	// Refused bodies.
	{name: "empty-body", body: ``, wantCode: "invalid_json",
		wantErr: "request body is empty; send a JSON object"},
	{name: "whitespace-body", body: " \r\n\t ", wantCode: "invalid_json",
		wantErr: "request body is empty; send a JSON object"},
	{name: "truncated-json", body: `{"messages": [`, wantCode: "invalid_json",
		wantErr: "request body is not valid JSON: unexpected end of JSON input (at byte 14)"},
	{name: "trailing-comma", body: `{"model": "x",}`, wantCode: "invalid_json",
		wantErr: "request body is not valid JSON: invalid character '}' looking for beginning of object key string (at byte 15)"},
	{name: "trailing-garbage", body: `{"messages":[{"role":"user","content":"x"}]} x`, wantCode: "invalid_json",
		wantErr: "request body is not valid JSON: invalid character 'x' after top-level value (at byte 46)"},
	{name: "not-json", body: `model=auto&prompt=hi`, wantCode: "invalid_json",
		wantErr: "request body is not valid JSON: invalid character 'm' looking for beginning of value (at byte 1)"},
	{name: "top-level-array", body: `[{"role":"user","content":"x"}]`, wantCode: "invalid_json",
		wantErr: "request body must be a JSON object, not array"},
	{name: "top-level-string", body: `"hello"`, wantCode: "invalid_json",
		wantErr: "request body must be a JSON object, not string"},
	{name: "top-level-number", body: `42`, wantCode: "invalid_json",
		wantErr: "request body must be a JSON object, not number"},
	{name: "top-level-null", body: `null`, wantCode: "missing_messages",
		wantErr: `"messages" is required: a list of {"role", "content"} objects`},
	{name: "messages-missing", body: `{"model":"auto"}`, wantCode: "missing_messages",
		wantErr: `"messages" is required: a list of {"role", "content"} objects`},
	{name: "messages-null", body: `{"messages":null}`, wantCode: "missing_messages",
		wantErr: `"messages" is required: a list of {"role", "content"} objects`},
	{name: "messages-empty", body: `{"messages":[]}`, wantCode: "missing_messages",
		wantErr: `"messages" must hold at least one message`},
	{name: "messages-object", body: `{"messages":{"role":"user","content":"x"}}`, wantCode: "invalid_json",
		wantErr: `field "messages" must be a list, not object`},
	{name: "messages-string", body: `{"messages":"hello"}`, wantCode: "invalid_json",
		wantErr: `field "messages" must be a list, not string`},
	{name: "message-not-object", body: `{"messages":["hello"]}`, wantCode: "invalid_json",
		wantErr: `field "messages[0]" must be an object, not string`},
	{name: "role-number", body: `{"messages":[{"role":1,"content":"x"}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[0].role" must be a string, not number`},
	{name: "role-number-third-message", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"},{"role":true,"content":"z"}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[2].role" must be a string, not bool`},
	{name: "role-missing", body: `{"messages":[{"role":"user","content":"x"},{"content":"y"}]}`, wantCode: "invalid_message",
		wantErr: `messages[1]: "role" is required`},
	{name: "role-unknown", body: `{"messages":[{"role":"bot","content":"x"}]}`, wantCode: "invalid_message",
		wantErr: `messages[0]: unknown role "bot" (want system, developer, user, assistant or tool)`},
	{name: "role-wrong-case", body: `{"messages":[{"role":"User","content":"x"}]}`, wantCode: "invalid_message",
		wantErr: `messages[0]: unknown role "User" (want system, developer, user, assistant or tool)`},
	{name: "content-number", body: `{"messages":[{"role":"user","content":42}]}`, wantCode: "invalid_json",
		wantErr: "invalid request body: messages[0].content must be a string, an array of content parts or null"},
	{name: "content-object", body: `{"messages":[{"role":"user","content":{"text":"x"}}]}`, wantCode: "invalid_json",
		wantErr: "invalid request body: messages[0].content must be a string, an array of content parts or null"},
	{name: "content-number-third-message", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"},{"role":"user","content":7}]}`, wantCode: "invalid_json",
		wantErr: "invalid request body: messages[2].content must be a string, an array of content parts or null"},
	{name: "content-part-text-number", body: `{"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[0].content[0].text" must be a string, not number`},
	{name: "content-part-text-number-second-part", body: `{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":5}]}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[1].content[1].text" must be a string, not number`},
	{name: "content-part-not-object", body: `{"messages":[{"role":"user","content":["a"]}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[0].content[0]" must be an object, not string`},
	{name: "image-url-number", body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":1}}]}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[0].content[0].image_url.url" must be a string, not number`},
	{name: "tool-call-id-number", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f"}},{"id":5,"type":"function","function":{"name":"f"}}]}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[1].tool_calls[1].id" must be a string, not number`},
	{name: "tool-calls-object", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":{"id":"a"}}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[1].tool_calls" must be a list, not object`},
	{name: "tool-call-name-missing", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{}]}]}`, wantCode: "invalid_message",
		wantErr: "messages[1].tool_calls[1]: function.name is required"},
	{name: "tool-call-name-empty", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"ok","tool_calls":[{"id":"a","type":"function","function":{"name":"","arguments":"{}"}}]}]}`, wantCode: "invalid_message",
		wantErr: "messages[1].tool_calls[0]: function.name is required"},
	{name: "tool-function-name-number", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":7}}]}`, wantCode: "invalid_json",
		wantErr: `field "tools[1].function.name" must be a string, not number`},
	{name: "response-format-type-number", body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":1}}`, wantCode: "invalid_json",
		wantErr: `field "response_format.type" must be a string, not number`},
	{name: "temperature-string", body: `{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, wantCode: "invalid_json",
		wantErr: `field "temperature" must be a number, not string`},
	{name: "stream-string", body: `{"messages":[{"role":"user","content":"x"}],"stream":"yes"}`, wantCode: "invalid_json",
		wantErr: `field "stream" must be true or false, not string`},
	{name: "max-tokens-string", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":"100"}`, wantCode: "invalid_json",
		wantErr: `field "max_tokens" must be an integer, not string`},
	{name: "max-tokens-fraction", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, wantCode: "invalid_json",
		wantErr: `field "max_tokens" must be an integer, not number 1.5`},
	{name: "max-completion-tokens-fraction", body: `{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":2.5}`, wantCode: "invalid_json",
		wantErr: `field "max_completion_tokens" must be an integer, not number 2.5`},
	{name: "max-tokens-too-large", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":1e30}`, wantCode: "invalid_json",
		wantErr: `field "max_tokens" must be an integer, not number 1e30`},
	{name: "tools-object", body: `{"messages":[{"role":"user","content":"x"}],"tools":{"type":"function"}}`, wantCode: "invalid_json",
		wantErr: `field "tools" must be a list, not object`},
	{name: "stream-options-bool", body: `{"messages":[{"role":"user","content":"x"}],"stream_options":true}`, wantCode: "invalid_json",
		wantErr: `field "stream_options" must be an object, not bool`},
	{name: "stop-number", body: `{"messages":[{"role":"user","content":"x"}],"stop":5}`, wantCode: "invalid_json",
		wantErr: "invalid request body: stop must be a string or a list of strings"},
	{name: "stop-list-of-numbers", body: `{"messages":[{"role":"user","content":"x"}],"stop":[1,2]}`, wantCode: "invalid_json",
		wantErr: "invalid request body: stop must be a string or a list of strings"},
	{name: "tool-name-missing", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"description":"no name"}}]}`, wantCode: "invalid_tool",
		wantErr: "tools[1]: function.name is required"},
	{name: "tool-declared-twice", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}},{"type":"function","function":{"name":"a","description":"again"}}]}`, wantCode: "invalid_tool",
		wantErr: `tools[2]: function "a" is declared twice (first in tools[0]); each tool needs a name of its own`},
	{name: "completions-prompt-missing", ep: Completions, body: `{"model":"fast"}`, wantCode: "missing_prompt",
		wantErr: `"prompt" is required: a string`},
	{name: "completions-prompt-null", ep: Completions, body: `{"prompt":null}`, wantCode: "missing_prompt",
		wantErr: `"prompt" is required: a string`},
	{name: "completions-prompt-tokens", ep: Completions, body: `{"prompt":[1,2,3]}`, wantCode: "invalid_json",
		wantErr: "invalid request body: prompt must be a string or a list of strings (token arrays are not supported)"},
	{name: "completions-prompt-number", ep: Completions, body: `{"prompt":7}`, wantCode: "invalid_json",
		wantErr: "invalid request body: prompt must be a string or a list of strings"},
	{name: "reasoning-round-trip", body: `{"reasoning_effort":"high","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"","reasoning_content":"I think.","reasoning_details":[{"type":"reasoning.text","text":"I think.","signature":"c2ln","format":"anthropic-claude-v1","index":0},{"type":"reasoning.encrypted","data":"b3BhcXVl","index":1}],"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`},
	{name: "reasoning-details-not-a-list", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"a","reasoning_details":{"type":"reasoning.text"}}]}`, wantCode: "invalid_json",
		wantErr: `field "messages[1].reasoning_details" must be a list, not object`},
	{name: "reasoning-effort-number", body: `{"messages":[{"role":"user","content":"x"}],"reasoning_effort":3}`, wantCode: "invalid_json",
		wantErr: `field "reasoning_effort" must be a string, not number`},
	{name: "completions-empty-body", ep: Completions, body: ``, wantCode: "invalid_json",
		wantErr: "request body is empty; send a JSON object"},
}

func TestDecodeRequest(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range decodeCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeRequest([]byte(tc.body), tc.ep)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("accepted; want 400 %q", tc.wantErr)
				}
				if err.Message != tc.wantErr {
					t.Errorf("message = %q\nwant      %q", err.Message, tc.wantErr)
				}
				if err.Status != http.StatusBadRequest || err.Type != TypeInvalidRequest || err.Code != tc.wantCode {
					t.Errorf("status, type, code = %d, %s, %s; want 400, %s, %s", err.Status, err.Type, err.Code, TypeInvalidRequest, tc.wantCode)
				}
				if req != nil {
					t.Errorf("request returned along with the error")
				}
			} else if err != nil {
				t.Fatalf("refused: %d %s", err.Status, err.Message)
			}
			golden.Assert(t, "decode/"+tc.name+".golden", renderDecode(req, err))
		})
	}
	checkNoStaleGoldens(t, "decode", ".golden", seen)
}

func renderDecode(req *ChatRequest, err *Error) []byte {
	if err != nil {
		return fmt.Appendf(nil, "error %d %s %s\n%s\n", err.Status, err.Type, err.Code, err.Message)
	}
	out, e := json.MarshalIndent(req, "", "  ")
	if e != nil {
		return []byte("marshal error: " + e.Error() + "\n")
	}
	return append(out, '\n')
}

// checkNoStaleGoldens fails when testdata/<dir> holds a golden file no case
// produces (a renamed or deleted case).
func checkNoStaleGoldens(t *testing.T, dir, suffix string, names map[string]bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	for _, f := range files {
		if !names[strings.TrimSuffix(filepath.Base(f), suffix)] {
			t.Errorf("%s belongs to no test case; delete it", f)
		}
	}
}

func TestContentUnmarshal(t *testing.T) {
	cases := []struct {
		in       string
		wantText string
		wantLen  int
		isString bool
		nilParts bool
		wantBack string // MarshalJSON of the result
	}{
		{in: `"Hello"`, wantText: "Hello", wantLen: 5, isString: true, wantBack: `"Hello"`},
		{in: `""`, wantText: "", wantLen: 0, isString: true, wantBack: `""`},
		{in: `null`, wantText: "", nilParts: true, wantBack: `null`},
		{in: ` null`, wantText: "", nilParts: true, wantBack: `null`},
		{in: `[]`, wantText: "", wantBack: `[]`},
		{in: `[{"type":"text","text":"a"},{"type":"text","text":"b"}]`, wantText: "a\nb", wantLen: 2,
			wantBack: `[{"type":"text","text":"a","image_url":null},{"type":"text","text":"b","image_url":null}]`},
		{in: `[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":"c"}]`, wantText: "a\nc", wantLen: 2,
			wantBack: `[{"type":"text","text":"a","image_url":null},{"type":"image_url","text":null,"image_url":{"url":"data:x"}},{"type":"text","text":"c","image_url":null}]`},
		{in: `[{"type":"text","text":""},{"type":"text","text":"b"}]`, wantText: "\nb", wantLen: 1,
			wantBack: `[{"type":"text","text":"","image_url":null},{"type":"text","text":"b","image_url":null}]`},
		{in: `[{"type":"image_url","image_url":{"url":"data:x"}}]`, wantText: "", wantLen: 0,
			wantBack: `[{"type":"image_url","text":null,"image_url":{"url":"data:x"}}]`},
	}
	for _, tc := range cases {
		var c Content
		if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := c.Text(); got != tc.wantText {
			t.Errorf("%s: Text() = %q, want %q", tc.in, got, tc.wantText)
		}
		if got := c.Len(); got != tc.wantLen {
			t.Errorf("%s: Len() = %d, want %d", tc.in, got, tc.wantLen)
		}
		if c.IsString != tc.isString || (c.Parts == nil) != tc.nilParts {
			t.Errorf("%s: IsString=%v nil parts=%v", tc.in, c.IsString, c.Parts == nil)
		}
		back, err := json.Marshal(c)
		if err != nil || string(back) != tc.wantBack {
			t.Errorf("%s: marshals back to %s (%v), want %s", tc.in, back, err, tc.wantBack)
		}
	}
	for _, bad := range []string{`42`, `true`, `{"text":"x"}`, `[1]`, `[{"type":"text","text":5}]`} {
		var c Content
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("content %s accepted", bad)
		}
	}
}

// TestContentLenCountsCharacters: Len is documented as the number of
// characters, and the auto classifier's token estimate (characters / 4)
// relies on it; non-ASCII text must not count its UTF-8 bytes.
func TestContentLenCountsCharacters(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{`"hello"`, 5},
		{`"héllo"`, 5},
		{`"日本語"`, 3},
		{`"🎉"`, 1},
		{`[{"type":"text","text":"日本"},{"type":"text","text":"語"}]`, 3},
	}
	for _, tc := range cases {
		var c Content
		if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Fatal(err)
		}
		if got := c.Len(); got != tc.want {
			t.Errorf("Content(%s).Len() = %d, want %d characters", tc.in, got, tc.want)
		}
	}
}

func TestStopUnmarshal(t *testing.T) {
	cases := []struct {
		in   string
		want Stop
	}{
		{`"END"`, Stop{"END"}},
		{`["a","b"]`, Stop{"a", "b"}},
		{`[]`, Stop{}},
		{`null`, nil},
		{`""`, Stop{""}},
	}
	for _, tc := range cases {
		var s Stop
		if err := json.Unmarshal([]byte(tc.in), &s); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if fmt.Sprintf("%q", s) != fmt.Sprintf("%q", tc.want) || (s == nil) != (tc.want == nil) {
			t.Errorf("%s: got %q, want %q", tc.in, s, tc.want)
		}
	}
	for _, bad := range []string{`5`, `true`, `{}`, `[1]`, `["a",null,3]`} {
		var s Stop
		err := json.Unmarshal([]byte(bad), &s)
		if err == nil || err.Error() != "stop must be a string or a list of strings" {
			t.Errorf("stop %s: err = %v", bad, err)
		}
	}
}

func TestPromptUnmarshal(t *testing.T) {
	cases := []struct {
		in   string
		want Prompt
	}{
		{`"hi"`, Prompt{Text: "hi", IsSet: true}},
		{`""`, Prompt{Text: "", IsSet: true}},
		{`["a","b","c"]`, Prompt{Text: "a\nb\nc", IsSet: true}},
		{`[]`, Prompt{Text: "", IsSet: true}},
		{`null`, Prompt{}},
	}
	for _, tc := range cases {
		var p Prompt
		if err := json.Unmarshal([]byte(tc.in), &p); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if p != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.in, p, tc.want)
		}
	}
	bad := map[string]string{
		`[1,2]`:   "prompt must be a string or a list of strings (token arrays are not supported)",
		`[[1,2]]`: "prompt must be a string or a list of strings (token arrays are not supported)",
		`7`:       "prompt must be a string or a list of strings",
		`{}`:      "prompt must be a string or a list of strings",
	}
	for in, want := range bad {
		var p Prompt
		if err := json.Unmarshal([]byte(in), &p); err == nil || err.Error() != want {
			t.Errorf("prompt %s: err = %v, want %q", in, err, want)
		}
	}
}

// FuzzUnquote checks the fast string decoder against encoding/json on
// every valid JSON string literal, escaped in the ways clients escape.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" and \\ backslash", "tab\tnew\nline\r", "slash / and <html> & é 🎉", "\x00\x1f ctrl", "\\u0041 literal", "invalid \xff utf8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		for _, lit := range [][]byte{bytes.TrimSpace(b.Bytes()), mustMarshal(s), bytes.ReplaceAll(mustMarshal(s), []byte("/"), []byte(`\/`))} {
			var want string
			if err := json.Unmarshal(lit, &want); err != nil {
				continue
			}
			got, err := unquote(lit)
			if err != nil || got != want {
				t.Fatalf("unquote(%s) = %q, %v; encoding/json gives %q", lit, got, err, want)
			}
		}
	})
}

func mustMarshal(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
