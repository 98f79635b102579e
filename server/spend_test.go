package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
	"github.com/llmstack/llmstack/tiers"
)

// spendINI has a priced tier with a daily budget and a free local one.
const spendINI = `[DEFAULT]
llama_swap_url = {{LLAMA}}
daily_budget_usd = 1.40

[haiku]
role = fast
aws_model_id = global.anthropic.claude-haiku-4-5-20251001-v1:0
aws_endpoint_url = {{BEDROCK}}

[unpriced]
role = agent
aws_model_id = meta.llama3-3-70b-instruct-v1:0
aws_endpoint_url = {{BEDROCK}}
`

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type spendFixture struct {
	t         *testing.T
	fake      *fakebedrock.Server
	cfg       *tiers.Config
	usagePath string
	clock     *clock
	srv       *server.Server
	url       string
	notified  atomic.Int64
}

func newSpendFixture(t *testing.T) *spendFixture {
	t.Helper()
	awsFiles(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	f := &spendFixture{t: t, fake: fakebedrock.New(fakebedrock.Options{}), clock: &clock{t: time.Date(2026, 11, 25, 23, 30, 0, 0, time.Local)}}
	// Each answer costs $0.60 at Haiku 4.5's global price ($1 in, $5 out
	// per million tokens).
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "ok", InputTokens: 400_000, OutputTokens: 40_000}
	})
	bedrockSrv := httptest.NewServer(f.fake)
	t.Cleanup(bedrockSrv.Close)
	llama := newFakeLlamaSwap(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "models.ini")
	write(t, path, strings.NewReplacer("{{BEDROCK}}", bedrockSrv.URL, "{{LLAMA}}", llama.URL).Replace(spendINI))
	cfg, err := tiers.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f.cfg, f.usagePath = cfg, filepath.Join(dir, "state", server.UsageFileName)
	f.start()
	return f
}

// start (re)starts the router on the same usage file: a restart, which
// saves the usage of the router before.
func (f *spendFixture) start() {
	if f.srv != nil {
		f.srv.FlushUsage()
	}
	f.srv = server.New(f.cfg, server.Options{UsagePath: f.usagePath, Clock: f.clock.now})
	// Saved before the test's folder goes, so no batched save comes after.
	f.t.Cleanup(f.srv.FlushUsage)
	f.srv.OnChange(func() { f.notified.Add(1) })
	ts := httptest.NewServer(f.srv)
	f.t.Cleanup(ts.Close)
	f.url = ts.URL
}

func (f *spendFixture) ask(model string) (*http.Response, map[string]any) {
	f.t.Helper()
	resp, err := http.Post(f.url+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		f.t.Fatal(err)
	}
	return resp, body
}

func (f *spendFixture) tier(name string) server.TierStatus {
	f.t.Helper()
	for _, ts := range f.srv.Status().Tiers {
		if ts.Name == name {
			return ts
		}
	}
	f.t.Fatalf("no tier %s", name)
	return server.TierStatus{}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestDailyBudget(t *testing.T) {
	f := newSpendFixture(t)

	steps := []struct {
		status int
		spent  float64
		state  server.BudgetState
		notify bool // the step raises the budget state
	}{
		{200, 0.60, server.BudgetNone, false},
		{200, 1.20, server.BudgetNear, true},    // 86 %
		{200, 1.80, server.BudgetReached, true}, // spent: the next one is refused
		{429, 1.80, server.BudgetReached, false},
	}
	for i, st := range steps {
		before := f.notified.Load()
		resp, body := f.ask("haiku")
		if resp.StatusCode != st.status {
			t.Fatalf("request %d: status %d, want %d: %v", i+1, resp.StatusCode, st.status, body)
		}
		ts := f.tier("haiku")
		if !near(ts.SpentTodayUSD, st.spent) || ts.Budget != st.state || ts.BudgetUSD != 1.40 {
			t.Errorf("request %d: spent %v, state %v, budget %v; want %v, %v, 1.40", i+1, ts.SpentTodayUSD, ts.Budget, ts.BudgetUSD, st.spent, st.state)
		}
		if raised := f.notified.Load() > before; raised != st.notify {
			t.Errorf("request %d: subscribers notified = %v, want %v", i+1, raised, st.notify)
		}
		if st.status == 429 {
			msg := body["error"].(map[string]any)["message"].(string)
			for _, want := range []string{"tier haiku", "$1.80 of $1.40", "daily_budget_usd", "local midnight", "Thu Nov 26 00:00", "Allow over budget today"} {
				if !strings.Contains(msg, want) {
					t.Errorf("429 message %q does not say %q", msg, want)
				}
			}
			if got := resp.Header.Get("Retry-After"); got != "1801" {
				t.Errorf("Retry-After = %q, want 1801 (seconds to midnight)", got)
			}
			if got := resp.Header.Get(server.RouteHeader); !strings.HasPrefix(got, "haiku;") {
				t.Errorf("route header = %q", got)
			}
			if ts.Level != server.LevelWarn || !strings.Contains(ts.Reason, "daily budget") {
				t.Errorf("tier level %v %q, want warn about the budget", ts.Level, ts.Reason)
			}
		}
	}

	// Allowed over budget: served again, and still after a restart.
	if err := f.srv.AllowOverBudget("haiku", true); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.AllowOverBudget("fast", true); err == nil {
		t.Error("AllowOverBudget took an alias-less unknown tier name")
	}
	f.start()
	if !f.tier("haiku").OverBudgetAllowed {
		t.Error("the leave to go over budget did not survive a restart")
	}
	if resp, body := f.ask("haiku"); resp.StatusCode != 200 {
		t.Fatalf("allowed over budget: status %d: %v", resp.StatusCode, body)
	}
	if err := f.srv.AllowOverBudget("haiku", false); err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.ask("haiku"); resp.StatusCode != 429 {
		t.Fatalf("leave withdrawn: status %d, want 429", resp.StatusCode)
	}
	if err := f.srv.AllowOverBudget("haiku", true); err != nil {
		t.Fatal(err)
	}

	// Local midnight: a new day, a new budget, and the leave is gone.
	f.clock.set(time.Date(2026, 11, 26, 0, 0, 1, 0, time.Local))
	ts := f.tier("haiku")
	if ts.SpentTodayUSD != 0 || ts.Budget != server.BudgetNone || ts.OverBudgetAllowed || !near(ts.SpentMonthUSD, 2.40) {
		t.Errorf("after midnight: %+v; want nothing spent today, $2.40 this month, no leave", ts.TierSpend)
	}
	if resp, body := f.ask("haiku"); resp.StatusCode != 200 {
		t.Fatalf("after midnight: status %d: %v", resp.StatusCode, body)
	}
	st := f.srv.Status().Spend
	if len(st.Days) != server.ChartDays || !near(st.Days[len(st.Days)-1].USD, 0.60) || !near(st.Days[len(st.Days)-2].USD, 2.40) {
		t.Errorf("chart days: %d, last two %+v", len(st.Days), st.Days[len(st.Days)-2:])
	}
	if !near(st.TodayUSD, 0.60) || !near(st.MonthUSD, 3.00) || st.Problem != "" {
		t.Errorf("spend today %v, month %v, problem %q; want 0.60, 3.00, none", st.TodayUSD, st.MonthUSD, st.Problem)
	}

	// A model without a price spends no dollars and is never held back.
	for range 3 {
		if resp, _ := f.ask("unpriced"); resp.StatusCode != 200 {
			t.Fatalf("unpriced tier: status %d", resp.StatusCode)
		}
	}
	if u := f.tier("unpriced"); u.PriceKnown || u.SpentTodayUSD != 0 || u.Stats.PromptTokens == 0 {
		t.Errorf("unpriced tier: %+v, stats %+v", u.TierSpend, u.Stats)
	}
}

// TestSpendConcurrent records requests from many goroutines at once (run
// with -race) and checks that none is lost, in memory or in the file.
func TestSpendConcurrent(t *testing.T) {
	f := newSpendFixture(t)
	f.clock.set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.Local))
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "ok", InputTokens: 1000, OutputTokens: 100} // $0.0015
	})
	const n = 40
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := http.Post(f.url+"/v1/chat/completions", "application/json",
				strings.NewReader(`{"model":"haiku","messages":[{"role":"user","content":"hi"}]}`))
			if err == nil {
				resp.Body.Close()
			}
			_ = f.srv.Status()
		})
	}
	wg.Wait()
	want := n * 0.0015
	if got := f.tier("haiku").SpentTodayUSD; !near(got, want) {
		t.Errorf("spent %v after %d requests, want %v", got, n, want)
	}
	f.start()
	if got := f.tier("haiku").SpentTodayUSD; !near(got, want) {
		t.Errorf("after restart: spent %v, want %v", got, want)
	}
}

// TestDailyBudgetMessages: Claude Code's route is held to the daily budget
// too, with an Anthropic error and the same Retry-After.
func TestDailyBudgetMessages(t *testing.T) {
	f := newSpendFixture(t)
	for i, want := range []int{200, 200, 200, 429} {
		resp, err := http.Post(f.url+"/v1/messages", "application/json",
			strings.NewReader(`{"model":"haiku","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d: %v", i+1, resp.StatusCode, want, body)
		}
		if want != 429 {
			continue
		}
		e, _ := body["error"].(map[string]any)
		if body["type"] != "error" || e["type"] != "rate_limit_error" || !strings.Contains(fmt.Sprint(e["message"]), "daily_budget_usd") {
			t.Errorf("429 body %v, want an Anthropic rate_limit_error naming the budget", body)
		}
		if got := resp.Header.Get("Retry-After"); got != "1801" {
			t.Errorf("Retry-After = %q, want 1801", got)
		}
	}
}

// cacheINI has a Claude tier (Messages requests go over InvokeModel) and a
// Nova one (Messages requests go through Converse).
const cacheINI = `[DEFAULT]
llama_swap_url = {{LLAMA}}

[sonnet]
role = agent
aws_model_id = global.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_endpoint_url = {{BEDROCK}}

[nova]
role = fast
aws_model_id = us.amazon.nova-pro-v1:0
aws_endpoint_url = {{BEDROCK}}
`

// TestCacheWritesPriced checks that an answer's cache writes, five-minute
// and one-hour apart, are priced at their own rates however the answer was
// asked for: OpenAI or Messages, streamed or not, through Converse or
// InvokeModel. The usage file counts the written tokens too.
func TestCacheWritesPriced(t *testing.T) {
	// Sonnet 4.5, global: $3 input, $3.75 5m write, $6 1h write, $0.30
	// read, $15 output per million tokens.
	const want = (100_000*3 + 200_000*0.30 + 200_000*3.75 + 100_000*6 + 10_000*15) / 1e6
	reply := fakebedrock.Reply{Text: "ok", InputTokens: 100_000, CacheReadTokens: 200_000, CacheWriteTokens: 300_000, CacheWrite1hTokens: 100_000, OutputTokens: 10_000}
	tests := []struct {
		name, path, body string
	}{
		{"chat", "/v1/chat/completions", `{"model":"sonnet","messages":[{"role":"user","content":"hi"}]}`},
		{"chat stream", "/v1/chat/completions", `{"model":"sonnet","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"messages", "/v1/messages", `{"model":"sonnet","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`},
		{"messages stream", "/v1/messages", `{"model":"sonnet","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureINI(t, fakebedrock.Options{}, cacheINI)
			f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply { return reply })
			if resp, out := f.post(tt.path, tt.body); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, out)
			}
			ts := f.tierStatus("sonnet")
			if !near(ts.SpentTodayUSD, want) {
				t.Errorf("spent $%.6f, want $%.6f", ts.SpentTodayUSD, want)
			}
			if ts.Stats.PromptTokens != 600_000 || ts.Stats.CachedTokens != 200_000 {
				t.Errorf("prompt tokens %d, cached %d; want 600000, 200000", ts.Stats.PromptTokens, ts.Stats.CachedTokens)
			}
		})
	}
}

// TestMessagesConverseCacheUsage checks that a Messages answer served
// through Converse reports the tokens written to the cache in
// cache_creation_input_tokens, and input_tokens without them, as Anthropic
// does.
func TestMessagesConverseCacheUsage(t *testing.T) {
	f := newFixtureINI(t, fakebedrock.Options{}, cacheINI)
	f.fake.Respond(func(fakebedrock.Request) fakebedrock.Reply {
		return fakebedrock.Reply{Text: "ok", InputTokens: 7, CacheReadTokens: 50, CacheWriteTokens: 30, OutputTokens: 2}
	})
	want := map[string]int{"input_tokens": 7, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 30, "output_tokens": 2}
	for _, stream := range []bool{false, true} {
		body := fmt.Sprintf(`{"model":"nova","max_tokens":100,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
		resp, out := f.post("/v1/messages", body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %v: status %d: %s", stream, resp.StatusCode, out)
		}
		var usage map[string]int
		if !stream {
			var m struct {
				Usage map[string]int `json:"usage"`
			}
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			usage = m.Usage
		} else {
			for _, line := range strings.Split(string(out), "\n") {
				data, ok := strings.CutPrefix(line, "data: ")
				if !ok || !strings.Contains(data, `"message_delta"`) {
					continue
				}
				var d struct {
					Usage map[string]int `json:"usage"`
				}
				if err := json.Unmarshal([]byte(data), &d); err != nil {
					t.Fatal(err)
				}
				usage = d.Usage
			}
		}
		for k, v := range want {
			if usage[k] != v {
				t.Errorf("stream %v: usage %v; want %s %d", stream, usage, k, v)
			}
		}
	}
}

// TestUsageSavedAtShutdown: the counts of the last answers before a
// shutdown are in the usage file once Serve returns, batch or not.
func TestUsageSavedAtShutdown(t *testing.T) {
	f := newSpendFixture(t)
	srv := server.New(f.cfg, server.Options{UsagePath: f.usagePath, Clock: f.clock.now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	resp, err := http.Post("http://"+ln.Addr().String()+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"haiku","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.usagePath)
	if err != nil {
		t.Fatalf("no usage file after shutdown: %v", err)
	}
	if !strings.Contains(string(raw), `"usd": 0.6`) {
		t.Errorf("usage file after shutdown:\n%s", raw)
	}
}
