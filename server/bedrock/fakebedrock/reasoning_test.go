package fakebedrock

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// TestReasoningReplies checks that with thinking on the fake answers with
// signed reasoning (and redacted reasoning when scripted), through the
// SDK's own decoders, and without thinking only with what is scripted.
func TestReasoningReplies(t *testing.T) {
	fake := New(Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := sdkClient(srv.URL)
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}
	thinking := document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024}})
	ic := &types.InferenceConfiguration{MaxTokens: aws.Int32(2048)}

	type block struct {
		text, sig string
		redacted  []byte
	}
	check := func(t *testing.T, got []block, want []string, redacted bool) {
		t.Helper()
		n := len(want)
		if redacted {
			n++
		}
		if len(got) != n {
			t.Fatalf("got %d reasoning blocks, want %d: %+v", len(got), n, got)
		}
		for i, text := range want {
			if got[i].text != text || !validSignature(text, got[i].sig) {
				t.Errorf("block %d = %q signed %q; want %q with the fake's signature", i, got[i].text, got[i].sig, text)
			}
		}
		if redacted && !validRedacted(got[n-1].redacted) {
			t.Errorf("redacted block %q was not issued by the fake", got[n-1].redacted)
		}
	}
	tests := []struct {
		name     string
		reply    Reply
		thinking bool
		want     []string
		redacted bool
	}{
		{"default reasoning", Reply{Text: "ok"}, true, []string{DefaultReasoning}, false},
		{"scripted reasoning", Reply{Text: "ok", Reasoning: "6*7 is 42"}, true, []string{"6*7 is 42"}, false},
		{"redacted too", Reply{Text: "ok", Reasoning: "hm", Redacted: true}, true, []string{"hm"}, true},
		{"thinking off", Reply{Text: "ok"}, false, nil, false},
	}
	for _, tt := range tests {
		fields := document.Interface(nil)
		if tt.thinking {
			fields = thinking
		}
		fake.Respond(func(Request) Reply { return tt.reply })
		t.Run(tt.name+"/converse", func(t *testing.T) {
			out, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("m"), Messages: msgs, InferenceConfig: ic, AdditionalModelRequestFields: fields})
			if err != nil {
				t.Fatal(err)
			}
			var got []block
			for _, b := range out.Output.(*types.ConverseOutputMemberMessage).Value.Content {
				if rc, ok := b.(*types.ContentBlockMemberReasoningContent); ok {
					switch v := rc.Value.(type) {
					case *types.ReasoningContentBlockMemberReasoningText:
						got = append(got, block{text: aws.ToString(v.Value.Text), sig: aws.ToString(v.Value.Signature)})
					case *types.ReasoningContentBlockMemberRedactedContent:
						got = append(got, block{redacted: v.Value})
					}
				}
			}
			check(t, got, tt.want, tt.redacted)
		})
		t.Run(tt.name+"/stream", func(t *testing.T) {
			out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String("m"), Messages: msgs, InferenceConfig: ic, AdditionalModelRequestFields: fields})
			if err != nil {
				t.Fatal(err)
			}
			events := out.GetStream()
			defer events.Close()
			blocks := map[int32]*block{}
			var order []int32
			for ev := range events.Events() {
				d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta)
				if !ok {
					continue
				}
				rd, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberReasoningContent)
				if !ok {
					continue
				}
				i := aws.ToInt32(d.Value.ContentBlockIndex)
				if blocks[i] == nil {
					blocks[i] = &block{}
					order = append(order, i)
				}
				switch v := rd.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					blocks[i].text += v.Value
				case *types.ReasoningContentBlockDeltaMemberSignature:
					blocks[i].sig += v.Value
				case *types.ReasoningContentBlockDeltaMemberRedactedContent:
					blocks[i].redacted = append(blocks[i].redacted, v.Value...)
				}
			}
			if err := events.Err(); err != nil {
				t.Fatal(err)
			}
			var got []block
			for _, i := range order {
				got = append(got, *blocks[i])
			}
			check(t, got, tt.want, tt.redacted)
		})
	}
}
