package openai

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzStream scripts a Stream with any texts, ids and names and checks the
// output is what an SSE client can read: events of one "data: " line each,
// every one a JSON object but the final [DONE], and the deltas reading
// back as the texts sent.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, "Hello, world", "chatcmpl-1", "fast", "call_1")
	f.Add([]byte{1, 1, 5}, "line1\nline2\r\n\u2028 \x00 \xff", "cmpl-\"q\"", "m\\odel", "")
	f.Add([]byte{0, 3, 4, 4, 6}, `{"cmd":"ls`, "id\n", "n\ne", "bash\x7f")
	f.Fuzz(func(t *testing.T, ops []byte, text, id, model, name string) {
		ep := ChatCompletions
		if len(ops) > 0 && ops[0]&1 == 1 {
			ep = Completions
		}
		w := httptest.NewRecorder()
		s := NewStream(w, ep, id, 1700000000, model)
		// What the client must read back: each text with its invalid
		// UTF-8 replaced, as encoding/json does.
		var content, reasoning, args strings.Builder
		_ = s.Begin()
		for _, op := range ops {
			switch op % 8 {
			case 0:
				_ = s.Content(text)
				content.WriteString(wantDecoded(text))
			case 1:
				_ = s.Reasoning(text)
				if ep == ChatCompletions {
					reasoning.WriteString(wantDecoded(text))
				}
			case 2:
				_ = s.ReasoningDetail(ReasoningDetail{Type: ReasoningText, Text: text, Signature: name, Format: ReasoningFormat, Index: int(op)})
				if ep == ChatCompletions {
					reasoning.WriteString(wantDecoded(text))
				}
			case 3:
				_ = s.ToolCallStart(int(op), id, name)
			case 4:
				_ = s.ToolCallArguments(int(op), text)
				if ep == ChatCompletions {
					args.WriteString(wantDecoded(text))
				}
			case 5:
				_ = s.FinishNative(name, text)
			case 6:
				_ = s.Usage(Usage{PromptTokens: int(op), CompletionTokens: len(text), TotalTokens: int(op) + len(text)})
			case 7:
				_ = s.Fail(&Error{Status: 502, Message: text, Type: TypeUpstream, Code: name})
			}
		}
		_ = s.Done()

		body := w.Body.String()
		if !strings.HasSuffix(body, "data: [DONE]\n\n") {
			t.Fatalf("stream does not end with [DONE]: %q", body)
		}
		var gotContent, gotReasoning, gotArgs strings.Builder
		events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
		for i, ev := range events {
			data, ok := strings.CutPrefix(ev, "data: ")
			if !ok || strings.ContainsAny(data, "\r\n") {
				t.Fatalf("event %d is not one data line: %q", i, ev)
			}
			if i == len(events)-1 {
				if data != "[DONE]" {
					t.Fatalf("last event = %q", data)
				}
				break
			}
			var chunk struct {
				ID      string `json:"id"`
				Model   string `json:"model"`
				Choices []struct {
					Text  string `json:"text"`
					Delta struct {
						Content          string `json:"content"`
						ReasoningContent string `json:"reasoning_content"`
						ToolCalls        []struct {
							Function struct {
								Arguments string `json:"arguments"`
							} `json:"function"`
						} `json:"tool_calls"`
					} `json:"delta"`
				} `json:"choices"`
			}
			dec := json.NewDecoder(strings.NewReader(data))
			if err := dec.Decode(&chunk); err != nil || dec.More() {
				t.Fatalf("event %d is not one JSON object (%v): %s", i, err, data)
			}
			if chunk.ID != wantDecoded(id) || chunk.Model != wantDecoded(model) {
				t.Fatalf("event %d: id %q model %q, want %q %q", i, chunk.ID, chunk.Model, wantDecoded(id), wantDecoded(model))
			}
			for _, c := range chunk.Choices {
				gotContent.WriteString(c.Text)
				gotContent.WriteString(c.Delta.Content)
				gotReasoning.WriteString(c.Delta.ReasoningContent)
				for _, tc := range c.Delta.ToolCalls {
					gotArgs.WriteString(tc.Function.Arguments)
				}
			}
		}
		for _, c := range []struct{ what, got, want string }{
			{"content", gotContent.String(), content.String()},
			{"reasoning", gotReasoning.String(), reasoning.String()},
			{"tool arguments", gotArgs.String(), args.String()},
		} {
			if c.got != c.want {
				t.Fatalf("%s reads back as %q, want %q", c.what, c.got, c.want)
			}
		}
		if bytes.Contains(w.Body.Bytes(), []byte("\x00")) {
			t.Fatalf("a raw NUL in the stream")
		}
	})
}
