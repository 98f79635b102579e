package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/tiers"
)

// Level grades the health of a tier, a profile, or the whole app.
type Level int

const (
	LevelOK    Level = iota // usable
	LevelWarn               // usable, with a problem worth seeing
	LevelError              // not usable
)

func (l Level) String() string {
	switch l {
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return "ok"
}

// Status is a snapshot of everything the tray and /health show.
type Status struct {
	// BaseURL is where clients connect (http://127.0.0.1:10101/v1); empty
	// while not serving, with ListenError saying why.
	BaseURL     string
	ListenError string
	ConfigPath  string
	// ConfigError is why the last edit of models.ini was not applied (the
	// previous config is still served); empty once a good edit lands.
	ConfigError string
	// RestartNeeded says a models.ini edit changed what only a restart
	// applies (router_host, router_port); empty otherwise.
	RestartNeeded string
	ConfigLoaded  time.Time
	UseNext       bool
	LlamaSwap     UpstreamHealth
	Tiers         []TierStatus
	Profiles      []bedrock.ProfileHealth
	// Spend is the estimated spend of all tiers, from the usage file.
	Spend   Spend
	Overall Level
}

// TierStatus is one tier as it is served now.
type TierStatus struct {
	Name         string
	Role         string
	Description  string
	Backend      tiers.Backend
	Model        string // the model on the active channel
	CurrentModel string // the model of the current channel
	NextModel    string // "" when the tier has no next target
	Channel      tiers.Channel
	Region       string
	Profile      string
	CtxSize      int
	PromptCache  bool // bedrock tiers: prompt_cache is on
	Level        Level
	Reason       string // why Level is not ok
	Stats        TierStats
	// TierSpend is the tier's spend today and this month, and its daily
	// budget.
	TierSpend
}

// liveState is the server's view of what it depends on, kept up to date in
// the background.
type liveState struct {
	mu        sync.Mutex
	baseURL   string
	listenErr string
	configErr string
	restart   string
	// boundFrom is the config address the router listened on ("" when
	// --addr chose it), to notice edits that need a restart.
	boundFrom  string
	loaded     time.Time
	llama      UpstreamHealth
	llamaKnown bool
	// profiles is replaced, never changed in place: Status reads it
	// after letting go of the lock.
	profiles    map[string]bedrock.ProfileHealth
	subscribers []func()
}

// OnChange registers f to be called whenever the status changes: config
// reloaded or rejected, channel switched, profile or llama-swap health
// changed, the router started or stopped listening. f runs synchronously on
// the goroutine that made the change: one of Run's (including while it
// shuts down, after its context is cancelled) or the caller of
// SetUseNext, SetConfig, Reload, Recheck or RecheckProfiles. So f must
// return quickly, and a UI must hand the update to its own thread. Request
// statistics change too often to notify; poll Status for them.
func (s *Server) OnChange(f func()) {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	s.live.subscribers = append(s.live.subscribers, f)
}

func (s *Server) notify() {
	s.live.mu.Lock()
	subs := slices.Clone(s.live.subscribers)
	s.live.mu.Unlock()
	for _, f := range subs {
		f()
	}
}

func (s *Server) setHealth(update func(h *liveState)) {
	s.live.mu.Lock()
	update(&s.live)
	s.live.mu.Unlock()
	s.notify()
}

// Status returns a snapshot of the router's state.
func (s *Server) Status() Status {
	cfg, useNext := s.cfg.Load(), s.useNext.Load()
	s.live.mu.Lock()
	st := Status{
		BaseURL:       s.live.baseURL,
		ListenError:   s.live.listenErr,
		ConfigPath:    cfg.Path,
		ConfigError:   s.live.configErr,
		RestartNeeded: s.live.restart,
		ConfigLoaded:  s.live.loaded,
		UseNext:       useNext,
		LlamaSwap:     s.live.llama,
	}
	llamaKnown := s.live.llamaKnown
	profiles := s.live.profiles
	for _, p := range cfg.Profiles() {
		h, ok := profiles[p]
		if !ok {
			h = bedrock.ProfileHealth{Profile: p}
		}
		st.Profiles = append(st.Profiles, h)
	}
	s.live.mu.Unlock()
	if st.LlamaSwap.URL == "" {
		st.LlamaSwap.URL = cfg.LlamaSwapURL
	}

	now := s.now()
	var month map[string]TierDay
	st.Spend, month = s.spendSummary(now)
	for _, t := range cfg.Tiers {
		ts := TierStatus{
			Name: t.Name, Role: t.Role, Description: t.Description, Backend: t.Backend,
			Model: t.Model(useNext), CurrentModel: t.Model(false), NextModel: t.NextModel(), Channel: t.Channel(useNext),
			CtxSize: t.CtxSize, Stats: s.stats.get(t.Name),
		}
		if t.Bedrock != nil {
			ts.Region, ts.Profile = t.Bedrock.Active(useNext).Region, t.Bedrock.Profile
			ts.PromptCache = t.Bedrock.PromptCache
			ph := profiles[t.Bedrock.Profile]
			ts.Level, ts.Reason = bedrockTierLevel(ph, ts.Stats)
		} else {
			ts.Level, ts.Reason = ggufTierLevel(st.LlamaSwap, llamaKnown, ts.Stats)
		}
		ts.TierSpend = s.tierSpend(t, useNext, now, month)
		if ts.Budget == BudgetReached && !ts.OverBudgetAllowed && ts.Level == LevelOK {
			ts.Level, ts.Reason = LevelWarn, fmt.Sprintf("daily budget of $%.2f spent: answering 429 until midnight", ts.BudgetUSD)
		}
		st.Tiers = append(st.Tiers, ts)
	}
	st.Overall = overall(st)
	return st
}

// bedrockTierLevel grades a bedrock tier: its profile decides first, then
// how its last request went.
func bedrockTierLevel(p bedrock.ProfileHealth, stats TierStats) (Level, string) {
	switch p.State {
	case bedrock.ProfileError:
		return LevelError, p.Problem
	case bedrock.ProfileExpiring:
		return LevelWarn, p.Problem
	}
	return lastRequestLevel(stats)
}

func ggufTierLevel(llama UpstreamHealth, known bool, stats TierStats) (Level, string) {
	if known && !llama.Reachable {
		return LevelError, fmt.Sprintf("llama-swap is not reachable at %s", llama.URL)
	}
	return lastRequestLevel(stats)
}

func lastRequestLevel(stats TierStats) (Level, string) {
	if stats.LastStatus >= 400 && stats.LastError != "" {
		return LevelWarn, "last request failed: " + stats.LastError
	}
	return LevelOK, ""
}

func overall(st Status) Level {
	if st.BaseURL == "" && st.ListenError != "" {
		return LevelError
	}
	level := LevelOK
	if st.ConfigError != "" || st.RestartNeeded != "" {
		level = LevelWarn
	}
	for _, t := range st.Tiers {
		level = max(level, t.Level)
	}
	return level
}

// ProfileCheckInterval is how often profiles are re-checked in the
// background; LlamaSwapCheckInterval likewise for llama-swap.
const (
	ProfileCheckInterval   = 5 * time.Minute
	LlamaSwapCheckInterval = 30 * time.Second
)

// monitor keeps profile and llama-swap health current until ctx ends.
func (s *Server) monitor(ctx context.Context) {
	// A profile whose credentials are slow to come must not hold up the
	// llama-swap check (nor, in RecheckProfiles, the other profiles).
	go s.RecheckProfiles(ctx, false)
	s.checkLlamaSwap(ctx)
	profiles := time.NewTicker(ProfileCheckInterval)
	llama := time.NewTicker(LlamaSwapCheckInterval)
	defer profiles.Stop()
	defer llama.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-profiles.C:
			s.RecheckProfiles(ctx, false)
		case <-llama.C:
			s.checkLlamaSwap(ctx)
		}
	}
}

// Recheck is the user's "check again" (after `aws sso login`, or an edit
// of ~/.aws/config): requests load the AWS config files afresh, and every
// profile is checked now.
func (s *Server) Recheck(ctx context.Context, verify bool) {
	s.bedrock.Clients.Forget()
	s.RecheckProfiles(ctx, verify)
}

// RecheckProfiles checks every AWS profile the tiers use, concurrently, and
// returns when all are done. Each verdict is shown as soon as it is in, so
// a slow profile holds up no other. With verify each is also confirmed
// with STS.
func (s *Server) RecheckProfiles(ctx context.Context, verify bool) {
	var wg sync.WaitGroup
	for _, p := range s.cfg.Load().Profiles() {
		wg.Go(func() {
			h := bedrock.CheckProfile(ctx, p, verify)
			if ctx.Err() != nil {
				return
			}
			if h.State == bedrock.ProfileError {
				s.log.Warn("AWS profile unusable", "profile", h.Name(), "problem", h.Problem)
			}
			s.setHealth(func(hs *liveState) {
				if old, ok := hs.profiles[p]; ok && h.Checked.Before(old.Checked) {
					return // a check of this profile that started later finished first
				}
				profiles := maps.Clone(hs.profiles)
				if profiles == nil {
					profiles = map[string]bedrock.ProfileHealth{}
				}
				profiles[p] = h
				hs.profiles = profiles
			})
		})
	}
	wg.Wait()
}

func (s *Server) checkLlamaSwap(ctx context.Context) {
	cfg := s.cfg.Load()
	u := UpstreamHealth{URL: cfg.LlamaSwapURL}
	if err := s.pingLlamaSwap(ctx, cfg); err != nil {
		u.Error = err.Error()
	} else {
		u.Reachable = true
	}
	if ctx.Err() != nil {
		return
	}
	s.live.mu.Lock()
	changed := !s.live.llamaKnown || s.live.llama != u
	s.live.mu.Unlock()
	if changed {
		s.setHealth(func(h *liveState) { h.llama, h.llamaKnown = u, true })
	}
}
