package bedrock

import (
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/openai"
)

// relay holds the state of one ConverseStream being turned into chunks.
type relay struct {
	out      *openai.Stream
	toolCall map[int32]int // content block index -> OpenAI tool_calls index
	finish   string
	usage    *openai.Usage
}

func newRelay(out *openai.Stream) *relay {
	return &relay{out: out}
}

// event writes what one ConverseStream event means to the client. It
// returns the client's write error, if any.
func (r *relay) event(ev types.ConverseStreamOutput) error {
	switch ev := ev.(type) {
	case *types.ConverseStreamOutputMemberContentBlockStart:
		if tu, ok := ev.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
			if r.toolCall == nil {
				r.toolCall = map[int32]int{}
			}
			index := len(r.toolCall)
			r.toolCall[deref(ev.Value.ContentBlockIndex)] = index
			id := deref(tu.Value.ToolUseId)
			if id == "" {
				id = openai.NewToolCallID()
			}
			return r.out.ToolCallStart(index, id, deref(tu.Value.Name))
		}
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := ev.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			return r.out.Content(d.Value)
		case *types.ContentBlockDeltaMemberToolUse:
			return r.out.ToolCallArguments(r.toolCall[deref(ev.Value.ContentBlockIndex)], deref(d.Value.Input))
		case *types.ContentBlockDeltaMemberReasoningContent:
			if t, ok := d.Value.(*types.ReasoningContentBlockDeltaMemberText); ok {
				return r.out.Reasoning(t.Value)
			}
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		r.finish = FinishReason(ev.Value.StopReason)
	case *types.ConverseStreamOutputMemberMetadata:
		u := usage(ev.Value.Usage)
		r.usage = &u
	}
	return r.out.Err()
}
