package bedrock

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/anthropic"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// ServeMessages answers a /v1/messages request (its body as sent, and the
// anthropic-beta header values) for a bedrock tier serving Claude, with
// Anthropic's own body over InvokeModel, or InvokeModelWithResponseStream
// when stream is set: Bedrock's answer is the client's, and each stream
// chunk is one Anthropic event, flushed as it comes. Failures are Anthropic
// errors with the statuses of the OpenAI side; a stream that fails after
// it started ends with an error event, never with message_stop.
func (d *Dispatcher) ServeMessages(w http.ResponseWriter, r *http.Request, raw []byte, stream bool, betas []string, tier *tiers.Tier, useNext bool) Outcome {
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
		anthropic.WriteError(w, e)
		return out
	}

	mb, oerr := BuildMessagesBody(raw, betas, tier, target.ModelID)
	if oerr != nil {
		return fail(oerr)
	}
	if repairs := mb.Repairs.String(); repairs != "" {
		w.Header().Set(RepairsHeader, repairs)
	}
	call := Call{Tier: tier.Name, Model: target.ModelID, Region: target.Region, Profile: tier.Bedrock.Profile, Endpoint: tier.Bedrock.EndpointURL}
	client, err := d.Clients.Get(ctx, ClientKey{Profile: tier.Bedrock.Profile, Region: target.Region, Endpoint: tier.Bedrock.EndpointURL})
	if err != nil {
		return fail(HTTPError(err, call))
	}
	call.Region, call.kind = client.Options().Region, credentialKindOf(client.Options().Credentials)

	if !stream {
		resp, err := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
			ModelId: aws.String(target.ModelID), Body: mb.Body,
			ContentType: aws.String("application/json"), Accept: aws.String("application/json"),
		})
		if err != nil {
			return fail(HTTPError(err, call))
		}
		var m struct {
			Usage *anthropic.Usage `json:"usage"`
		}
		if json.Unmarshal(resp.Body, &m) == nil && m.Usage != nil {
			u := m.Usage.OpenAIUsage()
			out.Usage = &u
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp.Body)
		out.Status = http.StatusOK
		return out
	}

	resp, err := client.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(target.ModelID), Body: mb.Body,
		ContentType: aws.String("application/json"), Accept: aws.String("application/json"),
	})
	if err != nil {
		return fail(HTTPError(err, call))
	}
	events := resp.GetStream()
	defer events.Close()

	out.Status = http.StatusOK
	ev := anthropic.NewEvents(w)
	var usage anthropic.Usage
	sawUsage, stopped := false, false
	handle := func(e types.ResponseStream) error {
		chunk, ok := e.(*types.ResponseStreamMemberChunk)
		if !ok {
			return ev.Err()
		}
		var head struct {
			Type    string `json:"type"`
			Message *struct {
				Usage *anthropic.Usage `json:"usage"`
			} `json:"message"`
			Usage *streamUsage `json:"usage"`
		}
		if json.Unmarshal(chunk.Value.Bytes, &head) != nil || head.Type == "" {
			return ev.Err()
		}
		switch head.Type {
		case "message_start":
			if head.Message != nil && head.Message.Usage != nil {
				usage, sawUsage = *head.Message.Usage, true
			}
		case "message_delta":
			if head.Usage != nil {
				head.Usage.into(&usage)
				sawUsage = true
			}
		case "message_stop":
			stopped = true
		}
		return ev.Raw(head.Type, chunk.Value.Bytes)
	}
	idle := tier.Bedrock.StreamIdleTimeout
	var timedOut bool
	if err = ev.Begin(); err == nil {
		err, timedOut = relayEvents(events.Events(), idle, cancel, handle)
	}
	if sawUsage {
		u := usage.OpenAIUsage()
		out.Usage = &u
	}
	if err != nil || r.Context().Err() != nil {
		out.ClientGone = true
		return out
	}
	var e *openai.Error
	switch {
	case timedOut:
		e = streamIdleError(call, idle)
	case events.Err() != nil:
		e = HTTPError(events.Err(), call)
		if context.Cause(ctx) == errShuttingDown {
			e = shuttingDown()
		}
	case !stopped:
		e = &openai.Error{Status: http.StatusBadGateway, Message: call.String() + ": Bedrock stream ended before the answer was complete", Type: openai.TypeUpstream, Code: "incomplete_stream"}
	}
	if e != nil {
		out.Err = e
		_ = ev.Fail(e)
	}
	return out
}

// streamUsage is a message_delta's usage: the counts it carries replace
// message_start's.
type streamUsage struct {
	InputTokens              *int                     `json:"input_tokens"`
	OutputTokens             *int                     `json:"output_tokens"`
	CacheCreationInputTokens *int                     `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int                     `json:"cache_read_input_tokens"`
	CacheCreation            *anthropic.CacheCreation `json:"cache_creation"`
}

func (s *streamUsage) into(u *anthropic.Usage) {
	for _, f := range []struct {
		from *int
		to   *int
	}{{s.InputTokens, &u.InputTokens}, {s.OutputTokens, &u.OutputTokens}, {s.CacheCreationInputTokens, &u.CacheCreationInputTokens}, {s.CacheReadInputTokens, &u.CacheReadInputTokens}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if s.CacheCreation != nil {
		c := *s.CacheCreation
		u.CacheCreation = &c
	}
}

// TokenCount is how count_tokens was answered.
type TokenCount struct {
	InputTokens int
	// Counted is set when Bedrock's CountTokens counted them; otherwise
	// Reason says why it could not (the caller estimates).
	Counted bool
	Reason  string
	Target  tiers.Target
}

// CountMessageTokens asks Bedrock's CountTokens how many input tokens a
// /v1/messages/count_tokens body is for the tier's Claude model, with the
// body prepared as for the request itself. A model or region without
// CountTokens (or any failure but the caller's credentials) is reported in
// Reason for the caller to estimate instead; credential problems and a
// body Bedrock could never take are errors.
func (d *Dispatcher) CountMessageTokens(r *http.Request, raw []byte, betas []string, tier *tiers.Tier, useNext bool) (TokenCount, *openai.Error) {
	target := tier.Bedrock.Active(useNext)
	tc := TokenCount{Target: target}
	mb, oerr := BuildMessagesBody(raw, betas, tier, target.ModelID)
	if oerr != nil {
		return tc, oerr
	}
	call := Call{Tier: tier.Name, Model: target.ModelID, Region: target.Region, Profile: tier.Bedrock.Profile, Endpoint: tier.Bedrock.EndpointURL}
	client, err := d.Clients.Get(r.Context(), ClientKey{Profile: tier.Bedrock.Profile, Region: target.Region, Endpoint: tier.Bedrock.EndpointURL})
	if err != nil {
		return tc, HTTPError(err, call)
	}
	call.Region, call.kind = client.Options().Region, credentialKindOf(client.Options().Credentials)
	resp, err := client.CountTokens(r.Context(), &bedrockruntime.CountTokensInput{
		ModelId: aws.String(foundationModel(target.ModelID)),
		Input:   &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: mb.Body}},
	})
	if err != nil {
		e := HTTPError(err, call)
		if e.Status == http.StatusUnauthorized || e.Status == 499 {
			return tc, e
		}
		tc.Reason = e.Message
		return tc, nil
	}
	tc.InputTokens, tc.Counted = int(aws.ToInt32(resp.InputTokens)), true
	return tc, nil
}

// foundationModel is the foundation model of an inference profile id
// ("us.anthropic.claude-…" → "anthropic.claude-…"): CountTokens takes
// foundation models only.
func foundationModel(id string) string {
	if i := strings.Index(id, "anthropic."); i > 0 && !strings.HasPrefix(id, "arn:") && !strings.Contains(id[:i], "/") {
		return id[i:]
	}
	return id
}
