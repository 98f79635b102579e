package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a program the benchmark started: a fake, the router, the floor or
// the peer.
type Proc struct {
	Name string
	URL  string // base URL, no trailing slash
	cmd  *exec.Cmd
	done chan struct{}
	log  *tailBuffer
}

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// startProc starts cmd and waits until ready, reading its stdout line by
// line, returns the base URL (or, with poll set, until poll succeeds).
// Stdout and stderr are kept (the last few KB) for error messages.
func startProc(name string, cmd *exec.Cmd, ready func(line string) (string, bool), poll func() (string, bool), timeout time.Duration) (*Proc, error) {
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{}), log: &tailBuffer{max: 8 << 10}}
	// The child dies with us even if we are killed.
	cmd.SysProcAttr = childAttr()
	cmd.Stderr = p.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.log.Write([]byte(line + "\n"))
			if !sent && ready != nil {
				if u, ok := ready(line); ok {
					urls <- u
					sent = true
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	deadline := time.After(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case u := <-urls:
			p.URL = u
			return p, nil
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready: %s", name, p.log.String())
		case <-deadline:
			p.Stop()
			return nil, fmt.Errorf("%s was not ready after %v: %s", name, timeout, p.log.String())
		case <-tick.C:
			if poll != nil {
				if u, ok := poll(); ok {
					p.URL = u
					return p, nil
				}
			}
		}
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after 3 s) and waits for it.
func (p *Proc) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Alive reports whether the process is still running.
func (p *Proc) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Log is the tail of the process's output.
func (p *Proc) Log() string { return p.log.String() }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// afterPrefix returns a ready function that takes the URL following prefix
// on a line (up to the next space).
func afterPrefix(prefix string) func(string) (string, bool) {
	return func(line string) (string, bool) {
		_, rest, ok := strings.Cut(line, prefix)
		if !ok {
			return "", false
		}
		u, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		return strings.TrimSuffix(u, "/"), u != ""
	}
}

// StartFake starts the fake Bedrock runtime (bin/fakebedrock) with args.
func StartFake(bin, name string, args ...string) (*Proc, error) {
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	return startProc(name, cmd, afterPrefix("listening on "), nil, 10*time.Second)
}

// HelperBin is the program that serves the floor and the fake llama-swap
// (llmstack-bench floor|fakellamaswap); "" is this program.
var HelperBin = ""

func helperBin() (string, error) {
	if HelperBin != "" {
		return HelperBin, nil
	}
	return os.Executable()
}

// StartHelper starts a subcommand of this benchmark's own binary (the floor
// proxy, the fake llama-swap) that prints "... listening on URL".
func StartHelper(name string, args ...string) (*Proc, error) {
	self, err := helperBin()
	if err != nil {
		return nil, err
	}
	cmd := execCommand(self, args...)
	return startProc(name, cmd, afterPrefix("listening on "), nil, 10*time.Second)
}

// RouterEnv is the environment `llmstack serve` runs with: this one without
// any AWS profile or credential settings, plus dummy static keys, so the
// SDK signs with them and reads no AWS files.
func RouterEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(k, "AWS_") && k != "AWS_CA_BUNDLE") || strings.HasPrefix(k, "LLMSTACK_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true")
}

// StartRouter starts `llmstack serve` on a free loopback port, with extra
// environment variables if any.
func StartRouter(bin, config string, env ...string) (*Proc, error) {
	cmd := exec.Command(bin, "serve", "--config", config, "--addr", "127.0.0.1:0", "--log-level", "warn")
	cmd.Env = append(RouterEnv(), env...)
	return startProc("llmstack serve", cmd, func(line string) (string, bool) {
		u, ok := afterPrefix(" serving ")(line)
		return strings.TrimSuffix(u, "/v1"), ok
	}, nil, 15*time.Second)
}

// RouterConfig is the models.ini of the run: one bedrock tier per fake and
// llama-swap at llamaSwap.
func RouterConfig(llamaSwap string, tiers map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[DEFAULT]\nrouter_host = 127.0.0.1\nrouter_port = 10111\nllama_swap_url = %s\n", llamaSwap)
	roles := []string{"fast", "agent", "plan"}
	i := 0
	for _, name := range sortedKeys(tiers) {
		fmt.Fprintf(&b, "\n[%s]\nrole = %s\naws_model_id = %s\naws_region = us-east-1\naws_endpoint_url = %s\n",
			name, roles[i%len(roles)], ModelID, tiers[name])
		i++
	}
	return b.String()
}

// PortkeyScript is the gateway's server script under bench/peers.
const PortkeyScript = "node_modules/@portkey-ai/gateway/build/start-server.js"

// StartPortkey starts the Portkey gateway with node on a free port. It
// listens on every interface, so callers run it only inside a private
// network namespace whose one interface is loopback.
func StartPortkey(peersDir string) (*Proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", PortkeyScript, fmt.Sprintf("--port=%d", port), "--headless")
	cmd.Dir = peersDir
	cmd.Env = append(RouterEnv(), "NODE_ENV=production")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	hc := &http.Client{Timeout: time.Second}
	return startProc("portkey", cmd, nil, func() (string, bool) {
		resp, err := hc.Get(base + "/")
		if err != nil {
			return "", false
		}
		resp.Body.Close()
		return base, resp.StatusCode == http.StatusOK
	}, 30*time.Second)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// PortkeyHeaders are the headers that make Portkey call Bedrock at
// customHost with dummy keys.
func PortkeyHeaders(customHost string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("x-portkey-provider", "bedrock")
	h.Set("x-portkey-custom-host", customHost)
	h.Set("x-portkey-aws-access-key-id", "AKIDBENCH")
	h.Set("x-portkey-aws-secret-access-key", "x")
	h.Set("x-portkey-aws-region", "us-east-1")
	return h
}

// PortkeyOpenAIHeaders make Portkey pass an OpenAI request through to an
// OpenAI-compatible server at customHost (…/v1).
func PortkeyOpenAIHeaders(customHost string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("x-portkey-provider", "openai")
	h.Set("x-portkey-custom-host", customHost)
	h.Set("Authorization", "Bearer sk-bench")
	return h
}

// PeerAvailability says whether Portkey can be run here, and why not.
func PeerAvailability(peersDir string, isolated bool) (ok bool, why string) {
	if !isolated {
		return false, "not run: Portkey's server listens on all interfaces and no private network namespace could be made here (`unshare -n` needs root), so it would not be confined to loopback"
	}
	if _, err := exec.LookPath("node"); err != nil {
		return false, "not run: node is not installed (install Node.js, then `make bench-peers`)"
	}
	if _, err := os.Stat(peersDir + "/" + PortkeyScript); err != nil {
		return false, "not run: @portkey-ai/gateway is not installed under bench/peers (`make bench-peers` installs it with npm ci)"
	}
	return true, ""
}

// NodeVersion is `node --version`, or "".
func NodeVersion() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// execCommand is exec.Command (a variable only to keep one import site).
var execCommand = exec.Command
