package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmstack/llmstack/server/anthropic"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// TokenCountHeader says how a count_tokens answer was made: "bedrock"
// (Bedrock's CountTokens counted) or "estimate" (about four characters a
// token, for models and regions without CountTokens).
const TokenCountHeader = "X-LLMStack-Token-Count"

// claudeFamilies are the Claude model families a Claude model name is
// routed by.
var claudeFamilies = []string{"opus", "sonnet", "haiku"}

// messages answers POST /v1/messages: Anthropic's Messages API, for Claude
// Code and the Anthropic SDKs. The API key (x-api-key or Authorization) is
// checked before, and only in team mode (auth.go); it is never logged.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) { s.serveMessages(w, r, false) }

// countTokens answers POST /v1/messages/count_tokens.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request) { s.serveMessages(w, r, true) }

// messagesPostOnly answers the Anthropic routes for a method other than POST.
func (s *Server) messagesPostOnly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.rejectAnthropic(w, r, time.Now(), &openai.Error{Status: http.StatusMethodNotAllowed, Type: openai.TypeInvalidRequest, Code: "method_not_allowed",
		Message: fmt.Sprintf("%s %s: this route takes POST only", r.Method, r.URL.Path)})
}

func (s *Server) rejectAnthropic(w http.ResponseWriter, r *http.Request, start time.Time, e *openai.Error) {
	anthropic.WriteError(w, e)
	s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", e.Status, "dur", time.Since(start).Round(time.Microsecond), "error", e.Message)
}

// messagesTier picks the tier of a Messages request: a tier name or alias
// as on the OpenAI side, "auto" (or no model) through the classifier, a
// Claude model name (claude-sonnet-4-5…) the bedrock tier whose model is
// of that family, else the agent tier. nil is llama-swap's: another name.
func messagesTier(cfg *tiers.Config, req *anthropic.Request, model string, useNext bool) (tier *tiers.Tier, reason string) {
	switch {
	case model == "" || model == tiers.AutoModel:
		route := Classify(anthropic.ClassifyView(req), cfg.Routing)
		tier = TierForRole(cfg, route.Role)
		reason = route.Reason
		if tier != nil && tier.Role != route.Role {
			reason += fmt.Sprintf("; no %s tier", route.Role)
		}
		return tier, reason
	}
	if t := cfg.Lookup(model); t != nil {
		if t.Name != model {
			return t, "alias " + model
		}
		return t, "explicit"
	}
	name := strings.ToLower(model)
	if !strings.HasPrefix(name, "claude") && !strings.Contains(name, "anthropic.claude") {
		return nil, ""
	}
	for _, fam := range claudeFamilies {
		if !strings.Contains(name, fam) {
			continue
		}
		for _, t := range cfg.Tiers {
			if t.Bedrock == nil {
				continue
			}
			id := strings.ToLower(t.Bedrock.Active(useNext).ModelID)
			if strings.Contains(id, "claude") && strings.Contains(id, fam) {
				return t, "claude-" + fam
			}
		}
		if t := TierForRole(cfg, tiers.RoleAgent); t != nil {
			return t, fmt.Sprintf("claude-%s; no %s tier", fam, fam)
		}
		return nil, ""
	}
	if t := TierForRole(cfg, tiers.RoleAgent); t != nil {
		return t, "claude model"
	}
	return nil, ""
}

// serveMessages routes a Messages (or count_tokens) request: Claude tiers
// get Anthropic's body over InvokeModel, other bedrock tiers the router's
// Converse translation, gguf tiers and unknown models llama-swap's own
// /v1/messages.
func (s *Server) serveMessages(w http.ResponseWriter, r *http.Request, count bool) {
	start := time.Now()
	cfg, useNext := s.cfg.Load(), s.useNext.Load()
	body, ok := s.requestBodyAs(w, r, start, s.rejectAnthropic)
	if !ok {
		return
	}
	req, decodeErr := anthropic.Decode(body)
	model := ""
	if req != nil {
		model = req.Model
	} else {
		model = peekModel(body)
	}
	if decodeErr != nil && (model == "" || model == tiers.AutoModel) {
		s.rejectAnthropic(w, r, start, decodeErr)
		return
	}
	// A body the router's types do not read (a block of a newer shape)
	// is still routed by its model, and passes as it is to Claude tiers
	// and llama-swap: only the Converse translation needs to read it.
	routed := req
	if routed == nil {
		routed = &anthropic.Request{Model: model, Stream: peekStream(body)}
	}
	tier, reason := messagesTier(cfg, routed, model, useNext)
	if (model == "" || model == tiers.AutoModel) && tier == nil {
		s.rejectAnthropic(w, r, start, &openai.Error{Status: http.StatusNotFound, Message: fmt.Sprintf("model %q: %s defines no tiers", tiers.AutoModel, cfg.Path), Type: openai.TypeNotFound, Code: "model_not_found"})
		return
	}

	if tier == nil || tier.Backend == tiers.BackendGGUF {
		// llama.cpp's server speaks the Messages API; failures of the
		// hop itself answer in Anthropic's shape.
		r = r.WithContext(context.WithValue(r.Context(), anthropicErrorsKey{}, true))
		s.toLlamaSwap(w, r, start, cfg, tier, model, reason, body)
		return
	}

	w.Header().Set(RouteHeader, tier.Name+"; reason="+reason)
	target := tier.Bedrock.Active(useNext)
	claude := bedrock.ServesClaude(target.ModelID)
	if decodeErr != nil && (!claude || count || !json.Valid(body)) {
		s.rejectAnthropic(w, r, start, decodeErr)
		return
	}
	if count {
		s.countMessageTokens(w, r, start, body, req, tier, useNext)
		return
	}
	req = routed
	// The Converse translation is made once, for the first tier that is
	// not Claude: the tier asked for, or a fallback of a Claude tier.
	var chat *openai.ChatRequest
	var chatErr *openai.Error
	toChat := func() (*openai.ChatRequest, *openai.Error) {
		if chat == nil && chatErr == nil {
			if decodeErr != nil {
				chatErr = decodeErr
			} else {
				chat, chatErr = anthropic.ToChat(req)
			}
		}
		return chat, chatErr
	}
	if !claude {
		if _, err := toChat(); err != nil {
			s.rejectAnthropic(w, r, start, err)
			return
		}
	}
	if e := s.budgetRefusal(w, tier); e != nil {
		s.rejectAnthropic(w, r, start, e)
		return
	}
	betas := anthropic.Betas(r.Header)
	s.serveBedrock(w, r, start, cfg, tier, model, reason, req.Stream, func(w http.ResponseWriter, t *tiers.Tier) bedrock.Outcome {
		if bedrock.ServesClaude(t.Bedrock.Active(useNext).ModelID) {
			return s.bedrock.ServeMessages(w, r, body, req.Stream, betas, t, useNext)
		}
		chat, err := toChat()
		if err != nil {
			anthropic.WriteError(w, err)
			return bedrock.Outcome{Status: err.Status, Err: err, Target: t.Bedrock.Active(useNext)}
		}
		aw := anthropic.NewAnswerWriter(w, t.Name)
		out := s.bedrock.Serve(aw, r, openai.ChatCompletions, chat, t, useNext)
		aw.Finish(out.Err)
		return out
	})
}

// countMessageTokens answers count_tokens for a bedrock tier: Bedrock's
// CountTokens for Claude models that have it, else an estimate, told
// apart by TokenCountHeader.
func (s *Server) countMessageTokens(w http.ResponseWriter, r *http.Request, start time.Time, body []byte, req *anthropic.Request, tier *tiers.Tier, useNext bool) {
	how, note := "estimate", "no CountTokens for this model"
	n := 0
	if target := tier.Bedrock.Active(useNext); bedrock.ServesClaude(target.ModelID) {
		tc, err := s.bedrock.CountMessageTokens(r, body, anthropic.Betas(r.Header), tier, useNext)
		if err != nil {
			s.rejectAnthropic(w, r, start, err)
			return
		}
		if tc.Counted {
			how, n = "bedrock", tc.InputTokens
		} else {
			note = tc.Reason
		}
	}
	if how == "estimate" {
		n = anthropic.EstimateTokens(req)
	}
	w.Header().Set(TokenCountHeader, how)
	openai.WriteJSON(w, http.StatusOK, map[string]int{"input_tokens": n})
	attrs := []any{"method", r.Method, "path", r.URL.Path, "model", req.Model, "tier", tier.Name, "status", http.StatusOK,
		"tokens", strconv.Itoa(n) + " (" + how + ")", "dur", time.Since(start).Round(time.Microsecond)}
	if how == "estimate" {
		attrs = append(attrs, "why", note)
	}
	s.log.Info("request", attrs...)
}

// peekStream reads only "stream" from a body that did not decode whole.
func peekStream(body []byte) bool {
	var v struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &v)
	return v.Stream
}
