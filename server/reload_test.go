package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/tiers"
)

// startRun runs a server for the fixture's models.ini through Run (so it
// watches the file) on a free loopback port.
func startRun(t *testing.T, f *fixture) (*server.Server, string) {
	t.Helper()
	return startRunAt(t, f, "127.0.0.1:0")
}

// startRunAt is startRun on addr ("" for the config's own address); it
// returns the server and its URL without /v1.
func startRunAt(t *testing.T, f *fixture, addr string) (*server.Server, string) {
	t.Helper()
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, server.Options{ShutdownGrace: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, addr, func(url string) { ready <- url }) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case url := <-ready:
		return srv, strings.TrimSuffix(url, "/v1")
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start")
	}
	return nil, ""
}

// TestReloadUnderLoad rewrites models.ini many times, once with a broken
// edit, while clients keep sending requests: none may fail, new requests
// pick up the new tiers, and the broken edit keeps the last good config.
func TestReloadUnderLoad(t *testing.T) {
	f := newFixture(t)
	srv, url := startRun(t, f)
	original, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	withModel := func(model string) string {
		return strings.Replace(string(original), "aws_model_id = fast-model-v1", "aws_model_id = "+model, 1)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent, failed atomic.Int64
	var firstFailure atomic.Value
	for w := range 4 {
		wg.Go(func() {
			body := `{"model":"code-fast","messages":[{"role":"user","content":"hi"}]}`
			if w%2 == 1 {
				body = `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`
			}
			for ctx.Err() == nil {
				resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || (w%2 == 1 && !strings.HasSuffix(string(data), "[DONE]\n\n")) {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, string(data))
				}
			}
		})
	}

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	lastModel := func() string { return f.lastRequest().ModelID }

	for i := range 30 {
		model := "fast-model-v" + string(rune('a'+i%26))
		if i%2 == 0 {
			write(t, f.cfgPath, withModel(model)) // in place
		} else {
			write(t, f.cfgPath+".tmp", withModel(model)) // rename over
			if err := os.Rename(f.cfgPath+".tmp", f.cfgPath); err != nil {
				t.Fatal(err)
			}
		}
		if i%10 == 9 {
			waitFor("reload to "+model, func() bool { return srv.Config().Lookup("code-fast").Bedrock.ModelID == model })
		}
	}
	waitFor("requests on the last model", func() bool { return lastModel() == "fast-model-vd" })

	write(t, f.cfgPath, withModel("broken")+"\n[bad]\nbackend = openai\n")
	waitFor("the broken edit to be reported", func() bool { return srv.Status().ConfigError != "" })
	if got := srv.Config().Lookup("code-fast").Bedrock.ModelID; got != "fast-model-vd" {
		t.Errorf("a broken edit replaced the config: code-fast serves %q", got)
	}
	if st := srv.Status(); st.Overall != server.LevelWarn || !strings.Contains(st.ConfigError, `[bad] backend = "openai"`) {
		t.Errorf("status after a broken edit: overall %v, config error %q", st.Overall, st.ConfigError)
	}

	write(t, f.cfgPath, withModel("fast-model-final"))
	waitFor("the fixed edit", func() bool { return srv.Status().ConfigError == "" && lastModel() == "fast-model-final" })

	stop()
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed during reloads; first: %v", failed.Load(), sent.Load(), firstFailure.Load())
	}
	if sent.Load() < 20 {
		t.Errorf("only %d requests were sent during the reloads", sent.Load())
	}
}

// TestReloadPortChangeNeedsRestart checks that an edit of router_port,
// which only a restart can apply, is reported rather than ignored, and that
// the report goes away when the edit is undone.
func TestReloadPortChangeNeedsRestart(t *testing.T) {
	f := newFixture(t)
	freePort := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	port, other := freePort(), freePort()
	for other == port {
		other = freePort()
	}
	original, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	withPort := func(p int) string {
		return strings.Replace(string(original), "[DEFAULT]\n", fmt.Sprintf("[DEFAULT]\nrouter_port = %d\n", p), 1)
	}
	write(t, f.cfgPath, withPort(port))
	srv, url := startRunAt(t, f, "")
	if want := fmt.Sprintf("http://127.0.0.1:%d", port); url != want {
		t.Fatalf("serving on %s, want %s", url, want)
	}

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; status %+v", what, srv.Status())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	write(t, f.cfgPath, withPort(other))
	waitFor("the port change to be reported", func() bool { return srv.Status().RestartNeeded != "" })
	st := srv.Status()
	want := fmt.Sprintf("restart llmstack to serve on 127.0.0.1:%d as models.ini says (now on 127.0.0.1:%d)", other, port)
	if st.RestartNeeded != want || st.Overall != server.LevelWarn {
		t.Errorf("status: restart %q overall %v; want %q, warn", st.RestartNeeded, st.Overall, want)
	}
	resp, err := http.Get(url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h server.Health
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || h.RestartNeeded != want {
		t.Errorf("/health restart_needed = %q (%v), want %q", h.RestartNeeded, err, want)
	}

	write(t, f.cfgPath, withPort(port))
	waitFor("the report to clear", func() bool { return srv.Status().RestartNeeded == "" })
}

// TestReloadUnreadable: the tray's Reload of a models.ini that is gone says
// it cannot be read (not that it is invalid), and the last good config
// keeps serving.
func TestReloadUnreadable(t *testing.T) {
	f := newFixture(t)
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, server.Options{})
	if err := os.Remove(f.cfgPath); err != nil {
		t.Fatal(err)
	}
	err = srv.Reload()
	var re *tiers.ReadError
	if !errors.As(err, &re) {
		t.Fatalf("Reload error = %v, want a tiers.ReadError", err)
	}
	if want := "cannot read " + f.cfgPath + ": no such file or directory"; err.Error() != want {
		t.Errorf("Reload error = %q, want %q", err, want)
	}
	if got := srv.Status().ConfigError; got != err.Error() {
		t.Errorf("status config error = %q, want %q", got, err)
	}
	if len(srv.Status().Tiers) == 0 {
		t.Error("the last good config no longer serves")
	}
}
