package bedrock

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/openai"
)

// relay holds the state of one ConverseStream being turned into chunks.
type relay struct {
	out      *openai.Stream
	toolCall map[int32]int // content block index -> OpenAI tool_calls index
	// noArgs holds the tool calls no argument bytes were sent for yet.
	noArgs map[int32]bool
	finish string
	usage  *openai.Usage
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
				r.toolCall, r.noArgs = map[int32]int{}, map[int32]bool{}
			}
			block := deref(ev.Value.ContentBlockIndex)
			index := len(r.toolCall)
			r.toolCall[block] = index
			r.noArgs[block] = true
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
			block := deref(ev.Value.ContentBlockIndex)
			if input := deref(d.Value.Input); input != "" {
				delete(r.noArgs, block)
				return r.out.ToolCallArguments(r.toolCall[block], input)
			}
		case *types.ContentBlockDeltaMemberReasoningContent:
			if t, ok := d.Value.(*types.ReasoningContentBlockDeltaMemberText); ok {
				return r.out.Reasoning(t.Value)
			}
		}
	case *types.ConverseStreamOutputMemberContentBlockStop:
		return r.closeToolCall(deref(ev.Value.ContentBlockIndex))
	case *types.ConverseStreamOutputMemberMessageStop:
		r.finish = FinishReason(ev.Value.StopReason)
	case *types.ConverseStreamOutputMemberMetadata:
		u := usage(ev.Value.Usage)
		r.usage = &u
	}
	return r.out.Err()
}

// closeToolCall sends "{}" as the arguments of a tool call that got none
// (a tool without parameters): the non-streaming answer has "{}" there,
// and clients parse the arguments as JSON.
func (r *relay) closeToolCall(block int32) error {
	if !r.noArgs[block] {
		return r.out.Err()
	}
	delete(r.noArgs, block)
	return r.out.ToolCallArguments(r.toolCall[block], "{}")
}

// closeToolCalls closes the tool calls whose blocks never ended, in
// order, before the final chunk.
func (r *relay) closeToolCalls() error {
	blocks := make([]int32, 0, len(r.noArgs))
	for b := range r.noArgs {
		blocks = append(blocks, b)
	}
	slices.Sort(blocks)
	for _, b := range blocks {
		if err := r.closeToolCall(b); err != nil {
			return err
		}
	}
	return nil
}
