package bedrock

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// native is Bedrock's own stop reason, for native_finish_reason.
	native string
	usage  *openai.Usage

	// The answer as the client will send it back: its thinking blocks
	// (by content block index, in order), text and tool call ids, for
	// the thinking memory.
	thinking      map[int32]*ReasoningContent
	thinkingOrder []int32
	text          strings.Builder
	callIDs       []string
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
			r.callIDs = append(r.callIDs, id)
			return r.out.ToolCallStart(index, id, deref(tu.Value.Name))
		}
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := ev.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			r.text.WriteString(d.Value)
			return r.out.Content(d.Value)
		case *types.ContentBlockDeltaMemberToolUse:
			block := deref(ev.Value.ContentBlockIndex)
			if input := deref(d.Value.Input); input != "" {
				delete(r.noArgs, block)
				return r.out.ToolCallArguments(r.toolCall[block], input)
			}
		case *types.ContentBlockDeltaMemberReasoningContent:
			return r.reasoning(deref(ev.Value.ContentBlockIndex), d.Value)
		}
	case *types.ConverseStreamOutputMemberContentBlockStop:
		return r.closeToolCall(deref(ev.Value.ContentBlockIndex))
	case *types.ConverseStreamOutputMemberMessageStop:
		r.finish = FinishReason(ev.Value.StopReason)
		r.native = string(ev.Value.StopReason)
	case *types.ConverseStreamOutputMemberMetadata:
		u := usage(ev.Value.Usage)
		r.usage = &u
	}
	return r.out.Err()
}

// reasoning relays a piece of a thinking block as a reasoning_details
// delta (text, then its signature; or redacted data) and keeps it for the
// thinking memory.
func (r *relay) reasoning(block int32, delta types.ReasoningContentBlockDelta) error {
	if r.thinking == nil {
		r.thinking = map[int32]*ReasoningContent{}
	}
	b := r.thinking[block]
	if b == nil {
		b = &ReasoningContent{}
		r.thinking[block] = b
		r.thinkingOrder = append(r.thinkingOrder, block)
	}
	index := slices.Index(r.thinkingOrder, block)
	d := openai.ReasoningDetail{Type: openai.ReasoningText, Format: openai.ReasoningFormat, Index: index}
	switch v := delta.(type) {
	case *types.ReasoningContentBlockDeltaMemberText:
		if b.ReasoningText == nil {
			b.ReasoningText = &ReasoningText{}
		}
		b.ReasoningText.Text += v.Value
		d.Text = v.Value
	case *types.ReasoningContentBlockDeltaMemberSignature:
		if b.ReasoningText == nil {
			b.ReasoningText = &ReasoningText{}
		}
		b.ReasoningText.Signature += v.Value
		d.Signature = v.Value
	case *types.ReasoningContentBlockDeltaMemberRedactedContent:
		b.RedactedContent = append(b.RedactedContent, v.Value...)
		d.Type, d.Data = openai.ReasoningEncrypted, base64.StdEncoding.EncodeToString(v.Value)
	default:
		return r.out.Err()
	}
	return r.out.ReasoningDetail(d)
}

// answerThinking is the streamed answer's thinking, with the keys to
// remember it under in the context of the request
// (ConverseRequest.memoryContext).
func (r *relay) answerThinking(context string) (keys []string, blocks []ReasoningContent) {
	for _, i := range r.thinkingOrder {
		blocks = append(blocks, *r.thinking[i])
	}
	return answerKeys(context, r.text.String(), r.callIDs), blocks
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

// DefaultStreamIdleTimeout is how long a stream may go without an event
// from Bedrock before the router gives up on it, when the tier does not
// set stream_idle_timeout. A model thinking hard still sends events; two
// minutes of silence is a stuck call.
const DefaultStreamIdleTimeout = 120 * time.Second

// errStreamIdle is the cancel cause of a call the idle timer ended.
var errStreamIdle = errors.New("Bedrock sent nothing for too long")

// run relays events until the stream ends or the client goes away (the
// write error is returned). When no event arrives for idle, it cancels
// the call with errStreamIdle, which ends the events, and reports
// timedOut; the caller then ends the stream with streamIdleError.
func (r *relay) run(events <-chan types.ConverseStreamOutput, idle time.Duration, cancel context.CancelCauseFunc) (err error, timedOut bool) {
	return relayEvents(events, idle, cancel, r.event)
}

// relayEvents hands each event to handle until the stream ends or handle
// fails (the client went away), under the idle rule of run; both Bedrock
// streams (ConverseStream, InvokeModelWithResponseStream) go through it.
func relayEvents[E any](events <-chan E, idle time.Duration, cancel context.CancelCauseFunc, handle func(E) error) (err error, timedOut bool) {
	if idle <= 0 {
		idle = DefaultStreamIdleTimeout
	}
	expired := make(chan struct{})
	timer := time.AfterFunc(idle, func() {
		close(expired)
		cancel(errStreamIdle)
	})
	defer timer.Stop()
	for ev := range events {
		// The clock is Bedrock's: it stops while the client is written to.
		if !timer.Stop() {
			break // fired while this event was on its way
		}
		if err = handle(ev); err != nil {
			break
		}
		timer.Reset(idle)
	}
	select {
	case <-expired:
		return err, err == nil
	default:
		return err, false
	}
}

// streamIdleError is how a stream the idle timer ended fails.
func streamIdleError(call Call, idle time.Duration) *openai.Error {
	if idle <= 0 {
		idle = DefaultStreamIdleTimeout
	}
	return &openai.Error{
		Status:  http.StatusGatewayTimeout,
		Message: fmt.Sprintf("%s: Bedrock sent nothing for %s, so the router ended the stream and cancelled the call (stream_idle_timeout in models.ini)", call, seconds(idle)),
		Type:    openai.TypeTimeout,
		Code:    "stream_idle_timeout",
	}
}

// seconds writes a duration the way models.ini does: "120 s", "0.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}
