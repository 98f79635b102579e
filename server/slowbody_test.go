package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
)

// dialRouter opens a raw TCP connection to the fixture's router, with a
// generous deadline so a router that never answers fails the test instead
// of hanging it.
func dialRouter(t *testing.T, f *fixture) net.Conn {
	t.Helper()
	u, err := url.Parse(f.url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return conn
}

// TestSlowBodyGets408: headers are cut at ReadHeaderTimeout, but a body
// sent a byte a second kept its connection open for as long as the client
// liked. A body that stops keeping up gets a 408, a log line, and its
// connection closed, on the router's routes and on the pass-through.
func TestSlowBodyGets408(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/v1/embeddings"} {
		t.Run(strings.TrimPrefix(path, "/v1/"), func(t *testing.T) {
			f := newFixture(t)
			server.SetBodyReadBounds(t, time.Second, 64<<10)
			conn := dialRouter(t, f)
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", path)
			// A byte every 100ms: the body would take 100s.
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for range 1000 {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()

			rd := bufio.NewReader(conn)
			resp, err := http.ReadResponse(rd, nil)
			if err != nil {
				t.Fatalf("no answer to a trickled body: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"code":"body_too_slow"`) {
				t.Errorf("answer %d %s, want 408 body_too_slow", resp.StatusCode, body)
			}
			// Closed is EOF, or a reset when the server closed with some of
			// the trickle unread; a timeout means it is still open.
			if _, err := rd.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("the connection stayed open after the 408 (read: %v)", err)
			}
			f.waitLog("msg=request", "path="+path, "status=408")
			if n := len(f.llama.received()); n != 0 {
				t.Errorf("llama-swap got %d requests from a body that never arrived", n)
			}
		})
	}
}

// TestBodyAtASaneRateIsRead checks that the bound is a rate, not a fixed
// time: a body that keeps coming at five times the minimum rate is read
// whole although it takes longer than the grace period.
func TestBodyAtASaneRateIsRead(t *testing.T) {
	f := newFixture(t)
	server.SetBodyReadBounds(t, 300*time.Millisecond, 1000)
	body := fmt.Sprintf(`{"model":"local","messages":[{"role":"user","content":"%s"}]}`, strings.Repeat("x", 4000))
	conn := dialRouter(t, f)
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	go func() {
		for rest := body; rest != ""; {
			n := min(500, len(rest))
			if _, err := io.WriteString(conn, rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
			time.Sleep(100 * time.Millisecond)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a body sent at a sane rate: %d %s", resp.StatusCode, got)
	}
	if reqs := f.llama.received(); len(reqs) != 1 || len(reqs[0].Body) != len(body) {
		t.Errorf("llama-swap did not get the whole body")
	}
}

// TestBodyBoundEndsWithTheBody checks that the bound on the body does not
// outlive it: a stream that runs well past it, and the next request on the
// same connection after a pause, are served whole.
func TestBodyBoundEndsWithTheBody(t *testing.T) {
	f := newFixture(t)
	server.SetBodyReadBounds(t, 200*time.Millisecond, 64<<10)
	f.llama.stream = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: {\"n\":%d}\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(400 * time.Millisecond)
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	for i := range 2 {
		resp, err := client.Post(f.url+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"local","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !strings.HasSuffix(string(got), "data: [DONE]\n\n") {
			t.Fatalf("request %d: stream cut short: %q, %v", i, got, err)
		}
		time.Sleep(400 * time.Millisecond)
	}
}
