package bedrock

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// Dispatcher answers OpenAI requests for bedrock tiers.
type Dispatcher struct {
	Clients *Clients
	// Stopping, when done, cancels every Bedrock call in flight; streams
	// then end with an error chunk saying the router is shutting down.
	Stopping context.Context
	// Memory keeps the thinking of relayed answers for clients that send
	// it back without signatures. It belongs to the dispatcher, not to a
	// models.ini, so it lives across reloads.
	Memory *ThinkingMemory
}

var errShuttingDown = errors.New("the router is shutting down; the answer was cut short")

func shuttingDown() *openai.Error {
	return &openai.Error{Status: http.StatusServiceUnavailable, Message: errShuttingDown.Error(), Type: openai.TypeServer, Code: "shutting_down"}
}

// NewDispatcher returns a dispatcher with an empty client cache.
func NewDispatcher() *Dispatcher {
	return &Dispatcher{Clients: NewClients(), Memory: NewThinkingMemory()}
}

// Outcome is how a dispatched request ended, for logs and tier statistics.
type Outcome struct {
	Status int
	// Err is set when the request failed, before or during the answer.
	Err *openai.Error
	// ClientGone is set when the client closed the connection first.
	ClientGone bool
	Target     tiers.Target
	// Usage is what Bedrock counted, when it said.
	Usage *openai.Usage
}

// Serve answers req, already decoded from the endpoint ep, with tier's model
// on the chosen channel: a JSON response (serveJSON), or a stream of chunks
// when the request asked for one (serveStream); whatever fails on the way
// ends in fail.
func (d *Dispatcher) Serve(w http.ResponseWriter, r *http.Request, ep openai.Endpoint, req *openai.ChatRequest, tier *tiers.Tier, useNext bool) Outcome {
	target := tier.Bedrock.Active(useNext)
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	if d.Stopping != nil {
		defer context.AfterFunc(d.Stopping, func() { cancel(errShuttingDown) })()
	}
	x := &exchange{w: w, r: r, ctx: ctx, cancel: cancel, ep: ep, req: req, tier: tier,
		out:  Outcome{Target: target},
		call: Call{Tier: tier.Name, Model: target.ModelID, Region: target.Region, Profile: tier.Bedrock.Profile, Endpoint: tier.Bedrock.EndpointURL},
	}

	creq, oerr := BuildRequestRecalling(req, tier, target, d.Memory)
	if oerr != nil {
		return x.fail(nil, oerr)
	}
	if repairs := creq.Repairs.String(); repairs != "" {
		w.Header().Set(RepairsHeader, repairs)
	}
	client, err := d.Clients.Get(ctx, ClientKey{Profile: tier.Bedrock.Profile, Region: target.Region, Endpoint: tier.Bedrock.EndpointURL})
	if err != nil {
		return x.fail(nil, err)
	}
	x.call.Region, x.call.kind = client.Options().Region, credentialKindOf(client.Options().Credentials)

	prefix := "chatcmpl-"
	if ep == openai.Completions {
		prefix = "cmpl-"
	}
	x.id, x.created = openai.NewID(prefix), time.Now().Unix()
	if !req.Stream {
		return d.serveJSON(x, client, creq)
	}
	return d.serveStream(x, client, creq)
}

// exchange is one request being answered, with what its answer and its
// failure both need.
type exchange struct {
	w http.ResponseWriter
	r *http.Request
	// ctx is the request's, also ended by a shutdown (errShuttingDown)
	// and by the stream idle timer (errStreamIdle).
	ctx    context.Context
	cancel context.CancelCauseFunc
	ep     openai.Endpoint
	req    *openai.ChatRequest
	tier   *tiers.Tier
	call   Call

	id      string
	created int64
	out     Outcome
}

// serveJSON answers with one Converse call.
func (d *Dispatcher) serveJSON(x *exchange, client *RuntimeClient, creq *ConverseRequest) Outcome {
	resp, err := client.Converse(x.ctx, creq.converseInput())
	if err != nil {
		return x.fail(nil, err)
	}
	answer := AnswerFrom(resp)
	d.Memory.Remember(answer.memoryKeys(creq.memoryContext), answer.Thinking)
	if resp.Usage != nil {
		x.out.Usage = &answer.Usage
	}
	if x.ep == openai.Completions {
		openai.WriteJSON(x.w, http.StatusOK, answer.TextCompletion(x.id, x.created, x.tier.Name))
	} else {
		openai.WriteJSON(x.w, http.StatusOK, answer.ChatCompletion(x.id, x.created, x.tier.Name))
	}
	x.out.Status = http.StatusOK
	return x.out
}

// errIncompleteStream is why a stream that ended without messageStop
// failed: it was cut short upstream.
var errIncompleteStream = errors.New("Bedrock stream ended before the answer was complete")

// serveStream relays one ConverseStream call as chunks.
func (d *Dispatcher) serveStream(x *exchange, client *RuntimeClient, creq *ConverseRequest) Outcome {
	resp, err := client.ConverseStream(x.ctx, creq.converseStreamInput())
	if err != nil {
		return x.fail(nil, err)
	}
	events := resp.GetStream()
	defer events.Close()

	x.out.Status = http.StatusOK
	stream := openai.NewStream(x.w, x.ep, x.id, x.created, x.tier.Name)
	rl := newRelay(stream)
	var timedOut bool
	if err = stream.Begin(); err == nil {
		err, timedOut = rl.run(events.Events(), x.tier.Bedrock.StreamIdleTimeout, x.cancel)
	}
	x.out.Usage = rl.usage
	if rl.finish != "" {
		// Remembered once the answer is whole, even if the client left
		// at the end: it may still send the turn back.
		d.Memory.Remember(rl.answerThinking(creq.memoryContext))
	}
	if err != nil || x.r.Context().Err() != nil {
		x.out.ClientGone = true
		return x.out
	}
	switch {
	case timedOut:
		return x.fail(stream, errStreamIdle)
	case events.Err() != nil:
		return x.fail(stream, events.Err())
	case rl.finish == "":
		return x.fail(stream, errIncompleteStream)
	}
	_ = rl.closeToolCalls()
	_ = stream.FinishNative(rl.finish, rl.native)
	if rl.usage != nil && x.req.StreamOptions != nil && x.req.StreamOptions.IncludeUsage {
		_ = stream.Usage(*rl.usage)
	}
	if stream.Done() != nil {
		x.out.ClientGone = true
	}
	return x.out
}

// fail ends the exchange with err: an error response when nothing has been
// sent yet (stream nil), else the stream's error chunk. A client that has
// gone is told nothing.
func (x *exchange) fail(stream *openai.Stream, err error) Outcome {
	e := failure(x.ctx, err, x.call, x.tier.Bedrock.StreamIdleTimeout)
	if stream == nil {
		x.out.Status = e.Status
	}
	x.out.Err = e
	if x.r.Context().Err() != nil {
		x.out.ClientGone = true
		return x.out
	}
	if stream == nil {
		openai.WriteError(x.w, e)
	} else {
		_ = stream.Fail(e)
	}
	return x.out
}

// failure is the one place that maps why a Bedrock request failed to what
// the client is told: the router shutting down (the cause of ctx) wins
// over the error it caused; then the idle timer, a stream cut short, an
// error already in OpenAI terms (a request Bedrock cannot take), and
// everything else from loading the client or calling Bedrock.
func failure(ctx context.Context, err error, call Call, idle time.Duration) *openai.Error {
	var oe *openai.Error
	switch {
	case context.Cause(ctx) == errShuttingDown:
		return shuttingDown()
	case errors.Is(err, errStreamIdle):
		return streamIdleError(call, idle)
	case errors.Is(err, errIncompleteStream):
		return &openai.Error{Status: http.StatusBadGateway, Message: call.String() + ": " + errIncompleteStream.Error(), Type: openai.TypeUpstream, Code: "incomplete_stream"}
	case errors.As(err, &oe):
		return oe
	}
	return HTTPError(err, call)
}
