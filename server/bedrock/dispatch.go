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
// on the chosen channel: a JSON response, or a stream of chunks when the
// request asked for one.
func (d *Dispatcher) Serve(w http.ResponseWriter, r *http.Request, ep openai.Endpoint, req *openai.ChatRequest, tier *tiers.Tier, useNext bool) Outcome {
	target := tier.Bedrock.Active(useNext)
	out := Outcome{Target: target}
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	if d.Stopping != nil {
		defer context.AfterFunc(d.Stopping, func() { cancel(errShuttingDown) })()
	}
	fail := func(e *openai.Error) Outcome {
		if context.Cause(ctx) == errShuttingDown {
			e = shuttingDown()
		}
		out.Status, out.Err = e.Status, e
		if r.Context().Err() != nil {
			out.ClientGone = true
			return out
		}
		openai.WriteError(w, e)
		return out
	}

	creq, oerr := BuildRequestRecalling(req, tier, target, d.Memory)
	if oerr != nil {
		return fail(oerr)
	}
	if repairs := creq.Repairs.String(); repairs != "" {
		w.Header().Set(RepairsHeader, repairs)
	}
	call := Call{Tier: tier.Name, Model: target.ModelID, Region: target.Region, Profile: tier.Bedrock.Profile, Endpoint: tier.Bedrock.EndpointURL}
	client, err := d.Clients.Get(ctx, ClientKey{Profile: tier.Bedrock.Profile, Region: target.Region, Endpoint: tier.Bedrock.EndpointURL})
	if err != nil {
		return fail(HTTPError(err, call))
	}
	call.Region, call.kind = client.Options().Region, credentialKindOf(client.Options().Credentials)

	prefix := "chatcmpl-"
	if ep == openai.Completions {
		prefix = "cmpl-"
	}
	id, created := openai.NewID(prefix), time.Now().Unix()

	if !req.Stream {
		resp, err := client.Converse(ctx, creq.converseInput())
		if err != nil {
			return fail(HTTPError(err, call))
		}
		answer := AnswerFrom(resp)
		d.Memory.Remember(answer.memoryKeys(), answer.Thinking)
		if resp.Usage != nil {
			out.Usage = &answer.Usage
		}
		if ep == openai.Completions {
			openai.WriteJSON(w, http.StatusOK, answer.TextCompletion(id, created, tier.Name))
		} else {
			openai.WriteJSON(w, http.StatusOK, answer.ChatCompletion(id, created, tier.Name))
		}
		out.Status = http.StatusOK
		return out
	}

	resp, err := client.ConverseStream(ctx, creq.converseStreamInput())
	if err != nil {
		return fail(HTTPError(err, call))
	}
	events := resp.GetStream()
	defer events.Close()

	out.Status = http.StatusOK
	stream := openai.NewStream(w, ep, id, created, tier.Name)
	rl := newRelay(stream)
	idle := tier.Bedrock.StreamIdleTimeout
	var timedOut bool
	if err = stream.Begin(); err == nil {
		err, timedOut = rl.run(events.Events(), idle, cancel)
	}
	out.Usage = rl.usage
	if rl.finish != "" {
		// Remembered once the answer is whole, even if the client left
		// at the end: it may still send the turn back.
		d.Memory.Remember(rl.answerThinking())
	}
	if err != nil || r.Context().Err() != nil {
		out.ClientGone = true
		return out
	}
	if timedOut {
		e := streamIdleError(call, idle)
		out.Err = e
		_ = stream.Fail(e)
		return out
	}
	if err := events.Err(); err != nil {
		e := HTTPError(err, call)
		if context.Cause(ctx) == errShuttingDown {
			e = shuttingDown()
		}
		out.Err = e
		_ = stream.Fail(e)
		return out
	}
	if rl.finish == "" {
		// A stream that ends without messageStop was cut short upstream.
		e := &openai.Error{Status: http.StatusBadGateway, Message: call.String() + ": Bedrock stream ended before the answer was complete", Type: openai.TypeUpstream, Code: "incomplete_stream"}
		out.Err = e
		_ = stream.Fail(e)
		return out
	}
	_ = rl.closeToolCalls()
	_ = stream.FinishNative(rl.finish, rl.native)
	if rl.usage != nil && req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		_ = stream.Usage(*rl.usage)
	}
	if stream.Done() != nil {
		out.ClientGone = true
	}
	return out
}
