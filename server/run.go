package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/llmstack/llmstack/tiers"
)

// Run serves the router until ctx ends: it listens on addr (the config's
// router_host:router_port when empty), reloads models.ini when it changes,
// keeps profile and llama-swap health current, and shuts down gracefully.
// ready, if set, is called with the base URL once the router listens.
func (s *Server) Run(ctx context.Context, addr string, ready func(baseURL string)) error {
	fromConfig := addr == ""
	if fromConfig {
		addr = s.cfg.Load().Addr()
	}
	if err := CheckListenAddr(addr, s.key.set); err != nil {
		// A mistake to fix, not a state to watch: say it alone.
		s.setHealth(func(h *liveState) { h.baseURL, h.listenErr = "", err.Error() })
		return err
	}
	s.logNotes(s.cfg.Load())
	// Health is worth knowing even when the port is taken.
	go s.monitor(ctx)
	if host, _, err := net.SplitHostPort(addr); err == nil && !fromConfig {
		// --addr names the host clients use.
		s.hosts.Store(newHostGuard(host, s.key.set))
	}
	ln, err := listen(addr)
	if err != nil {
		s.setHealth(func(h *liveState) { h.baseURL, h.listenErr = "", err.Error() })
		return err
	}
	url := BaseURL(ln.Addr())
	s.setHealth(func(h *liveState) {
		h.baseURL, h.listenErr = url, ""
		if fromConfig {
			h.boundFrom = addr
		}
	})
	if path := s.cfg.Load().Path; path != "" {
		if err := tiers.Watch(ctx, path, 0, s.applyReload); err != nil {
			s.log.Warn("models.ini will not reload on its own", "error", err)
		}
	}
	if ready != nil {
		ready(url)
	}
	err = s.Serve(ctx, ln)
	s.setHealth(func(h *liveState) { h.baseURL = "" })
	return err
}

// applyReload swaps in a reloaded config, or keeps the last good one and
// records why the new one was refused.
func (s *Server) applyReload(r tiers.Reload) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.applyReloadLocked(r)
}

func (s *Server) applyReloadLocked(r tiers.Reload) {
	if r.Err != nil {
		s.log.Error("models.ini not applied; still serving the last good version", "error", r.Err)
		s.setHealth(func(h *liveState) { h.configErr = r.Err.Error() })
		return
	}
	s.SetConfig(r.Config)
	s.log.Info("models.ini reloaded", "path", r.Config.Path, "tiers", len(r.Config.Tiers))
	if newRouterKey(r.Config.RouterAPIKey) != s.key {
		s.log.Warn("router_api_key changed in models.ini: restart llmstack to use it; until then requests still need the key it started with")
	}
	s.logNotes(r.Config)
	var restart string
	var changed bool
	s.setHealth(func(h *liveState) {
		restart = restartNeeded(h.boundFrom, r.Config.Addr())
		changed = restart != h.restart
		h.restart = restart
	})
	if changed && restart != "" {
		s.log.Warn(restart)
	}
	go func() {
		s.checkLlamaSwap(s.stopping)
		s.RecheckProfiles(s.stopping, false)
	}()
}

// logNotes warns of sections that look like tiers but are not.
func (s *Server) logNotes(cfg *tiers.Config) {
	for _, n := range cfg.Notes {
		s.log.Warn(n)
	}
}

// restartNeeded says why a restart is due when models.ini now asks for
// another listening address than the one the router took from it.
func restartNeeded(bound, want string) string {
	if bound == "" || bound == want {
		return ""
	}
	return fmt.Sprintf("restart llmstack to serve on %s as models.ini says (now on %s)", want, bound)
}

// Reload reads models.ini again now (the tray's "Reload" item) and applies
// it if it is valid; the error says why not.
func (s *Server) Reload() error {
	// Read under the lock, so a reload by the watcher in between cannot be
	// undone by this older read.
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cfg, err := tiers.Load(s.cfg.Load().Path)
	s.applyReloadLocked(tiers.Reload{Config: cfg, Err: err})
	return err
}

// Run serves a router for cfg headless until ctx ends.
func Run(ctx context.Context, cfg *tiers.Config, addr string, opts Options, ready func(baseURL string)) error {
	return New(cfg, opts).Run(ctx, addr, ready)
}

// Listen opens the router's socket on a loopback address, with an error
// that says what to do when the port is taken.
func Listen(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	return listen(addr)
}

// listen opens the router's socket on addr, checked by the caller.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s is already in use (is llmstack already running?); change router_port in models.ini or pass --addr, then start llmstack again", addr)
		}
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// BaseURL is the OpenAI base URL clients use for a listening address.
func BaseURL(addr net.Addr) string {
	return "http://" + addr.String() + "/v1"
}
