// Command llmstack puts AWS Bedrock models and local llama-swap models behind
// one OpenAI-compatible endpoint on this machine.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"syscall"

	"github.com/llmstack/llmstack/app"
	_ "github.com/llmstack/llmstack/internal/posixlocale" // before Fyne reads the locale
	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// version is FyneApp.toml's, the one place it is written.
var version = appVersion(fyneAppTOML)

//go:embed FyneApp.toml
var fyneAppTOML string

func appVersion(toml string) string {
	if m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindStringSubmatch(toml); m != nil {
		return m[1]
	}
	return "dev"
}

const usage = `llmstack: AWS Bedrock and local llama-swap models behind one OpenAI-compatible endpoint.

Usage:
  llmstack [--config PATH] [--next] [--addr HOST:PORT]  tray app with the router in-process
  llmstack serve [--config PATH] [--addr HOST:PORT] [--next] [--log-level LEVEL]
                                                       run the router without a tray
  llmstack check [--config PATH] [--next]              validate models.ini and print the tiers
  llmstack claude-code [--config PATH] [--shell SHELL] print the environment lines for Claude Code
                                                       (SHELL: bash (default), zsh, fish, powershell)
  llmstack opencode [--config PATH] [--next] [--write DIR]
                                                       print opencode's config for these tiers, or
                                                       merge it into DIR/opencode.json
  llmstack version                                     print the version
  llmstack help                                        print this help (also -h, --help)

models.ini is --config, else $LLMSTACK_CONFIG, else <user config dir>/llmstack/models.ini
(written from the built-in default on first run).
The next channel is on with --next or LLMSTACK_USE_NEXT=1.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "":
		return tray(args, stdout, stderr)
	case "serve":
		return serve(cmd, args, stdout, stderr)
	case "check":
		return check(args, stdout, stderr)
	case "claude-code":
		return claudeCode(args, stdout, stderr)
	case "opencode":
		return opencode(args, stdout, stderr)
	case "version", "help":
		// They take no flags or arguments, but -h/--help and mistakes
		// are answered as for every other command.
		if code, done := parseFlags(bareFlagSet(cmd, stderr), args, stdout, stderr); done {
			return code
		}
		if cmd == "help" {
			fmt.Fprint(stdout, usage)
		} else {
			fmt.Fprintf(stdout, "llmstack %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		}
		return 0
	}
	fmt.Fprintf(stderr, "llmstack: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// commonFlags are the flags every command that reads models.ini takes.
type commonFlags struct {
	config string
	next   bool
}

// bareFlagSet is a command's flag set without flags of its own.
func bareFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("llmstack "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // parseFlags prints it, to stdout when asked for
	return fs
}

// newFlagSet is the flag set of a command that reads models.ini.
func newFlagSet(name string, stderr io.Writer, cf *commonFlags) *flag.FlagSet {
	fs := bareFlagSet(name, stderr)
	fs.StringVar(&cf.config, "config", "", "models.ini to use (default $LLMSTACK_CONFIG, else the user config dir)")
	fs.BoolVar(&cf.next, "next", false, "serve the next channel (aws_model_id_next) where tiers have one; also LLMSTACK_USE_NEXT=1")
	return fs
}

// parseFlags parses a command's flags and positional arguments (it takes
// none). done is set when the command should stop with exit code code: 0
// after -h/--help (usage on stdout, as for `llmstack help`), 2 for a bad
// flag or argument (usage on stderr).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0, true
	case err != nil:
		fmt.Fprint(stderr, usage) // after flag's own message
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "llmstack: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 2, true
	}
	return 0, false
}

// loadConfig resolves, creates on first run, and parses models.ini.
func loadConfig(flagPath string, stderr io.Writer) (*tiers.Config, bool) {
	path, created, err := tiers.ResolvePath(flagPath)
	if err != nil {
		fmt.Fprintf(stderr, "llmstack: %v\n", err)
		return nil, false
	}
	if created {
		fmt.Fprintf(stderr, "llmstack: wrote the default models.ini to %s; edit it to name your models and AWS profiles\n", path)
	}
	cfg, err := tiers.Load(path)
	var readErr *tiers.ReadError
	switch {
	case errors.As(err, &readErr):
		fmt.Fprintf(stderr, "llmstack: %v\n", err)
		return nil, false
	case err != nil:
		fmt.Fprintf(stderr, "llmstack: %s is not valid:\n%v\n", path, err)
		return nil, false
	}
	return cfg, true
}

func check(args []string, stdout, stderr io.Writer) int {
	var cf commonFlags
	fs := newFlagSet("check", stderr, &cf)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	cfg, ok := loadConfig(cf.config, stderr)
	if !ok {
		return 1
	}
	useNext := cf.next || tiers.UseNextFromEnv()
	channel := tiers.ChannelCurrent
	if useNext {
		channel = tiers.ChannelNext
	}
	fmt.Fprintf(stdout, "models.ini  %s (valid, %s)\nrouter      http://%s/v1\n", cfg.Path, plural(len(cfg.Tiers), "tier"), cfg.Addr())
	if v := cfg.RouterAPIKeyVar(); v != "" {
		fmt.Fprintf(stdout, "api key     required: the key in $%s (team mode)\n", v)
	}
	fmt.Fprintf(stdout, "llama-swap  %s\nchannel     %s\n\n", cfg.LlamaSwapURL, channel)
	if err := cfg.WriteTable(stdout, useNext); err != nil {
		return 1
	}
	for _, n := range cfg.Notes {
		fmt.Fprintf(stdout, "\nnote: %s\n", n)
	}
	return 0
}

// opencode prints opencode.json for the tiers of models.ini, or merges it
// into DIR/opencode.json with --write.
func opencode(args []string, stdout, stderr io.Writer) int {
	var cf commonFlags
	fs := newFlagSet("opencode", stderr, &cf)
	dir := fs.String("write", "", "merge the llmstack provider into DIR/opencode.json (created if missing), keeping its other keys")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	cfg, ok := loadConfig(cf.config, stderr)
	if !ok {
		return 1
	}
	useNext := cf.next || tiers.UseNextFromEnv()
	baseURL := "http://" + cfg.Addr() + "/v1"
	if *dir == "" {
		out, err := server.OpencodeConfig(cfg, baseURL, useNext)
		if err != nil {
			fmt.Fprintf(stderr, "llmstack: %v\n", err)
			return 1
		}
		stdout.Write(out)
		return 0
	}
	path, err := server.WriteOpencodeConfig(*dir, cfg, baseURL, useNext)
	if err != nil {
		fmt.Fprintf(stderr, "llmstack: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "llmstack: wrote the llmstack provider (%s at %s) into %s\n", plural(len(cfg.Tiers), "tier"), baseURL, path)
	return 0
}

// runFlags are the flags of the commands that run the router.
type runFlags struct {
	commonFlags
	addr  string
	level slog.Level
}

// parseRunFlags parses the flags of tray and serve; rf is nil when the
// command should exit with code (see parseFlags).
func parseRunFlags(name string, args []string, stdout, stderr io.Writer) (rf *runFlags, code int) {
	rf = &runFlags{}
	fs := newFlagSet(name, stderr, &rf.commonFlags)
	fs.StringVar(&rf.addr, "addr", "", "listen address HOST:PORT: loopback, or any with router_api_key set (default router_host:router_port of models.ini)")
	logLevel := fs.String("log-level", "info", "log detail: debug, info, warn or error")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return nil, code
	}
	if err := rf.level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "llmstack: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return nil, 2
	}
	return rf, 0
}

func tray(args []string, stdout, stderr io.Writer) int {
	rf, code := parseRunFlags("", args, stdout, stderr)
	if rf == nil {
		return code
	}
	cfg, ok := loadConfig(rf.config, stderr)
	if !ok {
		return 1
	}
	opts := app.Options{Config: cfg, Addr: rf.addr, Version: version, Log: stderr, LogLevel: rf.level}
	if rf.next || tiers.UseNextFromEnv() {
		on := true
		opts.UseNext = &on
	}
	if err := app.Run(opts); err != nil {
		fmt.Fprintf(stderr, "llmstack: %v\n", err)
		return 1
	}
	return 0
}

func serve(cmd string, args []string, stdout, stderr io.Writer) int {
	rf, code := parseRunFlags(cmd, args, stdout, stderr)
	if rf == nil {
		return code
	}
	cf, addr := rf.commonFlags, &rf.addr
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: rf.level}))

	cfg, ok := loadConfig(cf.config, stderr)
	if !ok {
		return 1
	}
	slog.SetDefault(logger) // where the AWS SDK's messages go
	var err error
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := server.Options{UseNext: cf.next || tiers.UseNextFromEnv(), Logger: logger, Version: version}
	if opts.UsagePath, err = server.DefaultUsagePath(); err != nil {
		logger.Warn("spend is counted in memory only", "error", err)
	}
	err = server.Run(ctx, cfg, *addr, opts, func(url string) {
		fmt.Fprintf(stdout, "llmstack %s serving %s (models.ini: %s)\n", version, url, cfg.Path)
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "llmstack: %v\n", err)
		return 1
	}
	return 0
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
