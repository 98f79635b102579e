package server

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

var defaultRouting = tiers.Routing{MultiTurn: tiers.DefaultMultiTurn, FastTokenBudget: tiers.DefaultFastTokenBudget}

func userTurns(n int, text string) string {
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, `{"role":"user","content":`+jsonString(text)+`}`, `{"role":"assistant","content":"ok"}`)
	}
	return `{"messages":[` + strings.Join(parts[:len(parts)-1], ",") + `]}`
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func oneUser(text string) string {
	return `{"messages":[{"role":"user","content":` + jsonString(text) + `}]}`
}

// classifyCases: a request, the routing thresholds, and the route. The
// route is also written, with its input, to testdata/classify/<name>.json.
var classifyCases = []struct {
	name       string
	ep         openai.Endpoint
	body       string
	routing    *tiers.Routing // nil: the defaults (10 turns, 4000 tokens)
	wantRole   string
	wantReason string
}{
	// 7. default
	{name: "default-fast", body: oneUser("What is the capital of France?"), wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "no-user-message", body: `{"messages":[{"role":"system","content":"You are helpful."}]}`, wantRole: tiers.RoleFast, wantReason: "default"},

	// 1. uncensored triggers
	{name: "uncensored-tag", body: oneUser("[nofilter] tell me a dark joke"), wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},
	{name: "uncensored-tag-any-case", body: oneUser("Please answer [UnCensored] honestly"), wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},
	{name: "uncensored-line", body: oneUser("Some context.\n  uncensored: what do you really think?"), wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},
	{name: "uncensored-line-tab", body: oneUser("\tNOFILTER: go"), wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},
	{name: "uncensored-word-mid-line", body: oneUser("is this model uncensored: yes or no"), wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "uncensored-without-brackets", body: oneUser("nofilter please"), wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "uncensored-in-system", body: `{"messages":[{"role":"system","content":"[nofilter]"},{"role":"user","content":"hi"}]}`,
		wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger in messages[0]"},
	{name: "uncensored-in-developer", body: `{"messages":[{"role":"user","content":"hi"},{"role":"developer","content":[{"type":"text","text":"rules"},{"type":"text","text":"uncensored: on"}]}]}`,
		wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger in messages[1]"},
	{name: "uncensored-in-earlier-user-ignored", body: `{"messages":[{"role":"user","content":"[nofilter] a"},{"role":"assistant","content":"b"},{"role":"user","content":"what is 2+2"}]}`,
		wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "uncensored-in-assistant-ignored", body: `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"[nofilter]"}]}`,
		wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "uncensored-beats-tools", body: `{"messages":[{"role":"user","content":"[uncensored] refactor this"}],"tools":[{"type":"function","function":{"name":"f"}}]}`,
		wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},
	{name: "uncensored-last-user-before-tool", body: `{"messages":[{"role":"user","content":"[nofilter] go"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}]}`,
		wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},

	// 2. tools
	{name: "tools", body: `{"messages":[{"role":"user","content":"What is the weather?"}],"tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}]}`,
		wantRole: tiers.RoleAgent, wantReason: "tools (2 declared)"},
	{name: "tools-empty-list", body: `{"messages":[{"role":"user","content":"hi"}],"tools":[]}`, wantRole: tiers.RoleFast, wantReason: "default"},

	// 3. multi-turn
	{name: "multi-turn", body: userTurns(10, "hi"), wantRole: tiers.RoleAgent, wantReason: "multi-turn (10 user turns)"},
	{name: "multi-turn-below", body: userTurns(9, "hi"), wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "multi-turn-custom", body: userTurns(3, "hi"), routing: &tiers.Routing{MultiTurn: 3, FastTokenBudget: 4000},
		wantRole: tiers.RoleAgent, wantReason: "multi-turn (3 user turns)"},
	{name: "multi-turn-disabled", body: userTurns(50, "hi"), routing: &tiers.Routing{MultiTurn: 0, FastTokenBudget: 4000},
		wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "multi-turn-counts-only-user", body: `{"messages":[{"role":"user","content":"a"},{"role":"tool","tool_call_id":"x","content":"r"},{"role":"tool","tool_call_id":"y","content":"r"}]}`,
		routing: &tiers.Routing{MultiTurn: 2, FastTokenBudget: 4000}, wantRole: tiers.RoleFast, wantReason: "default"},

	// 4. token budget (characters / 4)
	{name: "token-budget-over", body: oneUser(strings.Repeat("a", 44)), routing: &tiers.Routing{MultiTurn: 10, FastTokenBudget: 10},
		wantRole: tiers.RoleAgent, wantReason: "token-budget (~11 tokens)"},
	{name: "token-budget-at-limit", body: oneUser(strings.Repeat("a", 43)), routing: &tiers.Routing{MultiTurn: 10, FastTokenBudget: 10},
		wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "token-budget-counts-all-messages", body: `{"messages":[{"role":"system","content":"` + strings.Repeat("s", 20) + `"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"k":"` + strings.Repeat("t", 10) + `"}}}]},{"role":"user","content":"` + strings.Repeat("u", 10) + `"}]}`,
		routing: &tiers.Routing{MultiTurn: 10, FastTokenBudget: 10}, wantRole: tiers.RoleAgent, wantReason: "token-budget (~12 tokens)"},
	{name: "token-budget-default", body: oneUser(strings.Repeat("word ", 3201)), wantRole: tiers.RoleAgent, wantReason: "token-budget (~4001 tokens)"},
	{name: "token-budget-disabled", body: oneUser(strings.Repeat("word ", 5000)), routing: &tiers.Routing{MultiTurn: 10},
		wantRole: tiers.RoleFast, wantReason: "default"},
	// 30 characters of Japanese are ~7 tokens by the characters/4 rule,
	// under a budget of 10: fast. (They are 90 bytes.)
	{name: "token-budget-counts-characters", body: oneUser(strings.Repeat("日本語", 10)), routing: &tiers.Routing{MultiTurn: 10, FastTokenBudget: 10},
		wantRole: tiers.RoleFast, wantReason: "default"},

	// 5. code fences and agent verbs
	{name: "code-fence", body: oneUser("Why does this fail?\n```go\nfmt.Println(x)\n```"), wantRole: tiers.RoleAgent, wantReason: "code-block"},
	{name: "code-fence-indented", body: oneUser("look:\n   ```\nx\n   ```"), wantRole: tiers.RoleAgent, wantReason: "code-block"},
	{name: "code-fence-first-line", body: oneUser("```python\nprint(1)\n```"), wantRole: tiers.RoleAgent, wantReason: "code-block"},
	{name: "backticks-mid-line", body: oneUser("what does ```x``` mean in markdown?"), wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "agent-verb-refactor", body: oneUser("Please Refactor the parser module"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "refactor"`},
	{name: "agent-verb-fix-the-bug", body: oneUser("Can you fix this bug for me?"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "fix this bug"`},
	{name: "agent-verb-fix-the", body: oneUser("fix the login page"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "fix the"`},
	{name: "agent-verb-write-function", body: oneUser("Write a function that reverses a list"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "write a function"`},
	{name: "agent-verb-add-unit-tests", body: oneUser("add unit tests for the cache"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "add unit tests"`},
	{name: "agent-verb-stacktrace", body: oneUser("I got this Stacktrace, what now"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "stacktrace"`},
	{name: "agent-verb-stack-trace", body: oneUser("here is the stack trace"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "stack trace"`},
	{name: "agent-verb-word-boundary", body: oneUser("prefix the names and undebuggable code"), wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "agent-verb-content-parts", body: `{"messages":[{"role":"user","content":[{"type":"text","text":"hello"},{"type":"text","text":"please debug it"}]}]}`,
		wantRole: tiers.RoleAgent, wantReason: `agent-verb "debug"`},
	{name: "agent-beats-plan", body: oneUser("Design and implement an LRU cache"), wantRole: tiers.RoleAgent, wantReason: `agent-verb "implement"`},
	{name: "code-in-earlier-user-ignored", body: `{"messages":[{"role":"user","content":"refactor this"},{"role":"assistant","content":"done"},{"role":"user","content":"thanks, what is 2+2"}]}`,
		wantRole: tiers.RoleFast, wantReason: "default"},

	// 6. planning words
	{name: "plan-word-tradeoffs", body: oneUser("What are the trade-offs between Postgres and MySQL?"), wantRole: tiers.RolePlan, wantReason: `plan-word "trade-offs"`},
	{name: "plan-word-should-i", body: oneUser("Should I learn Rust or Go?"), wantRole: tiers.RolePlan, wantReason: `plan-word "should i"`},
	{name: "plan-word-pros-cons", body: oneUser("pros and cons of remote work"), wantRole: tiers.RolePlan, wantReason: `plan-word "pros and cons"`},
	{name: "plan-word-boundary", body: oneUser("Which planet is largest?"), wantRole: tiers.RoleFast, wantReason: "default"},

	// /v1/completions: the prompt is the last (and only) user message.
	{name: "completions-default", ep: openai.Completions, body: `{"prompt":"Once upon a time"}`, wantRole: tiers.RoleFast, wantReason: "default"},
	{name: "completions-agent-verb", ep: openai.Completions, body: `{"prompt":"// refactor:\nfunc f() {}"}`, wantRole: tiers.RoleAgent, wantReason: `agent-verb "refactor"`},
	{name: "completions-uncensored", ep: openai.Completions, body: `{"prompt":["a","nofilter: b"]}`, wantRole: tiers.RolePlanUncensored, wantReason: "uncensored-trigger"},
	{name: "completions-token-budget", ep: openai.Completions, body: `{"prompt":"` + strings.Repeat("x", 48) + `"}`, routing: &tiers.Routing{MultiTurn: 10, FastTokenBudget: 10},
		wantRole: tiers.RoleAgent, wantReason: "token-budget (~12 tokens)"},
	// The prompt is what /v1/completions answers, even when the body
	// also carries a (meaningless there) messages field.
	{name: "completions-prompt-with-messages-field", ep: openai.Completions, body: `{"prompt":"refactor this function","messages":[]}`,
		wantRole: tiers.RoleAgent, wantReason: `agent-verb "refactor"`},
	{name: "completions-one-turn", ep: openai.Completions, body: `{"prompt":"hi"}`, routing: &tiers.Routing{MultiTurn: 1, FastTokenBudget: 10},
		wantRole: tiers.RoleAgent, wantReason: "multi-turn (1 user turns)"},
}

func TestClassify(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range classifyCases {
		if names[tc.name] {
			t.Fatalf("duplicate case %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			req, oerr := openai.DecodeRequest([]byte(tc.body), tc.ep)
			if oerr != nil {
				t.Fatalf("DecodeRequest: %s", oerr.Message)
			}
			routing := defaultRouting
			if tc.routing != nil {
				routing = *tc.routing
			}
			got := Classify(req, routing)
			if got.Role != tc.wantRole || got.Reason != tc.wantReason {
				t.Errorf("Classify = %s (%s), want %s (%s)", got.Role, got.Reason, tc.wantRole, tc.wantReason)
			}
			endpoint := "/v1/chat/completions"
			if tc.ep == openai.Completions {
				endpoint = "/v1/completions"
			}
			golden.AssertJSON(t, "classify/"+tc.name+".json", map[string]any{
				"endpoint": endpoint,
				"routing":  map[string]int{"multi_turn": routing.MultiTurn, "fast_token_budget": routing.FastTokenBudget},
				"request":  summarize(req, tc.ep),
				"route":    map[string]string{"role": got.Role, "reason": got.Reason},
			})
		})
	}
	files, _ := filepath.Glob("testdata/classify/*.json")
	for _, f := range files {
		if n := strings.TrimSuffix(filepath.Base(f), ".json"); !names[n] {
			t.Errorf("%s belongs to no test case; delete it", f)
		}
	}
}

// summarize is the request as the golden files show it: roles, texts
// (long ones cut after 40 characters, with their length) and counts.
func summarize(req *openai.ChatRequest, ep openai.Endpoint) any {
	short := func(s string) string {
		r := []rune(s)
		if len(r) <= 80 {
			return s
		}
		return string(r[:40]) + "…(" + itoa(len(r)) + " characters)"
	}
	type msg struct {
		Role      string `json:"role"`
		Text      string `json:"text,omitempty"`
		ToolCalls int    `json:"tool_calls,omitempty"`
	}
	out := map[string]any{}
	if ep == openai.Completions {
		out["prompt"] = short(req.Prompt.Text)
	}
	var ms []msg
	for _, m := range req.Messages {
		ms = append(ms, msg{Role: m.Role, Text: short(m.Content.Text()), ToolCalls: len(m.ToolCalls)})
	}
	if ms != nil {
		out["messages"] = ms
	}
	if len(req.Tools) > 0 {
		out["tools"] = len(req.Tools)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestTierForRole(t *testing.T) {
	fast := &tiers.Tier{Name: "fast-tier", Role: tiers.RoleFast}
	agent := &tiers.Tier{Name: "agent-tier", Role: tiers.RoleAgent}
	agent2 := &tiers.Tier{Name: "agent-tier-2", Role: tiers.RoleAgent}
	plan := &tiers.Tier{Name: "plan-tier", Role: tiers.RolePlan}
	other := &tiers.Tier{Name: "other", Role: "custom"}
	cases := []struct {
		name  string
		tiers []*tiers.Tier
		role  string
		want  *tiers.Tier
	}{
		{"exact role", []*tiers.Tier{fast, agent, plan}, tiers.RolePlan, plan},
		{"first of a role", []*tiers.Tier{fast, agent, agent2}, tiers.RoleAgent, agent},
		{"missing role falls back to agent", []*tiers.Tier{fast, plan, agent}, tiers.RolePlanUncensored, agent},
		{"no agent falls back to first tier", []*tiers.Tier{other, fast}, tiers.RolePlan, other},
		{"no tiers", nil, tiers.RoleFast, nil},
		{"empty role", []*tiers.Tier{fast, agent}, "", agent},
	}
	for _, tc := range cases {
		got := TierForRole(&tiers.Config{Tiers: tc.tiers}, tc.role)
		if got != tc.want {
			name := func(t *tiers.Tier) string {
				if t == nil {
					return "<nil>"
				}
				return t.Name
			}
			t.Errorf("%s: TierForRole(%q) = %s, want %s", tc.name, tc.role, name(got), name(tc.want))
		}
	}
}
