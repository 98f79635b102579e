package bedrock

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// canonical re-encodes JSON with sorted keys and exact numbers, so two
// documents compare equal exactly when they hold the same value.
func canonical(t testing.TB, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// assertJSONEqual marshals got and compares it with the literal JSON want.
func assertJSONEqual(t testing.TB, what string, got any, want string) {
	t.Helper()
	raw, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if g, w := canonical(t, raw), canonical(t, []byte(want)); g != w {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

func msgs(t testing.TB, raw string) []openai.Message {
	t.Helper()
	var m []openai.Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func convert(t testing.TB, raw string) []Message {
	t.Helper()
	out, err := ConvertMessages(msgs(t, raw))
	if err != nil {
		t.Fatalf("ConvertMessages: %s", err.Message)
	}
	return out
}

// The seed expectations, restated from the Python test suite and checked
// against literal JSON so no golden-file update can bless a regression.

func TestSeedEmptyMessages(t *testing.T) {
	for _, in := range [][]openai.Message{nil, {}} {
		out, err := ConvertMessages(in)
		if err != nil {
			t.Fatal(err.Message)
		}
		assertJSONEqual(t, "empty list", out, `[]`)
	}
}

func TestSeedSystemLeftOut(t *testing.T) {
	out := convert(t, `[{"role":"system","content":"You are helpful."},{"role":"user","content":"Hello"}]`)
	assertJSONEqual(t, "messages", out, `[{"role":"user","content":[{"text":"Hello"}]}]`)
	out = convert(t, `[{"role":"system","content":"Only a system prompt."}]`)
	assertJSONEqual(t, "system only", out, `[]`)
	sys := SystemBlocks(msgs(t, `[{"role":"system","content":"You are helpful."},{"role":"user","content":"Hello"}]`))
	assertJSONEqual(t, "system", sys, `[{"text":"You are helpful."}]`)
}

func TestSeedTextTurns(t *testing.T) {
	assertJSONEqual(t, "user", convert(t, `[{"role":"user","content":"Hello"}]`),
		`[{"role":"user","content":[{"text":"Hello"}]}]`)
	assertJSONEqual(t, "assistant", convert(t, `[{"role":"assistant","content":"Hello"}]`),
		`[{"role":"assistant","content":[{"text":"Hello"}]}]`)
}

func TestSeedToolResultMergesIntoUserTurn(t *testing.T) {
	out := convert(t, `[
		{"role":"user","content":"Hello"},
		{"role":"tool","tool_call_id":"tool_123","content":"result value"}
	]`)
	assertJSONEqual(t, "user + tool", out, `[{"role":"user","content":[
		{"text":"Hello"},
		{"toolResult":{"toolUseId":"tool_123","content":[{"text":"result value"}]}}
	]}]`)
}

func TestSeedOrphanToolCall(t *testing.T) {
	out := convert(t, `[{"role":"assistant","content":"I'll run a tool","tool_calls":[
		{"id":"call_123","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"NYC\"}"}}
	]}]`)
	assertJSONEqual(t, "orphan tool call", out, `[
		{"role":"assistant","content":[
			{"text":"I'll run a tool"},
			{"toolUse":{"toolUseId":"call_123","name":"get_weather","input":{"city":"NYC"}}}
		]},
		{"role":"user","content":[
			{"toolResult":{"toolUseId":"call_123","content":[{"text":"(no result; tool call was cancelled or interrupted -- treat as failed)"}],"status":"error"}}
		]}
	]`)
	if OrphanToolResultText != "(no result; tool call was cancelled or interrupted -- treat as failed)" {
		t.Errorf("OrphanToolResultText = %q", OrphanToolResultText)
	}
}

func TestSeedReferencedTools(t *testing.T) {
	toolUse := func(id, name string) ContentBlock {
		return ContentBlock{ToolUse: &ToolUse{ToolUseID: id, Name: name, Input: json.RawMessage(`{}`)}}
	}
	cases := []struct {
		name string
		in   []Message
		want []string
	}{
		{"empty", nil, nil},
		{"no tool use", []Message{
			{Role: "user", Content: []ContentBlock{{Text: "hi"}}},
			{Role: "assistant", Content: []ContentBlock{{Text: "hello"}}},
		}, nil},
		{"one tool use", []Message{
			{Role: "assistant", Content: []ContentBlock{{Text: "x"}, toolUse("c1", "get_weather")}},
		}, []string{"get_weather"}},
		{"two in one turn", []Message{
			{Role: "assistant", Content: []ContentBlock{toolUse("c1", "get_weather"), toolUse("c2", "get_time")}},
		}, []string{"get_time", "get_weather"}},
		{"repeated and across turns", []Message{
			{Role: "assistant", Content: []ContentBlock{toolUse("c1", "zebra"), toolUse("c2", "apple")}},
			{Role: "user", Content: []ContentBlock{{ToolResult: &ToolResult{ToolUseID: "c1"}}}},
			{Role: "assistant", Content: []ContentBlock{toolUse("c3", "apple"), toolUse("c4", "banana")}},
		}, []string{"apple", "banana", "zebra"}},
		{"nameless tool use", []Message{
			{Role: "assistant", Content: []ContentBlock{toolUse("c1", "")}},
		}, nil},
	}
	for _, tc := range cases {
		got := ReferencedTools(tc.in)
		if len(got) != len(tc.want) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: ReferencedTools = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSeedStubToolConfig(t *testing.T) {
	assertJSONEqual(t, "no names", StubToolConfig(nil), `{"tools":[]}`)
	assertJSONEqual(t, "no names (empty)", StubToolConfig([]string{}), `{"tools":[]}`)
	assertJSONEqual(t, "one name", StubToolConfig([]string{"get_weather"}), `{"tools":[
		{"toolSpec":{"name":"get_weather","description":"(replayed from history; schema unavailable)","inputSchema":{"json":{"type":"object"}}}}
	]}`)
	names := []string{"zebra", "apple", "banana"}
	assertJSONEqual(t, "sorted", StubToolConfig(names), `{"tools":[
		{"toolSpec":{"name":"apple","description":"(replayed from history; schema unavailable)","inputSchema":{"json":{"type":"object"}}}},
		{"toolSpec":{"name":"banana","description":"(replayed from history; schema unavailable)","inputSchema":{"json":{"type":"object"}}}},
		{"toolSpec":{"name":"zebra","description":"(replayed from history; schema unavailable)","inputSchema":{"json":{"type":"object"}}}}
	]}`)
	if !slices.Equal(names, []string{"zebra", "apple", "banana"}) {
		t.Errorf("StubToolConfig reordered its argument: %q", names)
	}
}

// TestBuildRequestSeed runs the seed's orphan case through BuildRequest: the
// replayed tool gets a stub declaration.
func TestBuildRequestSeed(t *testing.T) {
	req, oerr := openai.DecodeRequest([]byte(`{"messages":[
		{"role":"system","content":"Be brief."},
		{"role":"assistant","content":"I'll run a tool","tool_calls":[{"id":"call_123","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"NYC\"}"}}]}
	]}`), openai.ChatCompletions)
	if oerr != nil {
		t.Fatal(oerr.Message)
	}
	tier := testTier(t, "", 0)
	got, oerr := BuildRequest(req, tier, tier.Bedrock.Active(false))
	if oerr != nil {
		t.Fatal(oerr.Message)
	}
	if got.ModelID != "anthropic.claude-test-v1:0" {
		t.Errorf("ModelID = %q", got.ModelID)
	}
	// ConvertMessages gives the seed's two turns (asserted above);
	// BuildRequest also opens the history with a user turn, as Bedrock
	// requires the user to speak first.
	assertJSONEqual(t, "converse request", got, `{
		"messages":[
			{"role":"user","content":[{"text":"(continuing an earlier conversation)"}]},
			{"role":"assistant","content":[{"text":"I'll run a tool"},{"toolUse":{"toolUseId":"call_123","name":"get_weather","input":{"city":"NYC"}}}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"call_123","content":[{"text":"(no result; tool call was cancelled or interrupted -- treat as failed)"}],"status":"error"}}]}
		],
		"system":[{"text":"Be brief."}],
		"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"(replayed from history; schema unavailable)","inputSchema":{"json":{"type":"object"}}}}]}
	}`)
}

func TestBuildRequestTarget(t *testing.T) {
	tier := testTier(t, "", 0)
	tier.Bedrock.ModelIDNext = "anthropic.claude-next-v2:0"
	req := &openai.ChatRequest{Messages: msgs(t, `[{"role":"user","content":"x"}]`)}
	for useNext, want := range map[bool]string{false: "anthropic.claude-test-v1:0", true: "anthropic.claude-next-v2:0"} {
		got, err := BuildRequest(req, tier, tier.Bedrock.Active(useNext))
		if err != nil {
			t.Fatal(err.Message)
		}
		if got.ModelID != want {
			t.Errorf("useNext=%v: ModelID = %q, want %q", useNext, got.ModelID, want)
		}
	}
}

// tierFile is the optional <case>.tier.json of a translate case.
type tierFile struct {
	Sampler         string `json:"sampler"`
	MaxOutputTokens int    `json:"max_output_tokens"`
	PromptCache     bool   `json:"prompt_cache"`
	// ModelID replaces the test model (thinking depends on the family).
	ModelID        string `json:"model_id"`
	Reasoning      string `json:"reasoning"`
	Thinking       string `json:"thinking"`
	PromptCacheTTL string `json:"prompt_cache_ttl"`
}

// memoryFile is the optional <case>.memory.json of a translate case: the
// answers whose thinking the router relayed before, signed by the fake,
// each with the messages of the request it answered (on the case's tier).
type memoryFile []struct {
	After       []openai.Message `json:"after"`
	ToolCallIDs []string         `json:"tool_call_ids"`
	Text        string           `json:"text"`
	Reasoning   string           `json:"reasoning"`
	Redacted    bool             `json:"redacted"`
}

// Placeholders a translate case writes for the signatures and redacted
// data only the fake (in this process) can issue.
const (
	signedPlaceholder   = "FAKE-SIGNED"
	redactedPlaceholder = "FAKE-REDACTED"
)

// signDetails gives every reasoning_details entry of a request body that
// carries a placeholder the fake's real signature or redacted data.
func signDetails(t testing.TB, body []byte) []byte {
	t.Helper()
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	msgs, _ := v["messages"].([]any)
	changed := false
	for _, m := range msgs {
		m, _ := m.(map[string]any)
		details, _ := m["reasoning_details"].([]any)
		pieces := map[any]string{} // a streamed block's text so far, by index
		for _, d := range details {
			d, _ := d.(map[string]any)
			text, _ := d["text"].(string)
			pieces[d["index"]] += text
			if text == "" {
				// The last piece of a streamed block signs all of it.
				text = pieces[d["index"]]
			}
			if d["signature"] == signedPlaceholder {
				d["signature"], changed = fakebedrock.Signature(text), true
			}
			if d["data"] == redactedPlaceholder {
				d["data"], changed = base64.StdEncoding.EncodeToString(fakebedrock.RedactedData()), true
			}
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// unsign puts the placeholders back into a marshalled Converse request, so
// its golden file does not depend on the fake's per-process key.
func unsign(t *testing.T, r *ConverseRequest) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	redacted, _ := json.Marshal(fakebedrock.RedactedData())
	raw = bytes.ReplaceAll(raw, redacted, []byte(`"`+redactedPlaceholder+`"`))
	for _, m := range r.Messages {
		for _, b := range m.Content {
			if rc := b.ReasoningContent; rc != nil && rc.ReasoningText != nil && rc.ReasoningText.Signature == fakebedrock.Signature(rc.ReasoningText.Text) {
				sig, _ := json.Marshal(rc.ReasoningText.Signature)
				raw = bytes.ReplaceAll(raw, sig, []byte(`"`+signedPlaceholder+`"`))
			}
		}
	}
	return raw
}

// loadMemory fills a thinking memory from a case's memory file.
func loadMemory(t *testing.T, name string, tier *tiers.Tier) *ThinkingMemory {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/translate", name+".memory.json"))
	if err != nil {
		return nil
	}
	var mf memoryFile
	if err := json.Unmarshal(raw, &mf); err != nil {
		t.Fatalf("memory file: %v", err)
	}
	m := NewThinkingMemory()
	for _, e := range mf {
		var blocks []ReasoningContent
		if e.Reasoning != "" {
			blocks = append(blocks, ReasoningContent{ReasoningText: &ReasoningText{Text: e.Reasoning, Signature: fakebedrock.Signature(e.Reasoning)}})
		}
		if e.Redacted {
			blocks = append(blocks, ReasoningContent{RedactedContent: fakebedrock.RedactedData()})
		}
		context := memoryContext(tier.Name, tier.Bedrock.Active(false).ModelID, e.After)
		m.Remember(answerKeys(context, e.Text, e.ToolCallIDs), blocks)
	}
	return m
}

func testTier(t testing.TB, sampler string, maxOut int) *tiers.Tier {
	t.Helper()
	s, err := tiers.ParseSampler(sampler)
	if err != nil {
		t.Fatal(err)
	}
	return &tiers.Tier{
		Name:            "agent",
		Role:            tiers.RoleAgent,
		Backend:         tiers.BackendBedrock,
		Sampler:         s,
		MaxOutputTokens: maxOut,
		Bedrock:         &tiers.Bedrock{ModelID: "anthropic.claude-test-v1:0", Region: "us-east-1"},
	}
}

// TestBuildRequest translates each testdata/translate/<case>.request.json
// (with the tier of <case>.tier.json, if any) and compares the Converse
// request with <case>.converse.json, or the 400 with <case>.error.json.
func TestBuildRequest(t *testing.T) {
	files, err := filepath.Glob("testdata/translate/*.request.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	names := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".request.json")
		names[name] = true
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tf := tierFile{}
			if raw, err := os.ReadFile(filepath.Join("testdata/translate", name+".tier.json")); err == nil {
				if err := json.Unmarshal(raw, &tf); err != nil {
					t.Fatalf("tier file: %v", err)
				}
			}
			tier := testTier(t, tf.Sampler, tf.MaxOutputTokens)
			tier.Bedrock.PromptCache = tf.PromptCache
			if tf.ModelID != "" {
				tier.Bedrock.ModelID = tf.ModelID
			}
			if tf.Reasoning != "" {
				if tier.Bedrock.Reasoning, err = tiers.ParseReasoning(tf.Reasoning); err != nil {
					t.Fatal(err)
				}
			}
			tier.Bedrock.Thinking = tf.Thinking
			body = signDetails(t, body)
			tier.Bedrock.PromptCacheTTL = tf.PromptCacheTTL
			ep := openai.ChatCompletions
			var probe map[string]json.RawMessage
			if json.Unmarshal(body, &probe) == nil && probe["prompt"] != nil {
				ep = openai.Completions
			}
			req, oerr := openai.DecodeRequest(body, ep)
			if oerr != nil {
				t.Fatalf("DecodeRequest refused the input: %s", oerr.Message)
			}
			got, oerr := BuildRequestRecalling(req, tier, tier.Bedrock.Active(false), loadMemory(t, name, tier))
			kind, other := "converse", "error"
			if oerr != nil {
				kind, other = "error", "converse"
				if oerr.Status != http.StatusBadRequest || oerr.Type != openai.TypeInvalidRequest {
					t.Errorf("error status %d type %s; want 400 %s", oerr.Status, oerr.Type, openai.TypeInvalidRequest)
				}
				golden.AssertJSON(t, "translate/"+name+".error.json", map[string]any{
					"status": oerr.Status, "type": oerr.Type, "code": oerr.Code, "message": oerr.Message,
				})
			} else {
				if got.ModelID != tier.Bedrock.ModelID {
					t.Errorf("ModelID = %q", got.ModelID)
				}
				checkConverseRules(t, got)
				golden.AssertJSON(t, "translate/"+name+".converse.json", unsign(t, got))
				repairs := filepath.Join("testdata/translate", name+".repairs")
				if r := got.Repairs.String(); r != "" {
					golden.Assert(t, "translate/"+name+".repairs", []byte(r+"\n"))
				} else if _, err := os.Stat(repairs); err == nil {
					t.Errorf("nothing was repaired, but %s exists; delete it", repairs)
				}
				checkWireMatchesSDK(t, got)
			}
			if _, err := os.Stat(filepath.Join("testdata/translate", name+"."+other+".json")); err == nil {
				t.Errorf("the case produced a %s, but %s.%s.json exists too; delete the stale one", kind, name, other)
			}
		})
	}
	outs, _ := filepath.Glob("testdata/translate/*")
	for _, f := range outs {
		base := filepath.Base(f)
		for _, suffix := range []string{".converse.json", ".error.json", ".tier.json", ".memory.json", ".repairs"} {
			if n, ok := strings.CutSuffix(base, suffix); ok && !names[n] {
				t.Errorf("%s has no %s.request.json", f, n)
			}
		}
	}
}

// checkConverseRules checks r against Bedrock's request rules, which live
// in one place: the fake's validator.
func checkConverseRules(t testing.TB, r *ConverseRequest) {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if msg := fakebedrock.Validate(raw); msg != "" {
		t.Errorf("Bedrock would refuse the request: %s", msg)
	}
}

// toolInputCases: the rules for tool call arguments. want is exact JSON
// (numbers compared digit for digit).
var toolInputCases = []struct {
	name string
	raw  string // the arguments as they appear in the request
	want string
}{
	{"string-object", `"{\"city\": \"NYC\"}"`, `{"city":"NYC"}`},
	{"string-object-padded", `"  {\"city\": \"NYC\"}\n"`, `{"city":"NYC"}`},
	{"raw-object", `{"city": "NYC"}`, `{"city":"NYC"}`},
	{"raw-object-padded", ` {"city": "NYC"} `, `{"city":"NYC"}`},
	{"nested", `"{\"a\":{\"b\":[1,{\"c\":null}]},\"t\":true}"`, `{"a":{"b":[1,{"c":null}]},"t":true}`},
	{"string-empty", `""`, `{}`},
	{"string-blank", `"  \t\n"`, `{}`},
	{"missing", ``, `{}`},
	{"raw-null", `null`, `{}`},
	{"string-empty-object", `"{}"`, `{}`},
	{"invalid-truncated", `"{\"city\": \"NYC\""`, `{"_raw":"{\"city\": \"NYC\""}`},
	{"invalid-text", `"NYC please"`, `{"_raw":"NYC please"}`},
	{"invalid-single-quotes", `"{'city': 'NYC'}"`, `{"_raw":"{'city': 'NYC'}"}`},
	{"invalid-two-values", `"{\"a\":1} {\"b\":2}"`, `{"_raw":"{\"a\":1} {\"b\":2}"}`},
	{"invalid-trailing-text", `"{\"a\":1} x"`, `{"_raw":"{\"a\":1} x"}`},
	{"invalid-extra-brace", `"{\"city\": \"NYC\"}}"`, `{"_raw":"{\"city\": \"NYC\"}}"}`},
	{"invalid-extra-bracket", `"[1]]"`, `{"_raw":"[1]]"}`},
	{"invalid-closer-then-text", `"{\"a\":1}]x"`, `{"_raw":"{\"a\":1}]x"}`},
	{"invalid-raw", `{bad`, `{"_raw":"{bad"}`},
	{"invalid-raw-extra-brace", `{"a":1}}`, `{"_raw":"{\"a\":1}}"}`},
	{"invalid-unterminated-quote", `"abc`, `{"_raw":"\"abc"}`},
	{"string-array", `"[1, 2, 3]"`, `{"value":[1,2,3]}`},
	{"string-number", `"42"`, `{"value":42}`},
	{"string-string", `"\"NYC\""`, `{"value":"NYC"}`},
	{"string-bool", `"true"`, `{"value":true}`},
	{"string-null", `"null"`, `{"value":null}`},
	{"raw-array", `["a", 1]`, `{"value":["a",1]}`},
	{"raw-number", `7`, `{"value":7}`},
	{"raw-bool", `false`, `{"value":false}`},
	{"big-ints", `"{\"id\": 12345678901234567890, \"neg\": -9223372036854775809, \"exact\": 9007199254740993}"`,
		`{"id":12345678901234567890,"neg":-9223372036854775809,"exact":9007199254740993}`},
	{"big-ints-raw", `{"id": 12345678901234567890, "exact": 9007199254740993}`, `{"id":12345678901234567890,"exact":9007199254740993}`},
	{"big-int-value", `"18446744073709551617"`, `{"value":18446744073709551617}`},
	{"precise-decimals", `"{\"d\": 0.10000000000000000000001, \"e\": 1e400, \"f\": -0.0}"`, `{"d":0.10000000000000000000001,"e":1e400,"f":-0.0}`},
	{"unicode", `"{\"q\": \"caf\\u00e9 \\ud83c\\udf89\"}"`, `{"q":"café 🎉"}`},
}

func TestToolInput(t *testing.T) {
	var report bytes.Buffer
	for _, tc := range toolInputCases {
		var raw json.RawMessage
		if tc.raw != "" {
			raw = json.RawMessage(tc.raw)
		}
		out, err := json.Marshal(ToolInput(raw))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		report.WriteString(tc.name + "\n  arguments: " + tc.raw + "\n  input:     " + string(out) + "\n")
		t.Run(tc.name, func(t *testing.T) {
			// canonical() sorts keys but keeps every number's digits,
			// so 12345678901234567890 must come out digit for digit.
			if g, w := canonical(t, out), canonical(t, []byte(tc.want)); g != w {
				t.Errorf("ToolInput(%s) = %s, want %s", tc.raw, out, tc.want)
			}
		})
	}
	golden.Assert(t, "toolinput.golden", report.Bytes())
}

// TestToolConfigErrors covers the toolConfig refusals a decoded body cannot
// reach (DecodeRequest only lets valid JSON through).
func TestToolConfigErrors(t *testing.T) {
	cases := []struct {
		name    string
		tools   []openai.Tool
		choice  string
		wantErr string // "" means accepted
	}{
		{"parameters invalid", []openai.Tool{{Function: openai.ToolFunction{Name: "ok"}}, {Function: openai.ToolFunction{Name: "f", Parameters: json.RawMessage(`{"type":`)}}}, "",
			"tools[1].function.parameters is not valid JSON"},
		{"parameters extra brace", []openai.Tool{{Function: openai.ToolFunction{Name: "f", Parameters: json.RawMessage(`{"type":"object"}}`)}}}, "",
			"tools[0].function.parameters is not valid JSON"},
		{"parameters two values", []openai.Tool{{Function: openai.ToolFunction{Name: "f", Parameters: json.RawMessage(`{} {}`)}}}, "",
			"tools[0].function.parameters is not valid JSON"},
		{"nameless tool skipped", []openai.Tool{{Function: openai.ToolFunction{Name: ""}}, {Function: openai.ToolFunction{Name: "f"}}}, `"required"`, ""},
		{"choice unknown", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}}, `"sometimes"`,
			`tool_choice "sometimes" is not one of auto, none, required`},
		{"choice empty string", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}}, `""`,
			`tool_choice "" is not one of auto, none, required`},
		{"choice array", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}}, `["f"]`,
			`tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`},
		{"choice function name empty", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}}, `{"type":"function","function":{"name":""}}`,
			`tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`},
		{"parameters array", []openai.Tool{{Function: openai.ToolFunction{Name: "f", Parameters: json.RawMessage(`[]`)}}}, "",
			"tools[0].function.parameters must be a JSON Schema object, not an array"},
		{"parameters number", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}, {Function: openai.ToolFunction{Name: "g", Parameters: json.RawMessage(` 5`)}}}, "",
			"tools[1].function.parameters must be a JSON Schema object, not a number"},
		{"parameters bool", []openai.Tool{{Function: openai.ToolFunction{Name: "f", Parameters: json.RawMessage(`true`)}}}, "",
			"tools[0].function.parameters must be a JSON Schema object, not true or false"},
		{"parameters null", []openai.Tool{{Function: openai.ToolFunction{Name: "f", Parameters: json.RawMessage(`null`)}}}, "", ""},
		{"choice unknown without tools", nil, `"bogus"`,
			`tool_choice "bogus" is not one of auto, none, required`},
		{"choice none without tools", nil, `"none"`, ""},
		{"choice required without tools", nil, `"required"`, ""},
		{"choice named undeclared", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}}, `{"type":"function","function":{"name":"g"}}`,
			`tool_choice names function "g", which tools does not declare (declared: f)`},
		{"choice named without tools", nil, `{"type":"function","function":{"name":"g"}}`,
			`tool_choice names function "g", but the request declares no tools`},
		{"choice type not function", []openai.Tool{{Function: openai.ToolFunction{Name: "f"}}}, `{"type":"custom","function":{"name":"f"}}`,
			`tool_choice type "custom" is not supported (want "function")`},
	}
	for _, tc := range cases {
		var choice json.RawMessage
		if tc.choice != "" {
			choice = json.RawMessage(tc.choice)
		}
		tcfg, _, err := toolConfig(tc.tools, choice)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: refused: %s", tc.name, err.Message)
		case tc.wantErr != "" && err == nil:
			got, _ := json.Marshal(tcfg)
			t.Errorf("%s: accepted as %s; want 400 %q", tc.name, got, tc.wantErr)
		case err != nil:
			if err.Message != tc.wantErr || err.Status != http.StatusBadRequest || err.Type != openai.TypeInvalidRequest {
				t.Errorf("%s: %d %s %q; want 400 %q", tc.name, err.Status, err.Type, err.Message, tc.wantErr)
			}
		}
	}
}

func TestToolChoice(t *testing.T) {
	cases := []struct {
		raw      string
		want     string // JSON of the ToolChoice; "null" for none
		wantNone bool
	}{
		{``, `null`, false},
		{`null`, `null`, false},
		{`"auto"`, `null`, false},
		{`"none"`, `null`, true},
		{` "none" `, `null`, true},
		{`"required"`, `{"any":{}}`, false},
		{`"any"`, `{"any":{}}`, false},
		{`{"type":"function","function":{"name":"get_weather"}}`, `{"tool":{"name":"get_weather"}}`, false},
		{` {"function":{"name":"f"}} `, `{"tool":{"name":"f"}}`, false},
	}
	for _, tc := range cases {
		got, none, err := toolChoice(json.RawMessage(tc.raw), []string{"f", "get_weather"})
		if err != nil {
			t.Errorf("%s: %s", tc.raw, err.Message)
			continue
		}
		assertJSONEqual(t, "tool_choice "+tc.raw, got, tc.want)
		if none != tc.wantNone {
			t.Errorf("tool_choice %s: none = %v, want %v", tc.raw, none, tc.wantNone)
		}
	}
}

func TestSystemBlocks(t *testing.T) {
	got := SystemBlocks(msgs(t, `[
		{"role":"system","content":"one"},
		{"role":"user","content":"not system"},
		{"role":"developer","content":[{"type":"text","text":"two"},{"type":"text","text":"three"}]},
		{"role":"system","content":""},
		{"role":"system","content":null},
		{"role":"assistant","content":"not system"}
	]`))
	assertJSONEqual(t, "system blocks", got, `[{"text":"one"},{"text":"two\nthree"}]`)
	if got := SystemBlocks(msgs(t, `[{"role":"user","content":"x"}]`)); got != nil {
		t.Errorf("no system messages: %v, want nil (omitted from the request)", got)
	}
}

// TestConvertMessagesGeneratesMissingToolCallIDs: a tool call without an id
// gets a fresh one, and its injected result names the same id.
func TestConvertMessagesGeneratesMissingToolCallIDs(t *testing.T) {
	out := convert(t, `[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]`)
	if len(out) != 3 {
		t.Fatalf("got %d turns", len(out))
	}
	use := out[1].Content[0].ToolUse
	res := out[2].Content[0].ToolResult
	if use == nil || res == nil {
		t.Fatalf("turns: %+v", out)
	}
	if !strings.HasPrefix(use.ToolUseID, "tool_") || len(use.ToolUseID) != 17 {
		t.Errorf("generated id %q", use.ToolUseID)
	}
	if res.ToolUseID != use.ToolUseID || res.Status != "error" {
		t.Errorf("result %+v for tool use %s", res, use.ToolUseID)
	}
}

// TestRepeatedToolCallIDs: when tool call ids repeat within one assistant
// turn (or are missing), each result goes to the call it answers in order
// (the first result with an id to the first call with it), Bedrock sees
// every id once, and no result is lost or given twice.
func TestRepeatedToolCallIDs(t *testing.T) {
	call := func(id, cmd string) string {
		idField := ""
		if id != "-" {
			idField = fmt.Sprintf(`"id":%q,`, id)
		}
		return fmt.Sprintf(`{%s"type":"function","function":{"name":"bash","arguments":"{\"cmd\":\"%s\"}"}}`, idField, cmd)
	}
	result := func(id, text string) string {
		if id == "-" {
			return fmt.Sprintf(`{"role":"tool","content":%q}`, text)
		}
		return fmt.Sprintf(`{"role":"tool","tool_call_id":%q,"content":%q}`, id, text)
	}
	assistant := func(calls ...string) string {
		return `{"role":"assistant","content":null,"tool_calls":[` + strings.Join(calls, ",") + `]}`
	}
	user := `{"role":"user","content":"go"}`
	const stub = OrphanToolResultText
	cases := []struct {
		name  string
		msgs  []string
		want  map[string]string // the call's cmd → the text of its result
		texts []string          // results that had no call left and became text
	}{
		{"same id twice", []string{user, assistant(call("call_0", "a"), call("call_0", "b")), result("call_0", "A"), result("call_0", "B")},
			map[string]string{"a": "A", "b": "B"}, nil},
		{"same id twice, one result", []string{user, assistant(call("call_0", "a"), call("call_0", "b")), result("call_0", "A")},
			map[string]string{"a": "A", "b": stub}, nil},
		{"a third result for two calls", []string{user, assistant(call("call_0", "a"), call("call_0", "b")), result("call_0", "A"), result("call_0", "B"), result("call_0", "C")},
			map[string]string{"a": "A", "b": "B"}, []string{"Result of tool call call_0:\nC"}},
		{"repeated among others, answered out of order", []string{user, assistant(call("x", "a"), call("y", "b"), call("x", "c")), result("y", "B"), result("x", "A"), result("x", "C")},
			map[string]string{"a": "A", "b": "B", "c": "C"}, nil},
		{"empty ids", []string{user, assistant(call("", "a"), call("", "b")), result("", "A"), result("", "B")},
			map[string]string{"a": "A", "b": "B"}, nil},
		{"missing ids", []string{user, assistant(call("-", "a"), call("-", "b")), result("-", "A"), result("-", "B")},
			map[string]string{"a": "A", "b": "B"}, nil},
		{"empty id on a result when the calls have ids", []string{user, assistant(call("c1", "a")), result("", "A?")},
			map[string]string{"a": stub}, []string{"Result of a tool call without an id:\nA?"}},
		{"same id across turns", []string{user, assistant(call("call_0", "a")), result("call_0", "A"), assistant(call("call_0", "b"), call("call_0", "c")), result("call_0", "B"), result("call_0", "C")},
			map[string]string{"a": "A", "b": "B", "c": "C"}, nil},
		{"result for an earlier turn's id", []string{user, assistant(call("call_0", "a")), result("call_0", "A"), assistant(call("call_1", "b")), result("call_1", "B"), result("call_0", "A again")},
			map[string]string{"a": "A", "b": "B"}, []string{"Result of tool call call_0:\nA again"}},
		{"two assistant messages in one turn", []string{user, assistant(call("call_0", "a")), assistant(call("call_0", "b")), result("call_0", "A"), result("call_0", "B")},
			map[string]string{"a": "A", "b": "B"}, nil},
		{"an empty assistant message between the results", []string{user, assistant(call("call_0", "a")), result("call_0", "A"), `{"role":"assistant","content":""}`, result("call_0", "A twice")},
			map[string]string{"a": "A"}, []string{"Result of tool call call_0:\nA twice"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"messages":[` + strings.Join(tc.msgs, ",") + `]}`
			req, oerr := openai.DecodeRequest([]byte(body), openai.ChatCompletions)
			if oerr != nil {
				t.Fatal(oerr.Message)
			}
			tier := testTier(t, "", 0)
			got, oerr := BuildRequest(req, tier, tier.Bedrock.Active(false))
			if oerr != nil {
				t.Fatal(oerr.Message)
			}
			checkConverseRules(t, got)
			cmdOf := map[string]string{} // Bedrock id → the call's cmd
			results := map[string]string{}
			var texts []string
			for _, m := range got.Messages {
				for _, b := range m.Content {
					switch {
					case b.ToolUse != nil:
						var in struct{ Cmd string }
						_ = json.Unmarshal(b.ToolUse.Input, &in)
						if _, dup := cmdOf[b.ToolUse.ToolUseID]; dup {
							t.Errorf("toolUseId %s sent twice", b.ToolUse.ToolUseID)
						}
						cmdOf[b.ToolUse.ToolUseID] = in.Cmd
					case b.ToolResult != nil:
						cmd, ok := cmdOf[b.ToolResult.ToolUseID]
						if !ok {
							t.Errorf("result for %s, which no call has", b.ToolResult.ToolUseID)
						}
						if _, dup := results[cmd]; dup {
							t.Errorf("call %q got two results", cmd)
						}
						results[cmd] = b.ToolResult.Content[0].Text
					case m.Role == "user" && strings.HasPrefix(b.Text, "Result of "):
						texts = append(texts, b.Text)
					}
				}
			}
			if fmt.Sprint(results) != fmt.Sprint(tc.want) {
				t.Errorf("results by call:\n got  %v\n want %v", results, tc.want)
			}
			if !slices.Equal(texts, tc.texts) {
				t.Errorf("results as text:\n got  %q\n want %q", texts, tc.texts)
			}
			checkWireMatchesSDK(t, got)
		})
	}
}

// TestConvertMessagesImageErrors checks the 400s for images Bedrock cannot
// take, naming the offending part, in a user message and in a tool result.
func TestConvertMessagesImageErrors(t *testing.T) {
	cases := []struct {
		image *openai.ImageURL
		want  string
	}{
		{&openai.ImageURL{URL: "https://example.com/cat.png"}, "image_url must be a base64 data: URL for bedrock tiers (Bedrock does not fetch links)"},
		{&openai.ImageURL{URL: "data:image/png,abc"}, "image_url must be a base64 data: URL for bedrock tiers (Bedrock does not fetch links)"},
		{&openai.ImageURL{URL: "data:image/png;base64"}, "image_url must be a base64 data: URL for bedrock tiers (Bedrock does not fetch links)"},
		{&openai.ImageURL{URL: "data:image/svg+xml;base64,PHN2Zz4="}, `image type "image/svg+xml" is not supported (png, jpeg, gif or webp)`},
		{&openai.ImageURL{URL: "data:image/bmp;base64,Qk0="}, `image type "image/bmp" is not supported (png, jpeg, gif or webp)`},
		{&openai.ImageURL{URL: "data:image/png;base64,***"}, "image data is not valid base64: illegal base64 data at input byte 0"},
		{&openai.ImageURL{URL: "data:image/png;base64,"}, "the image is empty"},
		{&openai.ImageURL{}, `an "image_url" part needs image_url.url: the image as a base64 data: URL`},
		{nil, `an "image_url" part needs image_url.url: the image as a base64 data: URL`},
	}
	call := openai.Message{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "call_1", Type: "function", Function: openai.FunctionCall{Name: "shot", Arguments: json.RawMessage(`{}`)}}}}
	for _, tc := range cases {
		parts := openai.Content{Parts: []openai.ContentPart{{Type: "text", Text: new(string)}, {Type: "image_url", ImageURL: tc.image}}}
		for _, in := range [][]openai.Message{
			{{Role: "system", Content: textContent("s")}, {Role: "user", Content: parts}},
			{call, {Role: "tool", ToolCallID: "call_1", Content: parts}},
		} {
			want := "messages[1].content[1]: " + tc.want
			_, err := ConvertMessages(in)
			if err == nil {
				t.Errorf("%+v in a %s message: accepted", tc.image, in[1].Role)
				continue
			}
			if err.Message != want || err.Status != http.StatusBadRequest || err.Code != "unsupported_image" || err.Type != openai.TypeInvalidRequest {
				t.Errorf("%+v in a %s message: %d %s %s %q\nwant 400 unsupported_image %q", tc.image, in[1].Role, err.Status, err.Type, err.Code, err.Message, want)
			}
		}
	}
}

func TestConvertMessagesImageFormats(t *testing.T) {
	for meta, want := range map[string]string{
		"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp",
	} {
		in := []openai.Message{{Role: "user", Content: openai.Content{Parts: []openai.ContentPart{
			{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:" + meta + ";base64,AAEC"}},
		}}}}
		out, err := ConvertMessages(in)
		if err != nil {
			t.Errorf("%s: %s", meta, err.Message)
			continue
		}
		assertJSONEqual(t, meta, out, `[{"role":"user","content":[{"image":{"format":"`+want+`","source":{"bytes":"AAEC"}}}]}]`)
	}
}

// captureDoer is an in-memory HTTP client for the SDK: it keeps the request
// body and answers with a canned Converse response.
type captureDoer struct {
	body     []byte
	response string
}

func (d *captureDoer) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		d.body, _ = io.ReadAll(r.Body)
	}
	resp := d.response
	if resp == "" {
		resp = `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`
	}
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": []string{"application/json"}},
		Body:       io.NopCloser(strings.NewReader(resp)),
		Request:    r,
	}, nil
}

func testClient(d *captureDoer) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "not-a-secret", ""),
		HTTPClient:       d,
		BaseEndpoint:     aws.String("http://bedrock.invalid"),
		RetryMaxAttempts: 1,
	})
}

// checkWireMatchesSDK checks that the JSON tags of the wire structs are the
// Bedrock wire format: the request marshals to exactly the body the SDK
// sends for it. (It runs last: converseInput rewrites numbers in place.)
func checkWireMatchesSDK(t *testing.T, r *ConverseRequest) {
	t.Helper()
	ours, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	d := &captureDoer{}
	if _, err := testClient(d).Converse(context.Background(), r.converseInput()); err != nil {
		t.Fatalf("SDK Converse: %v", err)
	}
	if len(d.body) == 0 {
		t.Fatal("the SDK sent no body")
	}
	if g, w := canonical(t, ours), canonical(t, d.body); g != w {
		t.Errorf("wire structs marshal to\n %s\nthe SDK sends\n %s", g, w)
	}
	// The fake holds Bedrock's rules in one place; what it refuses, Bedrock
	// refuses.
	if msg := fakebedrock.Validate(d.body); msg != "" {
		t.Errorf("Bedrock would refuse the request: %s", msg)
	}
}

// FuzzToolInput checks the arguments rules on any string a client may send
// as function.arguments: blank is {}, a JSON object is itself (numbers
// exact), other JSON is {"value": …}, and anything that is not exactly one
// JSON value is {"_raw": text}.
func FuzzToolInput(f *testing.F) {
	for _, tc := range toolInputCases {
		var s string
		if json.Unmarshal([]byte(tc.raw), &s) == nil {
			f.Add(s)
		}
	}
	f.Add(`{"a":[1,2,{"b":null}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		raw, _ := json.Marshal(s)
		_ = json.Unmarshal(raw, &s) // what the router sees: invalid UTF-8 replaced
		out, err := json.Marshal(ToolInput(raw))
		if err != nil {
			t.Fatalf("ToolInput(%q) does not marshal: %v", s, err)
		}
		var want string
		switch {
		case strings.TrimSpace(s) == "":
			want = `{}`
		case json.Valid([]byte(s)):
			c := canonical(t, []byte(s))
			if strings.HasPrefix(c, "{") {
				want = c
			} else {
				want = `{"value":` + c + `}`
			}
		default:
			b, _ := json.Marshal(map[string]string{"_raw": s})
			want = string(b)
		}
		if got := canonical(t, out); got != canonical(t, []byte(want)) {
			t.Fatalf("ToolInput(%q) = %s, want %s", s, got, want)
		}
	})
}
