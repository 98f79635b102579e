package fakebedrock

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/llmstack/llmstack/server/bedrock"
)

const (
	sonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	opus47   = "us.anthropic.claude-opus-4-7-v1:0"
)

// TestValidateMessages checks the fake's rules for Anthropic bodies sent
// with InvokeModel: Bedrock's own (version, extraneous keys, betas) and
// those it shares with Converse (roles, tool results, thinking and its
// signatures, cache points).
func TestValidateMessages(t *testing.T) {
	sig := quote(Signature("plan"))
	redacted := quote(base64.StdEncoding.EncodeToString(RedactedData()))
	user := `{"role":"user","content":"hi"}`
	loop := func(thinking string) string {
		return `[{"role":"user","content":"list"},{"role":"assistant","content":[` + thinking + `{"type":"tool_use","id":"t1","name":"ls","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"a"}]}]`
	}
	tools := `"tools":[{"name":"ls","input_schema":{"type":"object"}}]`
	cc := `"cache_control":{"type":"ephemeral"}`
	tests := []struct {
		name, model, body, want string
	}{
		{"minimal", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[` + user + `]}`, ""},
		{"model refused", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","model":"claude","max_tokens":10,"messages":[` + user + `]}`, "extraneous key [model] is not permitted"},
		{"stream refused", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","stream":true,"max_tokens":10,"messages":[` + user + `]}`, "extraneous key [stream] is not permitted"},
		{"metadata refused", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","metadata":{"user_id":"u"},"max_tokens":10,"messages":[` + user + `]}`, "extraneous key [metadata]"},
		{"no version", sonnet45, `{"max_tokens":10,"messages":[` + user + `]}`, "required key [anthropic_version] not found"},
		{"wrong version", sonnet45, `{"anthropic_version":"2023-06-01","max_tokens":10,"messages":[` + user + `]}`, "Invalid API version"},
		{"known betas", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":["interleaved-thinking-2025-05-14","context-management-2025-06-27"],"max_tokens":10,"messages":[` + user + `]}`, ""},
		{"unknown beta", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":["claude-code-20250219"],"max_tokens":10,"messages":[` + user + `]}`, "invalid beta flag"},
		{"no max_tokens", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","messages":[` + user + `]}`, "required key [max_tokens]"},
		{"context_management without beta", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","context_management":{"edits":[]},"max_tokens":10,"messages":[` + user + `]}`, "context_management: Extra inputs"},
		{"context_management with beta", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":["context-management-2025-06-27"],"context_management":{"edits":[]},"max_tokens":10,"messages":[` + user + `]}`, ""},
		{"system role in messages", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[` + user + `,{"role":"system","content":"x"}]}`, "messages.1.role: Input should be 'user' or 'assistant'"},
		{"consecutive users join", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[` + user + `,` + user + `]}`, ""},
		{"budget over max_tokens", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":1024,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[` + user + `]}`, "`max_tokens` must be greater than `thinking.budget_tokens`"},
		{"temperature with thinking", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"temperature":0.2,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[` + user + `]}`, "`temperature` may only be set to 1"},
		{"top_k with thinking", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"top_k":5,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[` + user + `]}`, "`top_k` must be unset"},
		{"forced tool with thinking", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,` + tools + `,"tool_choice":{"type":"any"},"thinking":{"type":"enabled","budget_tokens":1024},"messages":[` + user + `]}`, "tool_choice forces tool use"},
		{"tool loop without thinking", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,` + tools + `,"thinking":{"type":"enabled","budget_tokens":1024},"messages":` + loop("") + `}`, "must start with a thinking block"},
		{"tool loop with signed thinking", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,` + tools + `,"thinking":{"type":"enabled","budget_tokens":1024},"messages":` + loop(`{"type":"thinking","thinking":"plan","signature":`+sig+`},`) + `}`, ""},
		{"tool loop with redacted thinking", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,` + tools + `,"thinking":{"type":"enabled","budget_tokens":1024},"messages":` + loop(`{"type":"redacted_thinking","data":`+redacted+`},`) + `}`, ""},
		{"forged signature", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,` + tools + `,"thinking":{"type":"enabled","budget_tokens":1024},"messages":` + loop(`{"type":"thinking","thinking":"other","signature":`+sig+`},`) + `}`, "Invalid `signature`"},
		{"result without call", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,` + tools + `,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t9","content":"a"}]}]}`, "exceeds the number of toolUse blocks"},
		{"five cache points", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"system":[{"type":"text","text":"a",` + cc + `},{"type":"text","text":"b",` + cc + `}],"messages":[{"role":"user","content":[{"type":"text","text":"c",` + cc + `},{"type":"text","text":"d",` + cc + `},{"type":"text","text":"e",` + cc + `}]}]}`, "A maximum of 4 blocks with cache_control"},
		{"four cache points", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"system":[{"type":"text","text":"a",` + cc + `}],"messages":[{"role":"user","content":[{"type":"text","text":"c",` + cc + `},{"type":"text","text":"d",` + cc + `},{"type":"text","text":"e",` + cc + `}]}]}`, ""},
		{"adaptive on sonnet 4.5", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"thinking":{"type":"adaptive"},"messages":[` + user + `]}`, "adaptive thinking is not supported"},
		{"adaptive on opus 4.7", opus47, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"thinking":{"type":"adaptive"},"output_config":{"effort":"medium"},"messages":[` + user + `]}`, ""},
		{"enabled on opus 4.7", opus47, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[` + user + `]}`, `"thinking.type.enabled" is not supported`},
		{"output_config on sonnet 4.5", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"output_config":{"effort":"low"},"messages":[` + user + `]}`, "output_config: Extra inputs"},
		{"unknown block type", sonnet45, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"audio"}]}]}`, "Input tag 'audio'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateMessages(tt.model, []byte(tt.body))
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("ValidateMessages = %q, want %q", got, tt.want)
			}
		})
	}
}

// sdkClient is the router's own Bedrock client for the fake at url: the
// SDK's, with the fixes that keep its streams whole.
func sdkClient(url string) *bedrock.RuntimeClient {
	return bedrock.NewRuntimeClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "not-a-secret", ""),
	}, url)
}

// TestInvokeThroughSDK checks that InvokeModel, InvokeModelWithResponseStream
// and CountTokens answer in shapes the SDK's own decoders read: Anthropic
// JSON, chunk events holding Anthropic stream events, exceptions before
// and during a stream.
func TestInvokeThroughSDK(t *testing.T) {
	fake := New(Options{Record: true})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := sdkClient(srv.URL)
	ctx := context.Background()
	body := []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}`)

	fake.Respond(func(Request) Reply {
		return Reply{Text: "hello there", ToolUses: []ToolUse{{ID: "tu1", Name: "ls", Input: `{"dir":"."}`}}, InputTokens: 7, OutputTokens: 3}
	})
	out, err := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(sonnet45), Body: body, ContentType: aws.String("application/json")})
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Type    string `json:"type"`
		Content []struct {
			Type, Text, Thinking, Signature, ID, Name string
			Input                                     json.RawMessage
		} `json:"content"`
		StopReason string         `json:"stop_reason"`
		Usage      map[string]int `json:"usage"`
	}
	if err := json.Unmarshal(out.Body, &msg); err != nil {
		t.Fatalf("%v: %s", err, out.Body)
	}
	if msg.Type != "message" || len(msg.Content) != 3 || msg.Content[0].Type != "thinking" || !validSignature(DefaultReasoning, msg.Content[0].Signature) ||
		msg.Content[1].Text != "hello there" || msg.Content[2].Type != "tool_use" || string(msg.Content[2].Input) != `{"dir":"."}` ||
		msg.StopReason != "tool_use" || msg.Usage["input_tokens"] != 7 {
		t.Errorf("InvokeModel answered %s", out.Body)
	}

	stream := func(t *testing.T, reply Reply) (kinds []string, deltas []map[string]any, err error) {
		fake.Respond(func(Request) Reply { return reply })
		out, err := client.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(sonnet45), Body: body, ContentType: aws.String("application/json")})
		if err != nil {
			return nil, nil, err
		}
		events := out.GetStream()
		defer events.Close()
		for ev := range events.Events() {
			chunk, ok := ev.(*types.ResponseStreamMemberChunk)
			if !ok {
				t.Fatalf("event %T", ev)
			}
			var e map[string]any
			if err := json.Unmarshal(chunk.Value.Bytes, &e); err != nil {
				t.Fatalf("chunk %q: %v", chunk.Value.Bytes, err)
			}
			kinds = append(kinds, e["type"].(string))
			if d, ok := e["delta"].(map[string]any); ok {
				deltas = append(deltas, d)
			}
		}
		return kinds, deltas, events.Err()
	}
	got, deltas, err := stream(t, Reply{Text: "a b", ToolUses: []ToolUse{{ID: "tu1", Name: "ls", InputChunks: []string{`{"dir"`, `:"."}`}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "message_start content_block_start " + strings.Repeat("content_block_delta ", len(words(DefaultReasoning))+1) + "content_block_stop " + // thinking, signature
		"content_block_start content_block_delta content_block_delta content_block_stop " + // text
		"content_block_start content_block_delta content_block_delta content_block_stop " + // tool_use
		"message_delta message_stop"
	if strings.Join(got, " ") != want {
		t.Errorf("stream events:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	var kinds []string
	for _, d := range deltas {
		if k, ok := d["type"].(string); ok {
			kinds = append(kinds, k)
		} else {
			kinds = append(kinds, d["stop_reason"].(string))
		}
	}
	if strings.Join(kinds, " ") != strings.Repeat("thinking_delta ", len(words(DefaultReasoning)))+"signature_delta text_delta text_delta input_json_delta input_json_delta tool_use" {
		t.Errorf("delta kinds: %v", kinds)
	}

	_, _, err = stream(t, Reply{Chunks: []string{"a", "b"}, Exception: "throttlingException", ExceptionAfter: 1})
	var te *types.ThrottlingException
	if !errors.As(err, &te) {
		t.Errorf("mid-stream exception: err = %v, want a ThrottlingException", err)
	}
	_, _, err = stream(t, Reply{Status: 429, ErrorType: "ThrottlingException", ErrorMessage: "Too many requests"})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
		t.Errorf("throttled stream: err = %v", err)
	}

	fake.Respond(nil)
	ct, err := client.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(sonnet45), Input: &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: body}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt32(ct.InputTokens); n != int32(len(body)/4) {
		t.Errorf("CountTokens = %d, want %d", n, len(body)/4)
	}
	_, err = client.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(sonnet45), Input: &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte(`{"max_tokens":1,"messages":[]}`)}}})
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
		t.Errorf("CountTokens of a bad body: err = %v, want a ValidationException", err)
	}
	ops := map[string]bool{}
	for _, r := range fake.Requests() {
		ops[r.Operation] = true
	}
	for _, op := range []string{"InvokeModel", "InvokeModelWithResponseStream", "CountTokens"} {
		if !ops[op] {
			t.Errorf("no %s recorded (got %v)", op, ops)
		}
	}
}
