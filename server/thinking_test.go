package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// thinkingTier is a Claude tier the end-to-end thinking test adds to the
// fixture's models.ini: its model family takes a thinking budget.
const thinkingTier = `
[think]
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_endpoint_url = %s
max_output_tokens = 32000
`

// loopAnswer is what a client keeps of one answer: the text, the
// reasoning as text, and the tool calls.
type loopAnswer struct {
	Content   string
	Reasoning string
	ToolCalls []json.RawMessage
	Repairs   string
}

// askThinking posts one turn of the tool loop as opencode does
// (reasoning_effort high, max_tokens 32000), streamed or not, and reads
// the answer back the way opencode keeps it.
func askThinking(t *testing.T, url string, messages []any, stream bool) loopAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"model": "think", "reasoning_effort": "high", "max_tokens": 32000, "stream": stream,
		"stream_options": map[string]any{"include_usage": true},
		"tools":          []any{map[string]any{"type": "function", "function": map[string]any{"name": "bash", "parameters": map[string]any{"type": "object"}}}},
		"messages":       messages,
	})
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw strings.Builder
	if _, err := fmt.Fprint(&raw, readAll(t, resp)); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw.String())
	}
	a := loopAnswer{Repairs: resp.Header.Get(bedrock.RepairsHeader)}
	if !stream {
		var out struct {
			Choices []struct {
				Message struct {
					Content          *string           `json:"content"`
					ReasoningContent string            `json:"reasoning_content"`
					ToolCalls        []json.RawMessage `json:"tool_calls"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(raw.String()), &out); err != nil {
			t.Fatal(err)
		}
		m := out.Choices[0].Message
		if m.Content != nil {
			a.Content = *m.Content
		}
		a.Reasoning, a.ToolCalls = m.ReasoningContent, m.ToolCalls
		return a
	}
	type call struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	var calls []*call
	for _, ev := range sseEvents(t, []byte(raw.String())) {
		if ev == "[DONE]" {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content          string `json:"content"`
					ReasoningContent string `json:"reasoning_content"`
					ToolCalls        []struct {
						Index int `json:"index"`
						call
					} `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(ev), &chunk); err != nil {
			t.Fatalf("chunk %s: %v", ev, err)
		}
		for _, c := range chunk.Choices {
			a.Content += c.Delta.Content
			a.Reasoning += c.Delta.ReasoningContent
			for _, tc := range c.Delta.ToolCalls {
				if tc.Index == len(calls) {
					calls = append(calls, &call{ID: tc.ID, Type: tc.Type})
					calls[tc.Index].Function.Name = tc.Function.Name
				}
				calls[tc.Index].Function.Arguments += tc.Function.Arguments
			}
		}
	}
	for _, c := range calls {
		b, _ := json.Marshal(c)
		a.ToolCalls = append(a.ToolCalls, b)
	}
	return a
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// addThinkingTier adds thinkingTier to the fixture's models.ini and
// reloads; it returns the models.ini before and the fake's endpoint.
func addThinkingTier(t *testing.T, f *fixture) (ini, endpoint []byte) {
	t.Helper()
	ini, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	endpoint = regexp.MustCompile(`aws_endpoint_url = (\S+)`).FindSubmatch(ini)[1]
	write(t, f.cfgPath, string(ini)+fmt.Sprintf(thinkingTier, endpoint))
	if err := f.server.Reload(); err != nil {
		t.Fatal(err)
	}
	return ini, endpoint
}

// TestThinkingToolLoop is a three-step tool loop with thinking on, from a
// client that sends each assistant turn back with only reasoning_content
// (opencode): the router restores the signed thinking it relayed, which
// the fake Bedrock checks, at every step and across a models.ini reload.
// After a restart (an empty memory) the same history is answered with
// thinking off for that request, and the header says so.
func TestThinkingToolLoop(t *testing.T) {
	f := newFixture(t)
	ini, endpoint := addThinkingTier(t, f)
	step := 0
	f.fake.Respond(func(r fakebedrock.Request) fakebedrock.Reply {
		if !fakebedrock.ThinkingEnabled(r.Body) {
			return fakebedrock.Reply{Text: "Done, without thinking."}
		}
		step++
		if step > 3 {
			return fakebedrock.Reply{Text: "All three done.", Reasoning: "Wrap up."}
		}
		return fakebedrock.Reply{
			Reasoning: fmt.Sprintf("Step %d: run the next command.", step),
			Redacted:  step == 2,
			ToolUses:  []fakebedrock.ToolUse{{ID: fmt.Sprintf("tooluse_step%d", step), Name: "bash", Input: fmt.Sprintf(`{"cmd":"step %d"}`, step)}},
		}
	})

	messages := []any{map[string]any{"role": "user", "content": "Run the three steps"}}
	for i := 1; i <= 3; i++ {
		a := askThinking(t, f.url, messages, i != 2)
		if want := fmt.Sprintf("Step %d: run the next command.", i); a.Reasoning != want || len(a.ToolCalls) != 1 {
			t.Fatalf("step %d: reasoning %q, %d tool calls; want %q and one call", i, a.Reasoning, len(a.ToolCalls), want)
		}
		if want := map[int]string{1: "", 2: "restored-thinking=1", 3: "restored-thinking=2"}[i]; a.Repairs != want {
			t.Errorf("step %d: %s = %q, want %q", i, bedrock.RepairsHeader, a.Repairs, want)
		}
		var tc struct{ ID string }
		_ = json.Unmarshal(a.ToolCalls[0], &tc)
		// What opencode sends back: the text of the thinking, no
		// signature, no reasoning_details.
		messages = append(messages,
			map[string]any{"role": "assistant", "content": "", "reasoning_content": a.Reasoning, "tool_calls": a.ToolCalls},
			map[string]any{"role": "tool", "tool_call_id": tc.ID, "content": fmt.Sprintf("step %d ok", i)})
		if i == 2 {
			// The memory is the router's, not the config's.
			write(t, f.cfgPath, string(ini)+fmt.Sprintf(thinkingTier, endpoint)+"\n; edited\n")
			if err := f.server.Reload(); err != nil {
				t.Fatal(err)
			}
		}
	}
	final := askThinking(t, f.url, messages, true)
	if final.Content != "All three done." || final.Repairs != "restored-thinking=3" {
		t.Errorf("final answer %q with %q; want the answer with thinking restored for all three turns", final.Content, final.Repairs)
	}
	got := f.lastRequest()
	var body struct {
		Messages []struct {
			Role    string           `json:"role"`
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	for i, m := range body.Messages {
		if _, ok := m.Content[0]["reasoningContent"]; m.Role == "assistant" && !ok {
			t.Errorf("Bedrock got assistant turn %d without its thinking first: %v", i, m.Content)
		}
	}

	// A restart: a new router, the same history, nothing to restore.
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	restarted := httptest.NewServer(server.New(cfg, server.Options{}))
	defer restarted.Close()
	for _, stream := range []bool{false, true} {
		a := askThinking(t, restarted.URL, messages, stream)
		if a.Content != "Done, without thinking." || a.Repairs != "thinking-off=1" {
			t.Errorf("after a restart (stream %v): %q with %q; want an answer with thinking-off=1", stream, a.Content, a.Repairs)
		}
		if req := f.lastRequest(); strings.Contains(string(req.Body), "reasoningContent") || strings.Contains(string(req.Body), "additionalModelRequestFields") {
			t.Errorf("after a restart Bedrock got thinking: %s", req.Body)
		}
	}
}

// TestRepairsHeader checks that an answer names the repairs its request
// needed, streamed or not, and that a request needing none has no header.
func TestRepairsHeader(t *testing.T) {
	f := newFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return fakebedrock.Reply{Text: "ok"} })
	history := `"messages":[{"role":"assistant","content":"Earlier."},{"role":"user","content":"a"},{"role":"user","content":"b"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"functions.bash:0","type":"function","function":{"name":"bash","arguments":"{}"}}]},
		{"role":"user","content":"go on"}]`
	tests := []struct{ name, body, want string }{
		{"clean", `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`, ""},
		{"repaired", `{"model":"code-fast",` + history + `}`, "merged-turns=1,rewritten-ids=1,unanswered-calls=1,assistant-first=1,stub-tools=1"},
		{"repaired-stream", `{"model":"code-fast","stream":true,` + history + `}`, "merged-turns=1,rewritten-ids=1,unanswered-calls=1,assistant-first=1,stub-tools=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.post("/v1/chat/completions", tt.body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get(server.RepairsHeader); got != tt.want {
				t.Errorf("%s = %q, want %q", server.RepairsHeader, got, tt.want)
			}
			if _, ok := resp.Header[http.CanonicalHeaderKey(server.RepairsHeader)]; !ok && tt.want != "" {
				t.Error("no repairs header")
			}
			if tt.want != "" {
				// The log says it too, for a user reading it later.
				f.waitLog(fmt.Sprintf("stream=%v", strings.Contains(tt.body, `"stream":true`)), `repairs="`+tt.want+`"`)
			}
		})
	}
}

// TestThinkingSameTextTwoConversations has two conversations get the same
// answer text ("Done.") with different thinking, one streamed and one
// not, then send it back without reasoning_details: each gets its own
// thinking restored, never the other's.
func TestThinkingSameTextTwoConversations(t *testing.T) {
	f := newFixture(t)
	addThinkingTier(t, f)
	f.fake.Respond(func(r fakebedrock.Request) fakebedrock.Reply {
		body := string(r.Body)
		switch {
		case !fakebedrock.ThinkingEnabled(r.Body):
			return fakebedrock.Reply{Text: "Done, without thinking."}
		case strings.Contains(body, "Thanks"):
			return fakebedrock.Reply{Text: "You are welcome.", Reasoning: "Be polite."}
		case strings.Contains(body, "a.go"):
			return fakebedrock.Reply{Text: "Done.", Reasoning: "Fix a.go by renaming."}
		}
		return fakebedrock.Reply{Text: "Done.", Reasoning: "Fix b.go by deleting."}
	})
	conversations := []struct {
		ask, thinking string
		stream        bool
	}{
		{"Fix a.go", "Fix a.go by renaming.", false},
		{"Fix b.go", "Fix b.go by deleting.", true},
	}
	answers := make([]loopAnswer, len(conversations))
	for i, c := range conversations {
		answers[i] = askThinking(t, f.url, []any{map[string]any{"role": "user", "content": c.ask}}, c.stream)
		if answers[i].Content != "Done." || answers[i].Reasoning != c.thinking {
			t.Fatalf("%s: %q thinking %q", c.ask, answers[i].Content, answers[i].Reasoning)
		}
	}
	for i, c := range conversations {
		messages := []any{
			map[string]any{"role": "user", "content": c.ask},
			map[string]any{"role": "assistant", "content": answers[i].Content, "reasoning_content": answers[i].Reasoning},
			map[string]any{"role": "user", "content": "Thanks"},
		}
		a := askThinking(t, f.url, messages, !c.stream)
		if a.Repairs != "restored-thinking=1" {
			t.Errorf("%s: %s = %q, want restored-thinking=1", c.ask, bedrock.RepairsHeader, a.Repairs)
		}
		var body struct {
			Messages []struct {
				Content []struct {
					ReasoningContent *struct {
						ReasoningText struct{ Text string } `json:"reasoningText"`
					} `json:"reasoningContent"`
				} `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(f.lastRequest().Body, &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Messages) != 3 || body.Messages[1].Content[0].ReasoningContent == nil {
			t.Errorf("%s: Bedrock got the answer back without thinking: %s", c.ask, f.lastRequest().Body)
			continue
		}
		if got := body.Messages[1].Content[0].ReasoningContent.ReasoningText.Text; got != c.thinking {
			t.Errorf("%s: the answer came back with the thinking %q, want its own %q", c.ask, got, c.thinking)
		}
	}
}
