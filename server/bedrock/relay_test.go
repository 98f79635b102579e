package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server/openai"
)

// Event constructors, to keep the scripts readable.

func evMessageStart() types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMessageStart{Value: types.MessageStartEvent{Role: types.ConversationRoleAssistant}}
}

func evText(block int32, text string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block),
		Delta:             &types.ContentBlockDeltaMemberText{Value: text},
	}}
}

func evToolStart(block int32, id, name string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockStart{Value: types.ContentBlockStartEvent{
		ContentBlockIndex: aws.Int32(block),
		Start:             &types.ContentBlockStartMemberToolUse{Value: types.ToolUseBlockStart{ToolUseId: aws.String(id), Name: aws.String(name)}},
	}}
}

func evToolInput(block int32, input string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block),
		Delta:             &types.ContentBlockDeltaMemberToolUse{Value: types.ToolUseBlockDelta{Input: aws.String(input)}},
	}}
}

func evReasoning(block int32, text string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block),
		Delta:             &types.ContentBlockDeltaMemberReasoningContent{Value: &types.ReasoningContentBlockDeltaMemberText{Value: text}},
	}}
}

func evReasoningSignature(block int32, sig string) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block),
		Delta:             &types.ContentBlockDeltaMemberReasoningContent{Value: &types.ReasoningContentBlockDeltaMemberSignature{Value: sig}},
	}}
}

func evRedacted(block int32, data []byte) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(block),
		Delta:             &types.ContentBlockDeltaMemberReasoningContent{Value: &types.ReasoningContentBlockDeltaMemberRedactedContent{Value: data}},
	}}
}

func evBlockStop(block int32) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberContentBlockStop{Value: types.ContentBlockStopEvent{ContentBlockIndex: aws.Int32(block)}}
}

func evStop(r types.StopReason) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMessageStop{Value: types.MessageStopEvent{StopReason: r}}
}

func evUsage(in, out int32) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMetadata{Value: types.ConverseStreamMetadataEvent{
		Usage:   &types.TokenUsage{InputTokens: aws.Int32(in), OutputTokens: aws.Int32(out), TotalTokens: aws.Int32(in + out)},
		Metrics: &types.ConverseStreamMetrics{LatencyMs: aws.Int64(5)},
	}}
}

func evUsageCached(in, read, write, out int32) types.ConverseStreamOutput {
	return &types.ConverseStreamOutputMemberMetadata{Value: types.ConverseStreamMetadataEvent{
		Usage: &types.TokenUsage{InputTokens: aws.Int32(in), OutputTokens: aws.Int32(out), TotalTokens: aws.Int32(in + read + write + out),
			CacheReadInputTokens: aws.Int32(read), CacheWriteInputTokens: aws.Int32(write)},
		Metrics: &types.ConverseStreamMetrics{LatencyMs: aws.Int64(5)},
	}}
}

// relayCase is one ConverseStream script.
type relayCase struct {
	name         string
	ep           openai.Endpoint
	events       []types.ConverseStreamOutput
	includeUsage bool
	// upstream, when set, is the error the event stream ends with.
	upstream *openai.Error
}

var relayCases = []relayCase{
	{name: "text", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Hel"), evText(0, "lo"), evText(0, ", world"), evBlockStop(0), evStop(types.StopReasonEndTurn), evUsage(10, 3),
	}},
	{name: "text-include-usage", includeUsage: true, events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Hi"), evBlockStop(0), evStop(types.StopReasonEndTurn), evUsage(10, 1),
	}},
	{name: "text-include-usage-cached", includeUsage: true, events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Hi"), evBlockStop(0), evStop(types.StopReasonEndTurn), evUsageCached(4, 3000, 200, 1),
	}},
	{name: "text-escaping", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "line1\nline2 \"q\" \\ <b>&</b> \u2028 \x01 caf\u00e9 \xff"), evStop(types.StopReasonEndTurn),
	}},
	{name: "empty-deltas", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, ""), evToolStart(1, "t1", "f"), evToolInput(1, ""), evToolInput(1, "{}"), evStop(types.StopReasonToolUse),
	}},
	{name: "tool-call", events: []types.ConverseStreamOutput{
		evMessageStart(),
		evText(0, "Let me check."), evBlockStop(0),
		evToolStart(1, "tooluse_abc", "get_weather"), evToolInput(1, `{"city":`), evToolInput(1, ` "NYC"}`), evBlockStop(1),
		evStop(types.StopReasonToolUse), evUsage(20, 15),
	}},
	{name: "tool-calls-parallel", includeUsage: true, events: []types.ConverseStreamOutput{
		evMessageStart(),
		evToolStart(0, "tooluse_1", "get_weather"), evToolInput(0, `{"city":"NYC"}`), evBlockStop(0),
		evToolStart(1, "tooluse_2", "get_time"), evToolInput(1, `{"tz":`), evToolInput(1, `"EST"}`), evBlockStop(1),
		evToolStart(2, "tooluse_3", "get_news"), evBlockStop(2),
		evStop(types.StopReasonToolUse), evUsage(30, 25),
	}},
	{name: "tool-calls-interleaved", events: []types.ConverseStreamOutput{
		evMessageStart(),
		evText(0, "Both."),
		evToolStart(3, "tooluse_a", "a"), evToolStart(5, "tooluse_b", "b"),
		evToolInput(5, `{"b":`), evToolInput(3, `{"a":`), evToolInput(3, `1}`), evToolInput(5, `2}`),
		evStop(types.StopReasonToolUse),
	}},
	{name: "reasoning", events: []types.ConverseStreamOutput{
		evMessageStart(),
		evReasoning(0, "The user wants "), evReasoning(0, "6*7."), evReasoningSignature(0, "c2ln"), evBlockStop(0),
		evText(1, "42"), evBlockStop(1),
		evStop(types.StopReasonEndTurn), evUsage(5, 9),
	}},
	{name: "reasoning-redacted-then-tool", events: []types.ConverseStreamOutput{
		evMessageStart(),
		evReasoning(0, "Look first."), evReasoningSignature(0, "c2ln"), evBlockStop(0),
		evRedacted(1, []byte{0, 1, 2}), evBlockStop(1),
		evToolStart(2, "tooluse_1", "bash"), evToolInput(2, `{"cmd":"ls"}`), evBlockStop(2),
		evStop(types.StopReasonToolUse),
	}},
	{name: "max-tokens", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Once upon a"), evStop(types.StopReasonMaxTokens), evUsage(4, 3),
	}},
	{name: "guardrail", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Sorry."), evStop(types.StopReasonGuardrailIntervened),
	}},
	{name: "content-filtered", events: []types.ConverseStreamOutput{
		evMessageStart(), evStop(types.StopReasonContentFiltered),
	}},
	{name: "stop-sequence", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "one, two"), evStop(types.StopReasonStopSequence),
	}},
	{name: "no-message-stop", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "cut sh"),
	}},
	{name: "upstream-error", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "partial answer"),
	}, upstream: &openai.Error{Status: 429, Message: `bedrock tier "agent": too many requests (ThrottlingException)`, Type: openai.TypeRateLimit, Code: "throttled"}},
	{name: "error-after-message-stop", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "done"), evStop(types.StopReasonEndTurn),
	}, upstream: &openai.Error{Status: 502, Message: "stream broke before metadata", Type: openai.TypeUpstream, Code: "upstream_error"}},
	{name: "usage-not-requested", includeUsage: false, events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "x"), evStop(types.StopReasonEndTurn), evUsage(1, 1),
	}},
	{name: "usage-missing", includeUsage: true, events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "x"), evStop(types.StopReasonEndTurn),
	}},
	{name: "completions-text", ep: openai.Completions, includeUsage: true, events: []types.ConverseStreamOutput{
		evMessageStart(), evReasoning(0, "hidden"), evText(1, "Once"), evText(1, " upon"),
		evToolStart(2, "t", "f"), evToolInput(2, "{}"), evStop(types.StopReasonEndTurn), evUsage(2, 2),
	}},
	{name: "completions-no-message-stop", ep: openai.Completions, events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Once"),
	}},
}

// runRelay plays events through a relay into a recorded stream, ending it
// the way Dispatcher.Serve does: an upstream error or a missing
// messageStop fails the stream; otherwise the finish chunk, the usage chunk
// when asked for, and [DONE].
func runRelay(t *testing.T, tc relayCase) string {
	t.Helper()
	id := "chatcmpl-relay"
	if tc.ep == openai.Completions {
		id = "cmpl-relay"
	}
	rec := httptest.NewRecorder()
	stream := openai.NewStream(rec, tc.ep, id, 1700000000, "agent")
	rl := newRelay(stream)
	if err := stream.Begin(); err != nil {
		t.Fatal(err)
	}
	for i, ev := range tc.events {
		if err := rl.event(ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	switch {
	case tc.upstream != nil:
		stream.Fail(tc.upstream)
	case rl.finish == "":
		stream.Fail(&openai.Error{Status: 502, Message: "Bedrock stream ended before the answer was complete", Type: openai.TypeUpstream, Code: "incomplete_stream"})
	default:
		stream.FinishNative(rl.finish, rl.native)
		if rl.usage != nil && tc.includeUsage {
			stream.Usage(*rl.usage)
		}
		stream.Done()
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	return rec.Body.String()
}

func TestRelay(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range relayCases {
		if names[tc.name] {
			t.Fatalf("duplicate case %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			out := runRelay(t, tc)
			checkRelayOutput(t, tc, out)
			golden.Assert(t, "relay/"+tc.name+".sse", []byte(out))
		})
	}
}

// sseChunk is the part of a chunk the structural checks read.
type sseChunk struct {
	Choices []struct {
		Delta *struct {
			Role      *string `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				Index    *int    `json:"index"`
				ID       *string `json:"id"`
				Type     *string `json:"type"`
				Function struct {
					Name      *string `json:"name"`
					Arguments *string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		Text         *string `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *openai.Usage `json:"usage"`
	Error *openai.Error `json:"error"`
}

func parseSSE(t *testing.T, body string) (chunks []sseChunk, done bool) {
	t.Helper()
	if !strings.HasSuffix(body, "\n\n") {
		t.Fatalf("stream does not end with a blank line")
	}
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	for i, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok {
			t.Fatalf("event %d: %q", i, ev)
		}
		if data == "[DONE]" {
			if i != len(events)-1 {
				t.Fatalf("[DONE] before the end")
			}
			return chunks, true
		}
		var c sseChunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %d is not JSON: %v\n%s", i, err, data)
		}
		chunks = append(chunks, c)
	}
	return chunks, false
}

// checkRelayOutput checks the streaming rules on every script: the first
// chat delta announces the assistant, each tool call opens with a head
// delta (index, id, type, name, empty arguments) before its argument
// deltas, the text and arguments add up to what the events carried, and
// the stream ends either with a finish chunk and [DONE] or with an error
// chunk and no [DONE].
func checkRelayOutput(t *testing.T, tc relayCase, body string) {
	t.Helper()
	chunks, done := parseSSE(t, body)
	if len(chunks) == 0 {
		t.Fatal("no chunks")
	}
	chat := tc.ep == openai.ChatCompletions
	if chat {
		first := chunks[0]
		if len(first.Choices) != 1 || first.Choices[0].Delta == nil || first.Choices[0].Delta.Role == nil || *first.Choices[0].Delta.Role != "assistant" {
			t.Errorf("first chunk does not announce the assistant role")
		}
	}

	// What the events carried.
	var wantText strings.Builder
	wantArgs := map[int32]string{}
	stopped := map[int32]bool{}
	var toolBlocks []int32
	wantFinish := ""
	for _, ev := range tc.events {
		switch ev := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			toolBlocks = append(toolBlocks, *ev.Value.ContentBlockIndex)
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := ev.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				wantText.WriteString(d.Value)
			case *types.ContentBlockDeltaMemberToolUse:
				wantArgs[*ev.Value.ContentBlockIndex] += *d.Value.Input
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			stopped[*ev.Value.ContentBlockIndex] = true
		case *types.ConverseStreamOutputMemberMessageStop:
			wantFinish = FinishReason(ev.Value.StopReason)
		}
	}

	var gotText strings.Builder
	gotArgs := map[int]string{}
	opened := map[int]bool{}
	last := chunks[len(chunks)-1]
	for i, c := range chunks {
		if c.Usage != nil {
			if len(c.Choices) != 0 || i != len(chunks)-1 {
				t.Errorf("usage chunk %d: %d choices", i, len(c.Choices))
			}
			continue
		}
		if len(c.Choices) != 1 {
			t.Fatalf("chunk %d has %d choices", i, len(c.Choices))
		}
		ch := c.Choices[0]
		if ch.FinishReason != nil && i < len(chunks)-2 {
			t.Errorf("finish_reason %q in chunk %d of %d", *ch.FinishReason, i, len(chunks))
		}
		if ch.Text != nil {
			gotText.WriteString(*ch.Text)
		}
		if ch.Delta == nil {
			continue
		}
		if ch.Delta.Content != nil {
			gotText.WriteString(*ch.Delta.Content)
		}
		for _, call := range ch.Delta.ToolCalls {
			if call.Index == nil {
				t.Fatalf("chunk %d: tool call delta without index", i)
			}
			idx := *call.Index
			if call.ID != nil {
				if opened[idx] {
					t.Errorf("tool call %d opened twice", idx)
				}
				opened[idx] = true
				if call.Type == nil || *call.Type != "function" || call.Function.Name == nil || *call.Function.Name == "" ||
					call.Function.Arguments == nil || *call.Function.Arguments != "" {
					t.Errorf("chunk %d: tool call head %+v", i, call)
				}
				continue
			}
			if !opened[idx] {
				t.Errorf("chunk %d: arguments for tool call %d before its head", i, idx)
			}
			if call.Function.Arguments == nil || *call.Function.Arguments == "" {
				t.Errorf("chunk %d: empty argument delta", i)
				continue
			}
			gotArgs[idx] += *call.Function.Arguments
		}
	}
	if gotText.String() != wantTextFor(wantText.String()) {
		t.Errorf("text adds up to %q, want %q", gotText.String(), wantText.String())
	}
	if chat {
		if len(opened) != len(toolBlocks) {
			t.Errorf("%d tool calls opened, %d in the events", len(opened), len(toolBlocks))
		}
		for i, block := range toolBlocks {
			want := wantArgs[block]
			if want == "" && (done || stopped[block]) {
				want = "{}" // a tool call that got no arguments is closed with "{}"
			}
			if gotArgs[i] != want {
				t.Errorf("tool call %d arguments %q, want %q", i, gotArgs[i], want)
			}
		}
	} else if len(opened) != 0 {
		t.Errorf("tool calls in a text_completion stream")
	}

	failed := tc.upstream != nil || wantFinish == ""
	if failed {
		if done {
			t.Error("a failed stream sent [DONE]")
		}
		if last.Error == nil || len(last.Choices) != 1 || last.Choices[0].FinishReason == nil || *last.Choices[0].FinishReason != "error" {
			t.Errorf("a failed stream does not end with an error chunk")
		}
		return
	}
	if !done {
		t.Error("no [DONE]")
	}
	finish := last
	if tc.includeUsage && last.Usage != nil {
		finish = chunks[len(chunks)-2]
	}
	if len(finish.Choices) != 1 || finish.Choices[0].FinishReason == nil || *finish.Choices[0].FinishReason != wantFinish {
		t.Errorf("no final chunk with finish_reason %q", wantFinish)
	}
	for _, c := range chunks {
		if c.Error != nil {
			t.Errorf("error object in a successful stream")
		}
	}
}

// wantTextFor is the text a client reads back: invalid UTF-8 arrives as
// U+FFFD.
func wantTextFor(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// TestRelayToolCallLiteral spells out the whole stream of a tool call, so
// the format is pinned in Go and not only in a golden file.
func TestRelayToolCallLiteral(t *testing.T) {
	out := runRelay(t, relayCase{name: "literal", events: []types.ConverseStreamOutput{
		evMessageStart(), evText(0, "Hi"), evToolStart(1, "tooluse_1", "get_weather"),
		evToolInput(1, `{"city":"NYC"}`), evStop(types.StopReasonToolUse),
	}})
	head := `data: {"id":"chatcmpl-relay","object":"chat.completion.chunk","created":1700000000,"model":"agent","choices":[`
	want := head + `{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}` + "\n\n" +
		head + `{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n" +
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"id":"tooluse_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}` + "\n\n" +
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"NYC\"}"}}]},"finish_reason":null}]}` + "\n\n" +
		head + `{"index":0,"delta":{},"finish_reason":"tool_calls","native_finish_reason":"tool_use"}]}` + "\n\n" +
		"data: [DONE]\n\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestRelayFailureLiteral(t *testing.T) {
	out := runRelay(t, relayCase{name: "literal", events: []types.ConverseStreamOutput{evMessageStart(), evText(0, "Hi")},
		upstream: &openai.Error{Status: 502, Message: "boom", Type: openai.TypeUpstream, Code: "upstream_error"}})
	head := `data: {"id":"chatcmpl-relay","object":"chat.completion.chunk","created":1700000000,"model":"agent","choices":[`
	want := head + `{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}` + "\n\n" +
		head + `{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n" +
		head + `{"index":0,"delta":{},"finish_reason":"error"}],"error":{"message":"boom","type":"upstream_error","code":"upstream_error"}}` + "\n\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestRelayState checks what the relay remembers for the end of the
// stream: the finish reason of messageStop and the usage of metadata.
func TestRelayState(t *testing.T) {
	rl := newRelay(openai.NewStream(httptest.NewRecorder(), openai.ChatCompletions, "id", 1, "m"))
	if rl.finish != "" || rl.usage != nil {
		t.Fatalf("fresh relay: %+v", rl)
	}
	rl.event(evStop(types.StopReasonMaxTokens))
	rl.event(evUsage(7, 5))
	if rl.finish != "length" {
		t.Errorf("finish = %q", rl.finish)
	}
	if rl.usage == nil || *rl.usage != (openai.Usage{PromptTokens: 7, CompletionTokens: 5, TotalTokens: 12}) {
		t.Errorf("usage = %+v", rl.usage)
	}
	rl.event(&types.ConverseStreamOutputMemberMetadata{Value: types.ConverseStreamMetadataEvent{}})
	if rl.usage == nil || *rl.usage != (openai.Usage{}) {
		t.Errorf("metadata without usage: %+v", rl.usage)
	}
}

// TestRelayMissingToolUseID: a tool call start without an id gets a fresh
// one.
func TestRelayMissingToolUseID(t *testing.T) {
	rec := httptest.NewRecorder()
	stream := openai.NewStream(rec, openai.ChatCompletions, "id", 1, "m")
	rl := newRelay(stream)
	rl.event(&types.ConverseStreamOutputMemberContentBlockStart{Value: types.ContentBlockStartEvent{
		ContentBlockIndex: aws.Int32(0),
		Start:             &types.ContentBlockStartMemberToolUse{Value: types.ToolUseBlockStart{Name: aws.String("f")}},
	}})
	chunks, _ := parseSSE(t, rec.Body.String())
	if len(chunks) != 1 || len(chunks[0].Choices) != 1 || chunks[0].Choices[0].Delta == nil || len(chunks[0].Choices[0].Delta.ToolCalls) != 1 {
		t.Fatalf("output:\n%s", rec.Body.String())
	}
	id := chunks[0].Choices[0].Delta.ToolCalls[0].ID
	if id == nil || !strings.HasPrefix(*id, "tool_") || len(*id) != 17 {
		t.Errorf("generated id %v", id)
	}
}

// failingWriter is a client that went away: every write fails.
type failingWriter struct{ *httptest.ResponseRecorder }

var errClientGone = errors.New("client gone")

func (failingWriter) Write([]byte) (int, error) { return 0, errClientGone }

func TestRelayReturnsWriteError(t *testing.T) {
	rl := newRelay(openai.NewStream(failingWriter{httptest.NewRecorder()}, openai.ChatCompletions, "id", 1, "m"))
	if err := rl.event(evText(0, "x")); !errors.Is(err, errClientGone) {
		t.Errorf("text delta to a gone client: %v", err)
	}
	// Events that write nothing still report the earlier failure.
	if err := rl.event(evStop(types.StopReasonEndTurn)); !errors.Is(err, errClientGone) {
		t.Errorf("messageStop after the client left: %v", err)
	}
	if err := rl.event(evMessageStart()); !errors.Is(err, errClientGone) {
		t.Errorf("messageStart after the client left: %v", err)
	}
}

// TestRelayKeepsThinking checks that a stream's thinking blocks are kept
// whole, in order, under the tool call ids and text the client got.
func TestRelayKeepsThinking(t *testing.T) {
	rl := newRelay(openai.NewStream(httptest.NewRecorder(), openai.ChatCompletions, "chatcmpl-x", 1, "agent"))
	for _, ev := range []types.ConverseStreamOutput{
		evMessageStart(),
		evReasoning(0, "Look "), evReasoning(0, "first."), evReasoningSignature(0, "c2"), evReasoningSignature(0, "ln"), evBlockStop(0),
		evRedacted(1, []byte{0, 1}), evRedacted(1, []byte{2}), evBlockStop(1),
		evText(2, "Listing."), evBlockStop(2),
		evToolStart(3, "tooluse_1", "bash"), evBlockStop(3),
		evStop(types.StopReasonToolUse),
	} {
		if err := rl.event(ev); err != nil {
			t.Fatal(err)
		}
	}
	keys, blocks := rl.answerThinking("ctx")
	assertJSONEqual(t, "blocks", blocks, `[{"reasoningText":{"text":"Look first.","signature":"c2ln"}},{"redactedContent":"AAEC"}]`)
	if want := answerKeys("ctx", "Listing.", []string{"tooluse_1"}); strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Errorf("keys = %q, want %q", keys, want)
	}
}

// TestRelayIdleTimeout: a stream on which Bedrock goes silent is given up
// after the idle timeout, the call is cancelled with errStreamIdle, and the
// stream ends with an error chunk naming the timeout; a stream whose events
// keep coming is not cut, however long it runs in all.
func TestRelayIdleTimeout(t *testing.T) {
	cases := []struct {
		name         string
		idle         time.Duration
		events       []types.ConverseStreamOutput
		silent       bool // Bedrock sends nothing after the events
		wantTimedOut bool
	}{
		{"silent after the first token", 50 * time.Millisecond, []types.ConverseStreamOutput{evMessageStart(), evText(0, "Hel")}, true, true},
		{"silent from the start", 50 * time.Millisecond, nil, true, true},
		{"events keep coming", 10 * time.Second, []types.ConverseStreamOutput{evMessageStart(), evText(0, "a"), evText(0, "b"), evStop(types.StopReasonEndTurn)}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			stream := openai.NewStream(rec, openai.ChatCompletions, "chatcmpl-idle", 1700000000, "agent")
			rl := newRelay(stream)
			if err := stream.Begin(); err != nil {
				t.Fatal(err)
			}
			events := make(chan types.ConverseStreamOutput)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			go func() {
				// The SDK closes the events when the call's context ends.
				defer close(events)
				for _, ev := range tc.events {
					select {
					case events <- ev:
					case <-ctx.Done():
						return
					}
				}
				if tc.silent {
					<-ctx.Done()
				}
			}()
			err, timedOut := rl.run(events, tc.idle, cancel)
			if err != nil {
				t.Fatal(err)
			}
			if timedOut != tc.wantTimedOut {
				t.Fatalf("timedOut = %v, want %v", timedOut, tc.wantTimedOut)
			}
			if !tc.wantTimedOut {
				if ctx.Err() != nil {
					t.Errorf("the call was cancelled: %v", context.Cause(ctx))
				}
				return
			}
			if cause := context.Cause(ctx); cause != errStreamIdle {
				t.Errorf("the call was not cancelled by the idle timer: cause %v", cause)
			}
			stream.Fail(streamIdleError(Call{Tier: "agent", Model: "anthropic.claude-test-v1:0", Region: "us-east-1"}, tc.idle))
			out := rec.Body.String()
			want := `"finish_reason":"error"}],"error":{"message":"tier agent (anthropic.claude-test-v1:0, us-east-1): Bedrock sent nothing for 0.05 s, so the router ended the stream and cancelled the call (stream_idle_timeout in models.ini)","type":"timeout_error","code":"stream_idle_timeout"}}`
			if !strings.Contains(out, want) || strings.Contains(out, "[DONE]") {
				t.Errorf("stream does not end with the idle error:\n%s", out)
			}
		})
	}
}
