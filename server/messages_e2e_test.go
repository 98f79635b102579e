package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// messagesINI has Claude tiers (served with Anthropic bodies over
// InvokeModel), a Nova tier (served through Converse) and a gguf tier.
const messagesINI = `[DEFAULT]
llama_swap_url = {{LLAMA}}

[ROUTING]
multi_turn = 4
fast_token_budget = 1000

[claude-fast]
role = fast
aws_model_id = us.anthropic.claude-haiku-4-5-20251001-v1:0
aws_profile = fast
aws_endpoint_url = {{BEDROCK}}
max_output_tokens = 16000

[claude-smart]
role = agent
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_region = us-east-1
aws_profile = smart
aws_endpoint_url = {{BEDROCK}}
max_output_tokens = 32000
prompt_cache = on
aliases = smart

[nova]
role = plan
aws_model_id = amazon.nova-pro-v1:0
aws_endpoint_url = {{BEDROCK}}
aws_region = us-east-1

[local]
role = plan-uncensored
hf_repo = org/local-GGUF
hf_file = local-Q4_K_M.gguf
aliases = uncensored
`

// Claude Code's headers: a version, a key the router ignores, and betas,
// some of which Bedrock does not take.
const claudeCodeBetas = "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27"

func newMessagesFixture(t *testing.T) (*fixture, anthropic.Client) {
	t.Helper()
	f := newFixtureINI(t, fakebedrock.Options{}, messagesINI)
	// A transport of the test's own, whose connections end with it.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := anthropic.NewClient(
		option.WithHTTPClient(&http.Client{Transport: tr}),
		option.WithBaseURL(f.url),
		option.WithAPIKey("sk-ant-not-a-real-key-0123456789"),
		option.WithHeader("anthropic-beta", claudeCodeBetas),
		option.WithMaxRetries(0),
	)
	return f, client
}

func userText(s string) []anthropic.MessageParam {
	return []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(s))}
}

// invokeBody is the body of the fake's last call, decoded.
func invokeBody(t *testing.T, f *fixture, op string) map[string]any {
	t.Helper()
	req := f.lastRequest()
	if req.Operation != op {
		t.Fatalf("the fake's last call was %s, want %s", req.Operation, op)
	}
	var v map[string]any
	if err := json.Unmarshal(req.Body, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMessagesText sends a plain request through the Anthropic SDK: the
// Claude tier named gets Anthropic's body over InvokeModel, without model
// and stream, with anthropic_version and the betas Bedrock takes, and its
// answer comes back as sent. The API key is in no log.
func TestMessagesText(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "hello from claude", InputTokens: 11, OutputTokens: 4, CacheReadTokens: 5}
	})
	var resp *http.Response
	msg, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "smart", MaxTokens: 1000, Messages: userText("hi"),
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "hello from claude" || msg.StopReason != anthropic.StopReasonEndTurn {
		t.Errorf("answer %+v", msg)
	}
	if got := resp.Header.Get(server.RouteHeader); got != "claude-smart; reason=alias smart" {
		t.Errorf("route %q", got)
	}
	body := invokeBody(t, f, "InvokeModel")
	if _, ok := body["model"]; ok {
		t.Error("model reached Bedrock")
	}
	if body["anthropic_version"] != fakebedrock.AnthropicVersion {
		t.Errorf("anthropic_version %v", body["anthropic_version"])
	}
	if betas, _ := json.Marshal(body["anthropic_beta"]); string(betas) != `["interleaved-thinking-2025-05-14","context-management-2025-06-27"]` {
		t.Errorf("anthropic_beta %s", betas)
	}
	if r := resp.Header.Get(server.RepairsHeader); r != "dropped-betas=1" {
		t.Errorf("repairs %q", r)
	}
	if f.lastRequest().AccessKeyID != keySmart {
		t.Errorf("signed by %s, want the smart profile", f.lastRequest().AccessKeyID)
	}
	f.waitLog("path=/v1/messages", "tier=claude-smart", "status=200", `repairs="dropped-betas=1"`)
	if strings.Contains(f.logs.String(), "sk-ant-not-a-real-key") {
		t.Error("the API key reached the log")
	}
	st := f.tierStats("claude-smart")
	if st.Requests != 1 || st.PromptTokens != 16 || st.CachedTokens != 5 || st.CompletionTokens != 4 {
		t.Errorf("tier stats %+v", st)
	}
}

// TestMessagesStream streams an answer with text and a tool call: the
// SDK's accumulator rebuilds it from the events, and the usage is counted
// in the tier's stats.
func TestMessagesStream(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "let me look", ToolUses: []fakebedrock.ToolUse{{ID: "toolu_1", Name: "Read", InputChunks: []string{`{"file_pa`, `th":"a.go"}`}}}, InputTokens: 20, OutputTokens: 9}
	})
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model: "claude-sonnet-4-5-20250929", MaxTokens: 1000, Messages: userText("read a.go"),
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "Read", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"file_path": map[string]any{"type": "string"}}}}}},
	})
	defer stream.Close()
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 2 || msg.Content[0].Text != "let me look" || msg.Content[1].Name != "Read" || string(msg.Content[1].Input) != `{"file_path":"a.go"}` || msg.StopReason != anthropic.StopReasonToolUse {
		t.Errorf("accumulated %+v", msg.Content)
	}
	if f.lastRequest().Operation != "InvokeModelWithResponseStream" {
		t.Errorf("operation %s", f.lastRequest().Operation)
	}
	f.waitLog("path=/v1/messages", "tier=claude-smart", "stream=true", "status=200")
	if st := f.tierStats("claude-smart"); st.Requests != 1 || st.PromptTokens != 20 || st.CompletionTokens != 9 {
		t.Errorf("tier stats %+v", st)
	}
}

// TestMessagesThinkingToolLoop runs a tool loop with thinking on: the
// streamed thinking's signature reaches the client, the client sends the
// turn back as it got it, and the fake (which checks its signatures, and
// that the turn leads with its thinking) takes the next request.
func TestMessagesThinkingToolLoop(t *testing.T) {
	f, client := newMessagesFixture(t)
	turn := 0
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		turn++
		if turn == 1 {
			return fakebedrock.Reply{Reasoning: "I need the listing.", Redacted: true, ToolUses: []fakebedrock.ToolUse{{ID: "toolu_ls", Name: "ls", Input: `{}`}}}
		}
		return fakebedrock.Reply{Text: "two files"}
	})
	params := anthropic.MessageNewParams{
		Model: "claude-haiku-4-5", MaxTokens: 8000, Messages: userText("what is here?"),
		Thinking: anthropic.ThinkingConfigParamOfEnabled(2048),
		Tools:    []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "ls", InputSchema: anthropic.ToolInputSchemaParam{}}}},
	}
	stream := client.Messages.NewStreaming(context.Background(), params)
	defer stream.Close()
	var first anthropic.Message
	for stream.Next() {
		if err := first.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(first.Content) != 3 || first.Content[0].Type != "thinking" || first.Content[0].Signature != fakebedrock.Signature("I need the listing.") || first.Content[1].Type != "redacted_thinking" {
		t.Fatalf("first turn %+v", first.Content)
	}
	params.Messages = append(params.Messages, first.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_ls", "a.go b.go", false)))
	second, err := client.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatalf("second turn: %v", err)
	}
	if text := second.Content[len(second.Content)-1].Text; text != "two files" {
		t.Errorf("second turn %+v", second.Content)
	}
	body := invokeBody(t, f, "InvokeModel")
	if th, _ := json.Marshal(body["thinking"]); string(th) != `{"budget_tokens":2048,"type":"enabled"}` {
		t.Errorf("thinking %s", th)
	}
	if f.lastRequest().AccessKeyID != keyFast {
		t.Errorf("haiku went to %s, want the claude-fast tier", f.lastRequest().AccessKeyID)
	}
}

// TestMessagesErrors checks that Bedrock's throttling is a 429
// rate_limit_error, before a stream and during one (an error event, never
// message_stop), and that both count toward the tier's health.
func TestMessagesErrors(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Status: 429, ErrorType: "ThrottlingException", ErrorMessage: "Too many requests, please wait before trying again."}
	})
	_, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{Model: "smart", MaxTokens: 100, Messages: userText("hi")})
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Type() != "rate_limit_error" || !strings.Contains(apiErr.RawJSON(), "Too many requests") {
		t.Fatalf("throttled: %v", err)
	}

	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Chunks: []string{"a ", "b ", "c "}, Exception: "throttlingException", ExceptionAfter: 2}
	})
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{Model: "smart", MaxTokens: 100, Messages: userText("hi")})
	defer stream.Close()
	var types []string
	for stream.Next() {
		types = append(types, stream.Current().Type)
	}
	err = stream.Err()
	if !errors.As(err, &apiErr) || apiErr.Type() != "rate_limit_error" {
		t.Fatalf("mid-stream failure: err = %v", err)
	}
	for _, typ := range types {
		if typ == "message_stop" {
			t.Errorf("a failed stream ended with message_stop: %v", types)
		}
	}
	f.waitLog("path=/v1/messages", "stream=true", "error=")
	if st := f.tierStats("claude-smart"); st.Errors != 2 || st.LastStatus != http.StatusTooManyRequests {
		t.Errorf("tier stats %+v", st)
	}
}

// TestMessagesCountTokens asks count_tokens of a Claude tier (Bedrock's
// CountTokens counts) and of a Nova tier (estimated, and said so).
func TestMessagesCountTokens(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(r fakebedrock.Request) fakebedrock.Reply { return fakebedrock.Reply{InputTokens: 321} })
	var resp *http.Response
	n, err := client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{Model: "claude-sonnet-4-5", Messages: userText("count me")}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if n.InputTokens != 321 || resp.Header.Get(server.TokenCountHeader) != "bedrock" {
		t.Errorf("counted %d (%s)", n.InputTokens, resp.Header.Get(server.TokenCountHeader))
	}
	req := f.lastRequest()
	if req.Operation != "CountTokens" || req.ModelID != "anthropic.claude-sonnet-4-5-20250929-v1:0" {
		t.Errorf("the fake got %s for %s", req.Operation, req.ModelID)
	}
	n, err = client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{Model: "nova", Messages: userText(strings.Repeat("word ", 40))}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if n.InputTokens < 40 || n.InputTokens > 100 || resp.Header.Get(server.TokenCountHeader) != "estimate" {
		t.Errorf("estimated %d (%s)", n.InputTokens, resp.Header.Get(server.TokenCountHeader))
	}
}

// TestMessagesRouting checks the model → tier choice: auto through the
// classifier, Claude names by family (an opus with no opus tier goes to
// the agent tier), gguf tiers and unknown models to llama-swap's
// /v1/messages, model rewritten only to a tier's name.
func TestMessagesRouting(t *testing.T) {
	f, _ := newMessagesFixture(t)
	tests := []struct {
		model, body, route string
	}{
		{"auto", `"messages":[{"role":"user","content":"hi"}]`, "claude-fast; reason=default"},
		{"auto", `"messages":[{"role":"user","content":"run it"}],"tools":[{"name":"Bash","input_schema":{"type":"object"}}]`, "claude-smart; reason=tools (1 declared)"},
		{"auto", `"messages":[{"role":"user","content":"what architecture should we pick?"}]`, "nova; reason=plan-word \"architecture\""},
		{"claude-haiku-4-5-20251001", `"messages":[{"role":"user","content":"hi"}]`, "claude-fast; reason=claude-haiku"},
		{"claude-opus-4-1", `"messages":[{"role":"user","content":"hi"}]`, "claude-smart; reason=claude-opus; no opus tier"},
		{"uncensored", `"messages":[{"role":"user","content":"hi"}]`, "local; reason=alias uncensored"},
		{"qwen-coder", `"messages":[{"role":"user","content":"hi"}]`, "llama-swap; reason=unknown model"},
	}
	for _, tt := range tests {
		t.Run(tt.model+" "+tt.route, func(t *testing.T) {
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return fakebedrock.Reply{Text: "ok"} })
			resp, body := f.post("/v1/messages?beta=true", `{"model":"`+tt.model+`","max_tokens":100,`+tt.body+`}`)
			if got := resp.Header.Get(server.RouteHeader); got != tt.route {
				t.Errorf("route %q, want %q (%s)", got, tt.route, body)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
	reqs := f.llama.received()
	if len(reqs) != 2 {
		t.Fatalf("llama-swap got %d requests", len(reqs))
	}
	var first, second map[string]any
	json.Unmarshal(reqs[0].Body, &first)
	json.Unmarshal(reqs[1].Body, &second)
	if reqs[0].Path != "/v1/messages?beta=true" || first["model"] != "local" || second["model"] != "qwen-coder" {
		t.Errorf("llama-swap got %s %v, then %v", reqs[0].Path, first["model"], second["model"])
	}
}

// TestMessagesConverseTier serves a non-Claude tier through the router's
// Converse translation: text, a stream, and a tool call come back as
// Anthropic answers, tool results go back as Converse tool results.
func TestMessagesConverseTier(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "checking", ToolUses: []fakebedrock.ToolUse{{ID: "tu_1", Name: "ls", Input: `{"dir":"."}`}}, InputTokens: 7, OutputTokens: 2}
	})
	params := anthropic.MessageNewParams{
		Model: "nova", MaxTokens: 500, Messages: userText("list"),
		System: []anthropic.TextBlockParam{{Text: "Be brief."}},
		Tools:  []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "ls", InputSchema: anthropic.ToolInputSchemaParam{}}}},
	}
	msg, err := client.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 2 || msg.Content[0].Text != "checking" || msg.Content[1].ID != "tu_1" || string(msg.Content[1].Input) != `{"dir":"."}` || msg.StopReason != anthropic.StopReasonToolUse || msg.Usage.InputTokens != 7 {
		t.Errorf("answer %+v", msg)
	}
	if op := f.lastRequest().Operation; op != "Converse" {
		t.Errorf("operation %s", op)
	}

	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "a.go and b.go", InputTokens: 9, OutputTokens: 3}
	})
	params.Messages = append(params.Messages, msg.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock("tu_1", "a.go b.go", false)))
	stream := client.Messages.NewStreaming(context.Background(), params)
	defer stream.Close()
	var second anthropic.Message
	for stream.Next() {
		if err := second.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(second.Content) != 1 || second.Content[0].Text != "a.go and b.go" || second.StopReason != anthropic.StopReasonEndTurn || second.Usage.OutputTokens != 3 {
		t.Errorf("streamed %+v", second)
	}
	body := string(f.lastRequest().Body)
	if !strings.Contains(body, `{"toolResult":{"content":[{"text":"a.go b.go"}],"toolUseId":"tu_1"}}`) || !strings.Contains(body, `"system":[{"text":"Be brief."}]`) {
		t.Errorf("Converse body %s", body)
	}
	if st := f.tierStats("nova"); st.Requests != 2 || st.PromptTokens != 16 {
		t.Errorf("tier stats %+v", st)
	}
}

// TestMessagesConverseStreamFailure: a Converse stream that fails after it
// started reaches an Anthropic client as an error event.
func TestMessagesConverseStreamFailure(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Chunks: []string{"a ", "b "}, Exception: "serviceUnavailableException", ExceptionAfter: 1}
	})
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{Model: "nova", MaxTokens: 100, Messages: userText("hi")})
	defer stream.Close()
	var seen []string
	for stream.Next() {
		seen = append(seen, stream.Current().Type)
	}
	var apiErr *anthropic.Error
	if err := stream.Err(); !errors.As(err, &apiErr) || apiErr.Type() != "overloaded_error" {
		t.Fatalf("err = %v after %v", err, seen)
	}
	if strings.Contains(strings.Join(seen, " "), "message_stop") {
		t.Errorf("a failed stream ended with message_stop: %v", seen)
	}
	f.waitLog("path=/v1/messages", "tier=nova", "error=")
	if st := f.tierStats("nova"); st.Errors != 1 {
		t.Errorf("tier stats %+v", st)
	}
}

// TestMessagesAutoAndGuard: "auto" through the SDK picks by the
// classifier, and the Messages routes refuse foreign web pages like every
// other route.
func TestMessagesAutoAndGuard(t *testing.T) {
	f, client := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return fakebedrock.Reply{Text: "ok"} })
	var resp *http.Response
	_, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{Model: "auto", MaxTokens: 100, Messages: userText("please refactor this loop")}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get(server.RouteHeader); got != `claude-smart; reason=agent-verb "refactor"` {
		t.Errorf("route %q", got)
	}
	for _, path := range []string{"/v1/messages", "/v1/messages/count_tokens"} {
		req, _ := http.NewRequest(http.MethodPost, f.url+path, strings.NewReader(`{"model":"smart","max_tokens":1,"messages":[]}`))
		req.Header.Set("Origin", "https://evil.example")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s from a foreign page: %d", path, r.StatusCode)
		}
	}
}

// TestMessagesNewerShapes: a block the router's types do not read (a
// search_result, whose source is a string) still reaches a Claude tier as
// sent; a tier served through Converse, which must read it, answers 400.
// With llama-swap down, a gguf tier's failure is an Anthropic error too.
func TestMessagesNewerShapes(t *testing.T) {
	f, _ := newMessagesFixture(t)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return fakebedrock.Reply{Text: "ok"} })
	block := `{"type":"search_result","source":"https://example.com/a","title":"A","content":[{"type":"text","text":"x"}]}`
	body := func(model string) string {
		return `{"model":"` + model + `","max_tokens":100,"messages":[{"role":"user","content":[` + block + `,{"type":"text","text":"sum up"}]}]}`
	}
	f.fake.Reset()
	resp, data := f.post("/v1/messages", body("smart"))
	// The fake does not know search_result blocks: what matters is that
	// the body went to Bedrock as sent.
	if reqs := f.fake.Requests(); len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"source":"https://example.com/a"`) {
		t.Errorf("Claude tier: %d %s; Bedrock got %v", resp.StatusCode, data, reqs)
	}
	resp, data = f.post("/v1/messages", body("nova"))
	var e struct {
		Type  string `json:"type"`
		Error struct{ Type, Message string }
	}
	if json.Unmarshal(data, &e); resp.StatusCode != http.StatusBadRequest || e.Type != "error" || e.Error.Type != "invalid_request_error" {
		t.Errorf("Converse tier: %d %s", resp.StatusCode, data)
	}
	f.llama.Close()
	resp, data = f.post("/v1/messages", body("uncensored"))
	if json.Unmarshal(data, &e); resp.StatusCode != http.StatusBadGateway || e.Type != "error" || e.Error.Type != "api_error" || !strings.Contains(e.Error.Message, "llama-swap") {
		t.Errorf("llama-swap down: %d %s", resp.StatusCode, data)
	}
}
