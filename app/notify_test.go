package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
)

// TestNotifier feeds the notifier a sequence of snapshots and checks what
// it tells the desktop: each condition once when it starts to hold, a
// recovery once it stops, and nothing more while a state flaps.
func TestNotifier(t *testing.T) {
	expiredWork := func(st *server.Status) {
		st.Profiles[1] = bedrock.ProfileHealth{Profile: "work", State: bedrock.ProfileError, SSOSession: "corp", SignIn: true,
			Problem: "the SSO session of profile \"work\" is missing or expired; run `aws sso login --profile work`"}
	}
	expiringWork := func(st *server.Status) {
		st.Profiles[1].State, st.Profiles[1].SignIn, st.Profiles[1].SSOSession = bedrock.ProfileExpiring, true, "corp"
		st.Profiles[1].SessionExpires = now.Add(12 * time.Minute)
		st.Profiles[1].Problem = "the SSO session of profile \"work\" expires in 12 min; sign in again with `aws sso login --profile work`"
	}
	failing := func(n int64) func(st *server.Status) {
		return func(st *server.Status) {
			st.Tiers[1].Stats.FailuresInARow = n
			st.Tiers[1].Stats.LastError = "tier code-smart: Bedrock ThrottlingException: Too many requests"
		}
	}
	brokenConfig := func(st *server.Status) {
		st.ConfigError = "/home/dev/.config/llmstack/models.ini [broken] backend = \"openai\": unknown backend; use bedrock or gguf\nmodels.ini [plan] aws_model_id: missing"
	}
	type step struct {
		after  time.Duration // since the first snapshot
		change []func(*server.Status)
		want   []string // "title: body"
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"healthy says nothing", []step{{0, nil, nil}, {time.Minute, nil, nil}}},
		{"SSO expiring, then expired", []step{
			{0, nil, nil},
			{time.Minute, []func(*server.Status){expiringWork}, []string{`AWS sign-in for work ends soon: The SSO session of profile "work" expires in 11 min. Choose "Sign in to work…" in the llmstack menu.`}},
			{2 * time.Minute, []func(*server.Status){expiringWork}, nil},
			{13 * time.Minute, []func(*server.Status){expiredWork}, []string{`AWS sign-in needed for work: The SSO session of profile "work" is missing or expired. Choose "Sign in to work…" in the llmstack menu.`}},
			{14 * time.Minute, nil, nil},
		}},
		{"models.ini does not parse", []step{
			{0, nil, nil},
			{time.Second, []func(*server.Status){brokenConfig}, []string{`models.ini not applied: /home/dev/.config/llmstack/models.ini [broken] backend = "openai": unknown backend; use bedrock or gguf. The last good version keeps serving.`}},
			{2 * time.Second, []func(*server.Status){brokenConfig}, nil},
			{3 * time.Second, nil, nil},
			// A second broken save soon after is not news.
			{4 * time.Second, []func(*server.Status){brokenConfig}, nil},
			{20 * time.Minute, nil, nil},
			{21 * time.Minute, []func(*server.Status){brokenConfig}, []string{`models.ini not applied: /home/dev/.config/llmstack/models.ini [broken] backend = "openai": unknown backend; use bedrock or gguf. The last good version keeps serving.`}},
		}},
		{"tier failing and recovering, flapping", []step{
			{0, nil, nil},
			{time.Second, []func(*server.Status){failing(2)}, nil},
			{2 * time.Second, []func(*server.Status){failing(3)}, []string{"code-smart is failing: 3 requests in a row failed; the last: tier code-smart: Bedrock ThrottlingException: Too many requests"}},
			{3 * time.Second, []func(*server.Status){failing(9)}, nil},
			{4 * time.Second, nil, []string{"code-smart recovered: Requests to code-smart succeed again."}},
			{5 * time.Second, []func(*server.Status){failing(3)}, nil},
			{6 * time.Second, nil, nil},
			{7 * time.Second, []func(*server.Status){failing(3)}, nil},
			// Still failing once the quiet time is over: said again.
			{11 * time.Minute, []func(*server.Status){failing(40)}, []string{"code-smart is failing: 40 requests in a row failed; the last: tier code-smart: Bedrock ThrottlingException: Too many requests"}},
		}},
		{"stopping says nothing", []step{{0, []func(*server.Status){brokenConfig, failing(5)}, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNotifier()
			for i, s := range tt.steps {
				st := healthy()
				for _, c := range s.change {
					c(&st)
				}
				var got []string
				for _, nt := range n.observe(st, tt.name == "stopping says nothing", now.Add(s.after)) {
					got = append(got, nt.Title+": "+nt.Body)
				}
				if fmt.Sprint(got) != fmt.Sprint(s.want) {
					t.Errorf("step %d (%v): notified\n\t%s\nwant\n\t%s", i, s.after, strings.Join(got, "\n\t"), strings.Join(s.want, "\n\t"))
				}
			}
		})
	}
}

// TestBudgetConditionsHook keeps the hook the spend status feeds in the
// list the notifier runs.
func TestBudgetConditions(t *testing.T) {
	n := newNotifier()
	st := healthy()
	st.Tiers[0].TierSpend = server.TierSpend{PriceKnown: true, BudgetUSD: 10, SpentTodayUSD: 5}
	if got := n.observe(st, false, now); len(got) != 0 {
		t.Errorf("notified under 80%%: %+v", got)
	}
	st.Tiers[0].SpentTodayUSD, st.Tiers[0].Budget = 8.2, server.BudgetNear
	got := n.observe(st, false, now)
	if len(got) != 1 || got[0].Title != st.Tiers[0].Name+" has used 80% of its daily budget" || !strings.Contains(got[0].Body, "$8.20 of its $10.00") {
		t.Errorf("at 80%%: %+v", got)
	}
	st.Tiers[0].SpentTodayUSD, st.Tiers[0].Budget = 10.5, server.BudgetReached
	got = n.observe(st, false, now.Add(time.Minute))
	if len(got) != 1 || got[0].Title != st.Tiers[0].Name+" has spent its daily budget" || !strings.Contains(got[0].Body, LabelOverBudget) {
		t.Errorf("at 100%%: %+v", got)
	}
	if got := n.observe(st, false, now.Add(2*time.Minute)); len(got) != 0 {
		t.Errorf("told again: %+v", got)
	}
	// The next day's crossing is told again.
	if got := n.observe(st, false, now.Add(24*time.Hour)); len(got) != 2 {
		t.Errorf("the next day: %+v", got)
	}
}
