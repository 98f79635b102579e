package server_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// setTierKeys adds lines to a tier's section of the fixture's models.ini
// and applies the result.
func (f *fixture) setTierKeys(tier string, lines ...string) {
	f.t.Helper()
	data, err := os.ReadFile(f.cfgPath)
	if err != nil {
		f.t.Fatal(err)
	}
	head := "[" + tier + "]\n"
	if !strings.Contains(string(data), head) {
		f.t.Fatalf("models.ini has no %s", head)
	}
	edited := strings.Replace(string(data), head, head+strings.Join(lines, "\n")+"\n", 1)
	write(f.t, f.cfgPath, edited)
	cfg, err := tiers.Load(f.cfgPath)
	if err != nil {
		f.t.Fatal(err)
	}
	f.server.SetConfig(cfg)
}

func (f *fixture) tierStatus(name string) server.TierStatus {
	f.t.Helper()
	for _, ts := range f.server.Status().Tiers {
		if ts.Name == name {
			return ts
		}
	}
	f.t.Fatalf("no tier %s in the status", name)
	return server.TierStatus{}
}

// TestStreamIdleTimeout: when Bedrock sends nothing for the tier's
// stream_idle_timeout, the stream ends with an error chunk saying so (no
// [DONE]) and the Bedrock call is cancelled rather than left running.
func TestStreamIdleTimeout(t *testing.T) {
	f := newFixture(t)
	f.setTierKeys("code-fast", "stream_idle_timeout = 0.3")
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		// messageStart, then a minute of silence before the first token.
		return fakebedrock.Reply{Chunks: []string{"late"}, FirstTokenDelay: time.Minute}
	})
	resp, data := f.post("/v1/chat/completions", `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	out := string(data)
	if !strings.Contains(out, `"finish_reason":"error"`) || !strings.Contains(out, `"code":"stream_idle_timeout"`) ||
		!strings.Contains(out, "Bedrock sent nothing for 0.3 s") || strings.Contains(out, "[DONE]") || strings.Contains(out, "late") {
		t.Fatalf("the stream does not end with the idle timeout error:\n%s", tail(data))
	}
	// The fake would sleep a minute more if the call were left running;
	// the bound is generous, the behaviour is a timeout.
	deadline := time.Now().Add(20 * time.Second)
	for f.fake.InFlight() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the Bedrock call is still running after the stream ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ts := f.tierStatus("code-fast"); ts.Level != server.LevelWarn || !strings.Contains(ts.Reason, "Bedrock sent nothing") {
		t.Errorf("tier after an idle stream: level %v reason %q; want warn naming the timeout", ts.Level, ts.Reason)
	}
}

// TestMidStreamFailureCountsTowardHealth: a stream that fails after it
// started (its 200 already sent) leaves the tier degraded in the status,
// as a failed non-stream request does, and a good request clears it.
func TestMidStreamFailureCountsTowardHealth(t *testing.T) {
	cases := []struct {
		name  string
		reply fakebedrock.Reply
		want  string // in the tier's reason
	}{
		{"exception after two chunks", fakebedrock.Reply{Chunks: []string{"a ", "b ", "c "}, Exception: "throttlingException", ExceptionAfter: 2}, "throttlingException"},
		{"cut before messageStop", fakebedrock.Reply{Chunks: []string{"a ", "b "}, Truncate: true}, "ended before the answer was complete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return tc.reply })
			resp, data := f.post("/v1/chat/completions", `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
			if resp.StatusCode != 200 || !strings.Contains(string(data), `"finish_reason":"error"`) {
				t.Fatalf("status %d, want a stream that fails mid-way:\n%s", resp.StatusCode, tail(data))
			}
			ts := f.tierStatus("code-fast")
			if ts.Level != server.LevelWarn || !strings.Contains(ts.Reason, tc.want) {
				t.Errorf("tier after a failed stream: level %v reason %q; want warn naming %q", ts.Level, ts.Reason, tc.want)
			}
			if st := f.server.Status(); st.Overall < server.LevelWarn {
				t.Errorf("overall %v after a failed stream; the tray would not show it", st.Overall)
			}
			f.fake.Respond(nil)
			if resp, data := f.post("/v1/chat/completions", `{"model":"code-fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 200 || !strings.HasSuffix(string(data), "[DONE]\n\n") {
				t.Fatalf("good stream: %d\n%s", resp.StatusCode, tail(data))
			}
			if ts := f.tierStatus("code-fast"); ts.Level != server.LevelOK {
				t.Errorf("tier after a good stream: level %v reason %q; want ok", ts.Level, ts.Reason)
			}
		})
	}
}
