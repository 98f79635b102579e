package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// upstreamTimeout bounds the router's own calls to llama-swap, so a dead or
// hung llama-swap slows /v1/models and /health by at most this much.
const upstreamTimeout = 2 * time.Second

// models answers GET /v1/models: "auto" first, then llama-swap's models (none
// when it is down), then every bedrock tier and alias.
func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	cfg, useNext := s.cfg.Load(), s.useNext.Load()
	data := []any{openai.Model{
		ID: tiers.AutoModel, Object: "model", OwnedBy: "llmstack",
		Name:        "auto",
		Description: "Picks a tier for each request: agent work and tools go to the agent tier, design questions to the plan tier, the rest to the fast tier",
		Backend:     "router",
	}}
	seen := map[string]bool{tiers.AutoModel: true}
	for _, t := range cfg.Tiers {
		if t.Bedrock != nil {
			seen[t.Name] = true
			for _, a := range t.Aliases {
				seen[a] = true
			}
		}
	}
	upstream, _ := s.llamaSwapModels(r.Context(), cfg)
	for _, m := range upstream {
		var head struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(m, &head) == nil && !seen[head.ID] {
			seen[head.ID] = true
			data = append(data, m)
		}
	}
	for _, t := range cfg.Tiers {
		if t.Bedrock == nil {
			continue
		}
		region := s.defaultRegion(t.Bedrock.Profile)
		data = append(data, bedrockModel(t, t.Name, useNext, region))
		for _, a := range t.Aliases {
			data = append(data, bedrockModel(t, a, useNext, region))
		}
	}
	openai.WriteJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// defaultRegion is the region a tier without aws_region uses: its
// profile's (once checked), else the environment's.
func (s *Server) defaultRegion(profile string) string {
	s.live.mu.Lock()
	h := s.live.profiles[profile]
	s.live.mu.Unlock()
	if h.Region != "" {
		return h.Region
	}
	return cmp.Or(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
}

func bedrockModel(t *tiers.Tier, id string, useNext bool, defaultRegion string) openai.Model {
	active := t.Bedrock.Active(useNext)
	meta := map[string]any{
		"model_id": active.ModelID,
		"region":   cmp.Or(active.Region, defaultRegion),
		"ctx_size": t.CtxSize,
		"channel":  string(active.Channel),
	}
	if t.Bedrock.HasNext() {
		meta["model_id_next"] = t.Bedrock.ModelIDNext
	}
	if t.Bedrock.RegionNext != "" {
		meta["region_next"] = t.Bedrock.RegionNext
	}
	if id != t.Name {
		meta["alias_of"] = t.Name
	}
	return openai.Model{
		ID: id, Object: "model", OwnedBy: "aws-bedrock",
		Name: t.Description, Description: t.Description,
		Tier: t.Role, Backend: string(tiers.BackendBedrock), Metadata: meta,
	}
}

// llamaSwapModels fetches llama-swap's model list, entries kept as sent.
func (s *Server) llamaSwapModels(ctx context.Context, cfg *tiers.Config) ([]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.LlamaSwapURL+"/v1/models", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.proxy.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("llama-swap answered %s", resp.Status)
	}
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("llama-swap's model list: %w", err)
	}
	return list.Data, nil
}

// Health is the body of GET /health.
type Health struct {
	Status      string `json:"status"` // "ok": the router answers
	Health      string `json:"health"` // ok, warn or error: can the tiers be used
	Version     string `json:"version"`
	Config      string `json:"config"`
	ConfigError string `json:"config_error,omitempty"`
	// RestartNeeded: models.ini changed router_host/router_port.
	RestartNeeded string          `json:"restart_needed,omitempty"`
	Channel       tiers.Channel   `json:"channel"`
	LlamaSwap     UpstreamHealth  `json:"llama_swap"`
	Tiers         []TierHealth    `json:"tiers"`
	Profiles      []ProfileReport `json:"aws_profiles"`
}

// UpstreamHealth says whether llama-swap answers.
type UpstreamHealth struct {
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

// TierHealth describes a tier as it is served right now.
type TierHealth struct {
	Name     string        `json:"name"`
	Role     string        `json:"role"`
	Backend  tiers.Backend `json:"backend"`
	Model    string        `json:"model"`
	Channel  tiers.Channel `json:"channel"`
	Region   string        `json:"region,omitempty"`
	Profile  string        `json:"profile,omitempty"`
	Health   string        `json:"health"`
	Reason   string        `json:"reason,omitempty"`
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
}

// ProfileReport is an AWS profile's health as /health shows it.
type ProfileReport struct {
	Profile string `json:"profile"`
	State   string `json:"state"`
	KeyID   string `json:"key_id,omitempty"`
	Region  string `json:"region,omitempty"`
	Expires string `json:"expires,omitempty"`
	Problem string `json:"problem,omitempty"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	s.checkLlamaSwap(r.Context())
	st := s.Status()
	h := Health{Status: "ok", Health: st.Overall.String(), Version: s.version, Config: st.ConfigPath, ConfigError: st.ConfigError,
		RestartNeeded: st.RestartNeeded,
		Channel:       tiers.ChannelCurrent, LlamaSwap: st.LlamaSwap, Tiers: []TierHealth{}, Profiles: []ProfileReport{}}
	if st.UseNext {
		h.Channel = tiers.ChannelNext
	}
	for _, t := range st.Tiers {
		h.Tiers = append(h.Tiers, TierHealth{Name: t.Name, Role: t.Role, Backend: t.Backend, Model: t.Model, Channel: t.Channel,
			Region: t.Region, Profile: t.Profile, Health: t.Level.String(), Reason: t.Reason, Requests: t.Stats.Requests, Errors: t.Stats.Errors})
	}
	for _, p := range st.Profiles {
		pr := ProfileReport{Profile: p.Name(), State: string(p.State), KeyID: p.KeyID, Region: p.Region, Problem: p.Problem}
		if pr.State == "" {
			pr.State = "unchecked"
		}
		if !p.Expires.IsZero() {
			pr.Expires = p.Expires.UTC().Format(time.RFC3339)
		}
		h.Profiles = append(h.Profiles, pr)
	}
	openai.WriteJSON(w, http.StatusOK, h)
}

// pingLlamaSwap reports whether llama-swap answers HTTP at all.
func (s *Server) pingLlamaSwap(ctx context.Context, cfg *tiers.Config) error {
	ctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.LlamaSwapURL+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := s.proxy.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return nil
}
