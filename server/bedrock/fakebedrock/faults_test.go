package fakebedrock

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

// noRetry makes one attempt per call, so each call is one draw.
func noRetry(o *bedrockruntime.Options) { o.Retryer = aws.NopRetryer{} }

// call makes one call of op through the SDK and reports how it ended: the
// error code of a failed call or stream ("" for a clean answer) and the
// text chunks a stream delivered before it ended.
func call(t *testing.T, client interface {
	Converse(context.Context, *bedrockruntime.ConverseInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error)
	ConverseStream(context.Context, *bedrockruntime.ConverseStreamInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseStreamOutput, error)
	InvokeModel(context.Context, *bedrockruntime.InvokeModelInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error)
	InvokeModelWithResponseStream(context.Context, *bedrockruntime.InvokeModelWithResponseStreamInput, ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelWithResponseStreamOutput, error)
}, op string, tools bool) (code string, chunks int) {
	t.Helper()
	ctx := context.Background()
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "go"}}}}
	var tc *types.ToolConfiguration
	anthropic := `{"anthropic_version":"` + AnthropicVersion + `","max_tokens":100,"messages":[{"role":"user","content":"go"}]}`
	if tools {
		tc = &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("bash"), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
		}}}}
		anthropic = `{"anthropic_version":"` + AnthropicVersion + `","max_tokens":100,"messages":[{"role":"user","content":"go"}],"tools":[{"name":"bash","input_schema":{"type":"object"}}]}`
	}
	errCode := func(err error) string {
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode()
		}
		t.Fatalf("%s: %v is not a Bedrock error", op, err)
		return ""
	}
	model := aws.String(sonnet45)
	var err error
	switch op {
	case "Converse":
		_, err = client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: model, Messages: msgs, ToolConfig: tc}, noRetry)
	case "InvokeModel":
		_, err = client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: model, Body: []byte(anthropic), ContentType: aws.String("application/json")}, noRetry)
	case "ConverseStream":
		out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: model, Messages: msgs, ToolConfig: tc}, noRetry)
		if err != nil {
			return errCode(err), 0
		}
		events := out.GetStream()
		defer events.Close()
		for ev := range events.Events() {
			if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
				if _, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
					chunks++
				}
			}
		}
		if err := events.Err(); err != nil {
			return errCode(err), chunks
		}
		return "", chunks
	case "InvokeModelWithResponseStream":
		out, err := client.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: model, Body: []byte(anthropic), ContentType: aws.String("application/json")}, noRetry)
		if err != nil {
			return errCode(err), 0
		}
		events := out.GetStream()
		defer events.Close()
		for range events.Events() {
			chunks++
		}
		if err := events.Err(); err != nil {
			return errCode(err), chunks
		}
		return "", chunks
	}
	if err != nil {
		return errCode(err), 0
	}
	return "", 0
}

// TestInjectedFaults: one draw per call picks throttling, a 5xx (503 or
// 500) or a mid-stream failure, as the rates stack up; calls that do not
// stream are answered normally where a stream would fail mid-way, and the
// agent mode's tool calls fail alike.
func TestInjectedFaults(t *testing.T) {
	opts := Options{ThrottleRate: 0.05, ErrorRate: 0.02, StreamErrorRate: 0.02,
		AgentTools: []AgentTool{{Name: "bash", Input: `{"command":"ls"}`}}}
	cases := []struct {
		name  string
		draw  float64
		op    string
		tools bool
		want  string // the error code, "" for a clean answer
		// midStream: the stream delivered text before it failed.
		midStream bool
	}{
		{"throttled Converse", 0.01, "Converse", false, "ThrottlingException", false},
		{"throttled stream", 0.049, "ConverseStream", false, "ThrottlingException", false},
		{"throttled invoke stream", 0.0, "InvokeModelWithResponseStream", false, "ThrottlingException", false},
		{"503", 0.055, "Converse", false, "ServiceUnavailableException", false},
		{"500", 0.065, "InvokeModel", false, "InternalServerException", false},
		{"5xx before a stream", 0.06, "ConverseStream", false, "ServiceUnavailableException", false},
		{"mid-stream failure", 0.08, "ConverseStream", false, "ModelStreamErrorException", true},
		{"mid-stream failure, invoke", 0.08, "InvokeModelWithResponseStream", false, "ModelStreamErrorException", true},
		{"mid-stream failure of a tool call", 0.08, "ConverseStream", true, "ModelStreamErrorException", true},
		{"no stream to break", 0.08, "Converse", false, "", false},
		{"no stream to break, invoke", 0.08, "InvokeModel", false, "", false},
		{"throttled tool call", 0.01, "Converse", true, "ThrottlingException", false},
		{"clean Converse", 0.09, "Converse", false, "", false},
		{"clean stream", 0.5, "ConverseStream", false, "", false},
		{"clean tool call stream", 0.99, "ConverseStream", true, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := New(opts)
			draws := 0
			fake.draw = func() float64 { draws++; return tc.draw }
			srv := httptest.NewServer(fake)
			defer srv.Close()
			code, chunks := call(t, sdkClient(srv.URL), tc.op, tc.tools)
			if code != tc.want {
				t.Errorf("%s with draw %v ended with %q, want %q", tc.op, tc.draw, code, tc.want)
			}
			if tc.midStream && chunks == 0 {
				t.Errorf("the stream failed before any text: want a failure mid-stream")
			}
			if draws != 1 {
				t.Errorf("%d draws for one call, want 1", draws)
			}
		})
	}
}

// TestNoFaultsWithoutRates: with no rates the fake never draws, and a
// scripted answer (Respond) is never replaced by a fault.
func TestNoFaultsWithoutRates(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		respond bool
	}{
		{"no rates", Options{}, false},
		{"scripted answer", Options{ThrottleRate: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := New(tc.opts)
			fake.draw = func() float64 { t.Error("drew a fault"); return 0 }
			if tc.respond {
				fake.Respond(func(Request) Reply { return Reply{Text: "scripted"} })
			}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			client := sdkClient(srv.URL)
			for _, op := range []string{"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"} {
				if code, _ := call(t, client, op, false); code != "" {
					t.Errorf("%s failed with %s", op, code)
				}
			}
		})
	}
}
