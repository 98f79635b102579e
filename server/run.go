package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/llmstack/llmstack/tiers"
)

// RunOptions configure Run.
type RunOptions struct {
	Config *tiers.Config
	// Addr overrides the config's router_host:router_port.
	Addr    string
	UseNext bool
	Logger  *slog.Logger
	Version string
	// Ready is called with the base URL (http://host:port/v1) once the
	// router listens.
	Ready func(baseURL string)
}

// Run serves the router headless until ctx ends.
func Run(ctx context.Context, opts RunOptions) error {
	addr := opts.Addr
	if addr == "" {
		addr = opts.Config.Addr()
	}
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	srv := New(opts.Config, Options{UseNext: opts.UseNext, Logger: opts.Logger, Version: opts.Version})
	if opts.Ready != nil {
		opts.Ready(BaseURL(ln.Addr()))
	}
	return srv.Serve(ctx, ln)
}

// Listen opens the router's socket on a loopback address, with an error
// that says what to do when the port is taken.
func Listen(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s is already in use (is llmstack already running?); change router_port in models.ini or pass --addr", addr)
		}
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// BaseURL is the OpenAI base URL clients use for a listening address.
func BaseURL(addr net.Addr) string {
	return "http://" + addr.String() + "/v1"
}
