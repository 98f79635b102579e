package bedrock

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server/openai"
)

func TestFinishReason(t *testing.T) {
	cases := map[types.StopReason]string{
		types.StopReasonEndTurn:                    "stop",
		types.StopReasonStopSequence:               "stop",
		types.StopReasonMaxTokens:                  "length",
		types.StopReasonModelContextWindowExceeded: "length",
		types.StopReasonToolUse:                    "tool_calls",
		types.StopReasonGuardrailIntervened:        "content_filter",
		types.StopReasonContentFiltered:            "content_filter",
		"":                                         "stop",
		"some_future_reason":                       "stop",
	}
	// The literal wire values, so a renamed SDK constant cannot hide a
	// change.
	literal := map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
		"tool_use": "tool_calls", "guardrail_intervened": "content_filter", "content_filtered": "content_filter",
	}
	for r, want := range literal {
		cases[types.StopReason(r)] = want
	}
	for r, want := range cases {
		if got := FinishReason(r); got != want {
			t.Errorf("FinishReason(%q) = %q, want %q", r, got, want)
		}
	}
}

// converseOutput decodes a Converse response body the way the SDK does
// (through its own deserializer), so the documents inside are the ones a
// real response carries.
func converseOutput(t testing.TB, body []byte) *bedrockruntime.ConverseOutput {
	t.Helper()
	d := &captureDoer{response: string(body)}
	out, err := testClient(d).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("anthropic.claude-test-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "x"}}}},
	})
	if err != nil {
		t.Fatalf("SDK could not decode the response: %v", err)
	}
	return out
}

// TestAnswer decodes each testdata/response/<case>.bedrock.json (a Converse
// response body) and compares the chat.completion and text_completion made
// of it with <case>.openai.json.
func TestAnswer(t *testing.T) {
	files, err := filepath.Glob("testdata/response/*.bedrock.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test inputs: %v", err)
	}
	names := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".bedrock.json")
		names[name] = true
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			a := AnswerFrom(converseOutput(t, body))
			chat := a.ChatCompletion("chatcmpl-test", 1700000000, "agent")
			text := a.TextCompletion("cmpl-test", 1700000000, "agent")
			checkChatCompletion(t, chat)
			golden.AssertJSON(t, "response/"+name+".openai.json", map[string]any{
				"chat.completion": chat,
				"text_completion": text,
			})
		})
	}
	outs, _ := filepath.Glob("testdata/response/*.openai.json")
	for _, f := range outs {
		if n := strings.TrimSuffix(filepath.Base(f), ".openai.json"); !names[n] {
			t.Errorf("%s has no %s.bedrock.json", f, n)
		}
	}
}

// checkChatCompletion checks the rules every chat.completion follows.
func checkChatCompletion(t *testing.T, c openai.ChatCompletion) {
	t.Helper()
	if c.Object != "chat.completion" || len(c.Choices) != 1 {
		t.Fatalf("object %q with %d choices", c.Object, len(c.Choices))
	}
	m := c.Choices[0].Message
	if m.Role != "assistant" {
		t.Errorf("role %q", m.Role)
	}
	if (m.Content == nil) != (len(m.ToolCalls) > 0 && (m.Content == nil || *m.Content == "")) {
		t.Errorf("content %v with %d tool calls", m.Content, len(m.ToolCalls))
	}
	for _, tc := range m.ToolCalls {
		if tc.ID == "" || tc.Type != "function" || tc.Function.Name == "" {
			t.Errorf("tool call %+v", tc)
		}
		var args map[string]any
		if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil {
			t.Errorf("tool call %s: arguments %q are not a JSON object: %v", tc.ID, tc.Function.Arguments, err)
		}
	}
	if u := c.Usage; u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v does not add up", u)
	}
}

// Explicit checks of the response rules, independent of golden files.

func TestAnswerToolOnlyHasNullContent(t *testing.T) {
	a := AnswerFrom(converseOutput(t, []byte(`{"output":{"message":{"role":"assistant","content":[
		{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"NYC"}}}]}},
		"stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":1}}`)))
	got, _ := json.Marshal(a.ChatCompletion("chatcmpl-1", 42, "agent"))
	want := `{"id":"chatcmpl-1","object":"chat.completion","created":42,"model":"agent","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"tooluse_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"NYC\"}"}}]},"finish_reason":"tool_calls","native_finish_reason":"tool_use"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`
	if string(got) != want {
		t.Errorf("got\n %s\nwant\n %s", got, want)
	}
}

func TestAnswerTextOnly(t *testing.T) {
	a := AnswerFrom(converseOutput(t, []byte(`{"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},
		"stopReason":"max_tokens","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":1}}`)))
	got, _ := json.Marshal(a.ChatCompletion("chatcmpl-2", 42, "fast"))
	want := `{"id":"chatcmpl-2","object":"chat.completion","created":42,"model":"fast","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"length","native_finish_reason":"max_tokens"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	if string(got) != want {
		t.Errorf("got\n %s\nwant\n %s", got, want)
	}
	got, _ = json.Marshal(a.TextCompletion("cmpl-2", 42, "fast"))
	want = `{"id":"cmpl-2","object":"text_completion","created":42,"model":"fast","choices":[{"index":0,"text":"Hi","logprobs":null,"finish_reason":"length","native_finish_reason":"max_tokens"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	if string(got) != want {
		t.Errorf("got\n %s\nwant\n %s", got, want)
	}
}

// TestAnswerEmptyTextIsEmptyString: no text and no tool calls is "" (not
// null), which clients treat as an empty answer.
func TestAnswerEmptyTextIsEmptyString(t *testing.T) {
	a := Answer{Finish: "stop"}
	m := a.ChatCompletion("id", 1, "m").Choices[0].Message
	if m.Content == nil || *m.Content != "" {
		t.Errorf("content = %v, want \"\"", m.Content)
	}
}

// TestAnswerFromSDKValues builds outputs from SDK values directly, for the
// cases a response body cannot express deterministically.
func TestAnswerFromSDKValues(t *testing.T) {
	t.Run("missing tool use id", func(t *testing.T) {
		a := AnswerFrom(&bedrockruntime.ConverseOutput{
			Output: &types.ConverseOutputMemberMessage{Value: types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{Name: aws.String("f"), Input: document.NewLazyDocument(map[string]any{"a": 1})}},
			}}},
			StopReason: types.StopReasonToolUse,
		})
		if len(a.ToolCalls) != 1 {
			t.Fatalf("tool calls: %+v", a.ToolCalls)
		}
		tc := a.ToolCalls[0]
		if !strings.HasPrefix(tc.ID, "tool_") || len(tc.ID) != 17 {
			t.Errorf("generated id %q", tc.ID)
		}
		if tc.Function.Arguments != `{"a":1}` || tc.Function.Name != "f" || tc.Type != "function" {
			t.Errorf("tool call %+v", tc)
		}
	})
	t.Run("nil input", func(t *testing.T) {
		a := AnswerFrom(&bedrockruntime.ConverseOutput{
			Output: &types.ConverseOutputMemberMessage{Value: types.Message{Content: []types.ContentBlock{
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("t1"), Name: aws.String("f")}},
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("t2"), Name: aws.String("g"), Input: document.NewLazyDocument(nil)}},
			}}},
			StopReason: types.StopReasonToolUse,
		})
		for _, tc := range a.ToolCalls {
			if tc.Function.Arguments != "{}" {
				t.Errorf("%s: arguments %q, want {}", tc.ID, tc.Function.Arguments)
			}
		}
	})
	t.Run("no message", func(t *testing.T) {
		a := AnswerFrom(&bedrockruntime.ConverseOutput{StopReason: types.StopReasonEndTurn})
		if a.Text != "" || a.Reasoning != "" || a.ToolCalls != nil || a.Finish != "stop" || a.Usage != (openai.Usage{}) {
			t.Errorf("answer %+v", a)
		}
	})
	t.Run("usage", func(t *testing.T) {
		a := AnswerFrom(&bedrockruntime.ConverseOutput{
			StopReason: types.StopReasonEndTurn,
			Usage:      &types.TokenUsage{InputTokens: aws.Int32(7), OutputTokens: aws.Int32(5), TotalTokens: aws.Int32(12)},
		})
		if a.Usage != (openai.Usage{PromptTokens: 7, CompletionTokens: 5, TotalTokens: 12}) {
			t.Errorf("usage %+v", a.Usage)
		}
	})
	t.Run("reasoning across blocks", func(t *testing.T) {
		a := AnswerFrom(&bedrockruntime.ConverseOutput{
			Output: &types.ConverseOutputMemberMessage{Value: types.Message{Content: []types.ContentBlock{
				&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: types.ReasoningTextBlock{Text: aws.String("a")}}},
				&types.ContentBlockMemberText{Value: "x"},
				&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: types.ReasoningTextBlock{Text: aws.String("b")}}},
				&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberRedactedContent{Value: []byte{1}}},
				&types.ContentBlockMemberText{Value: "y"},
			}}},
		})
		if a.Reasoning != "ab" || a.Text != "xy" {
			t.Errorf("reasoning %q text %q", a.Reasoning, a.Text)
		}
		m := a.ChatCompletion("id", 1, "m").Choices[0].Message
		if m.ReasoningContent != "ab" {
			t.Errorf("reasoning_content %q", m.ReasoningContent)
		}
	})
}
