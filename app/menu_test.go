package app

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/tiers"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // golden files show local times
	os.Exit(m.Run())
}

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// healthy is a status with every kind of tier and profile, all well.
func healthy() server.Status {
	return server.Status{
		BaseURL:    "http://127.0.0.1:10101/v1",
		ConfigPath: "/home/dev/.config/llmstack/models.ini",
		LlamaSwap:  server.UpstreamHealth{URL: "http://127.0.0.1:10102", Reachable: true},
		Tiers: []server.TierStatus{
			{Name: "code-fast", Role: "fast", Backend: tiers.BackendBedrock, Model: "us.anthropic.claude-haiku-4-5-20251001-v1:0", CurrentModel: "us.anthropic.claude-haiku-4-5-20251001-v1:0", Channel: tiers.ChannelCurrent, Region: "us-east-1", CtxSize: 200000, PromptCache: true,
				Stats:     server.TierStats{Requests: 42, LastLatency: 850 * time.Millisecond, LastStatus: 200, PromptTokens: 1234567, CachedTokens: 1012345, CompletionTokens: 45678},
				TierSpend: server.TierSpend{PriceKnown: true, SpentTodayUSD: 0.42, SpentMonthUSD: 3.1, SavedTodayUSD: 0.65, SavedMonthUSD: 4.2, BudgetUSD: 5}},
			{Name: "code-smart", Role: "agent", Backend: tiers.BackendBedrock, Model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", CurrentModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", NextModel: "us.anthropic.claude-opus-4-5-20251101-v1:0",
				Channel: tiers.ChannelCurrent, Profile: "work", CtxSize: 200000, Stats: server.TierStats{Requests: 7, Errors: 1, LastLatency: 12400 * time.Millisecond, LastStatus: 200, LastError: "tier code-smart: Bedrock ThrottlingException: Too many requests"},
				TierSpend: server.TierSpend{PriceKnown: true, SpentTodayUSD: 0.004}},
			{Name: "plan-uncensored", Role: "plan-uncensored", Backend: tiers.BackendGGUF, Model: "bartowski/Qwen_Qwen3-30B-A3B-GGUF/Qwen_Qwen3-30B-A3B-Q4_K_M.gguf", CurrentModel: "bartowski/Qwen_Qwen3-30B-A3B-GGUF/Qwen_Qwen3-30B-A3B-Q4_K_M.gguf", Channel: tiers.ChannelCurrent, CtxSize: 32768},
		},
		Spend: server.Spend{TodayUSD: 0.424, MonthUSD: 3.1, SavedTodayUSD: 0.65, SavedMonthUSD: 4.2, Days: chartDays()},
		Profiles: []bedrock.ProfileHealth{
			{Profile: "", State: bedrock.ProfileOK, KeyID: "AKIA…MPLE", Region: "us-east-1", Source: "SharedConfigCredentials", Checked: now},
			{Profile: "work", State: bedrock.ProfileOK, KeyID: "ASIA…WXYZ", Region: "eu-west-1", Source: "SSOProvider", Expires: now.Add(3*time.Hour + 20*time.Minute), Checked: now},
		},
	}
}

// chartDays are 30 days of spend up to now's, some without any.
func chartDays() []server.DaySpend {
	var days []server.DaySpend
	for i := server.ChartDays - 1; i >= 0; i-- {
		usd := float64((i*7)%5) * 0.35
		if i == 0 {
			usd = 0.424
		}
		days = append(days, server.DaySpend{Day: time.Date(2026, 11, 25-i, 0, 0, 0, 0, time.UTC), USD: usd})
	}
	return days
}

func TestMenu(t *testing.T) {
	tests := []struct {
		name     string
		status   func() server.Status
		stopping bool
		local    Local
	}{
		{"healthy", healthy, false, Local{HaveAWSCLI: true}},
		{"next-channel", func() server.Status {
			st := healthy()
			st.UseNext = true
			st.Tiers[1].Model, st.Tiers[1].Channel = st.Tiers[1].NextModel, tiers.ChannelNext
			return st
		}, false, Local{}},
		{"problems", func() server.Status {
			st := healthy()
			st.ConfigError = "models.ini [code-smart] backend = \"openai\": unknown backend; use bedrock or gguf\nmodels.ini [plan] aws_model_id: missing"
			st.RestartNeeded = "restart llmstack to serve on 127.0.0.1:10111 as models.ini says (now on 127.0.0.1:10101)"
			st.Profiles[1] = bedrock.ProfileHealth{Profile: "work", State: bedrock.ProfileError, Problem: "the SSO session of profile \"work\" is missing or expired; run `aws sso login --profile work`", Checked: now}
			st.Profiles[0].State, st.Profiles[0].Problem = bedrock.ProfileExpiring, "the credentials of the default chain expire in 9m"
			st.Tiers[0].Level, st.Tiers[0].Reason = server.LevelWarn, st.Profiles[0].Problem
			st.Tiers[1].Level, st.Tiers[1].Reason = server.LevelError, st.Profiles[1].Problem
			st.Tiers[1].Stats.FallbacksTaken, st.Tiers[1].Stats.LastFallback = 3, "code-fast after ThrottlingException"
			st.Tiers[2].Level, st.Tiers[2].Reason = server.LevelError, "llama-swap is not reachable at http://127.0.0.1:10102"
			st.Overall = server.LevelError
			return st
		}, false, Local{}},
		{"not-serving", func() server.Status {
			st := healthy()
			st.BaseURL, st.ListenError = "", "127.0.0.1:10101 is already in use (is llmstack already running?); change router_port in models.ini or pass --addr"
			st.Profiles = []bedrock.ProfileHealth{{Profile: ""}, {Profile: "work"}}
			return st
		}, false, Local{}},
		{"stopping", healthy, true, Local{}},
		{"spend", func() server.Status {
			st := healthy()
			st.Tiers[0].SpentTodayUSD, st.Tiers[0].Budget = 4.1, server.BudgetNear
			st.Tiers[1].TierSpend = server.TierSpend{PriceKnown: true, SpentTodayUSD: 2.31, SpentMonthUSD: 1234.5, SavedTodayUSD: -0.1, BudgetUSD: 2, Budget: server.BudgetReached}
			st.Tiers[1].Level, st.Tiers[1].Reason = server.LevelWarn, "daily budget of $2.00 spent: answering 429 until midnight"
			st.Tiers = append(st.Tiers, server.TierStatus{Name: "llama", Backend: tiers.BackendBedrock, Model: "meta.llama3-3-70b-instruct-v1:0", CurrentModel: "meta.llama3-3-70b-instruct-v1:0",
				Channel: tiers.ChannelCurrent, Region: "us-west-2", TierSpend: server.TierSpend{BudgetUSD: 3}})
			st.Spend = server.Spend{TodayUSD: 6.41, MonthUSD: 1237.6, Problem: "the usage file /home/dev/.config/llmstack/usage.json was corrupt (unexpected end of JSON input); it was set aside as usage.json.corrupt-20261125-120000 and spend is counted from zero"}
			return st
		}, false, Local{}},
		{"over-budget-allowed", func() server.Status {
			st := healthy()
			st.Tiers[1].TierSpend = server.TierSpend{PriceKnown: true, SpentTodayUSD: 2.31, BudgetUSD: 2, Budget: server.BudgetReached, OverBudgetAllowed: true}
			return st
		}, false, Local{}},
		{"no-tiers", func() server.Status {
			return server.Status{BaseURL: "http://127.0.0.1:10101/v1", ConfigPath: "models.ini"}
		}, false, Local{}},
		{"sign-in", signInStatus, false, Local{HaveAWSCLI: true, StartAtLogin: true, SignIns: map[string]SignInState{
			"lab":   {Running: true},
			"admin": {Failed: "Error when retrieving token from sso: Token has expired and refresh failed"},
		}}},
		{"sign-in-no-cli", signInStatus, false, Local{StartAtLoginError: "cannot read ~/.config/autostart/llmstack.desktop: permission denied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			act := allActions(&recorder{})
			act.Local = tt.local
			m := Menu(tt.status(), tt.stopping, now, act)
			golden.Assert(t, "menu/"+tt.name+".txt", []byte(render(m)))
		})
	}
}

// signInStatus has SSO profiles that need a sign-in: one expired, one
// about to, one being signed in, one whose last sign-in failed, and one
// well.
func signInStatus() server.Status {
	st := healthy()
	st.Profiles = append(st.Profiles[:1],
		bedrock.ProfileHealth{Profile: "work", State: bedrock.ProfileError, SSOSession: "corp", SignIn: true, Region: "eu-west-1",
			Problem: "the SSO session of profile \"work\" is missing or expired; run `aws sso login --profile work`", Checked: now},
		bedrock.ProfileHealth{Profile: "ops", State: bedrock.ProfileExpiring, SSOSession: "ops", SignIn: true, KeyID: "ASIA…OPS1", Expires: now.Add(12 * time.Minute), SessionExpires: now.Add(12 * time.Minute),
			Problem: "the SSO session of profile \"ops\" expires in 12 min; sign in again with `aws sso login --profile ops`", Checked: now},
		bedrock.ProfileHealth{Profile: "lab", State: bedrock.ProfileError, SSOSession: "lab", SignIn: true, Problem: "the SSO session of profile \"lab\" is missing or expired; run `aws sso login --profile lab`", Checked: now},
		bedrock.ProfileHealth{Profile: "admin", State: bedrock.ProfileError, SSOSession: "corp-admin", SignIn: true, Problem: "the SSO session of profile \"admin\" is missing or expired; run `aws sso login --profile admin`", Checked: now},
		bedrock.ProfileHealth{Profile: "fine", State: bedrock.ProfileOK, SSOSession: "fine", KeyID: "ASIA…FINE", Expires: now.Add(7 * time.Hour), SessionExpires: now.Add(7 * time.Hour), Checked: now},
	)
	return st
}

// render draws a menu as text: one line per item, submenus indented, with
// [x] for checked and (disabled) for disabled items.
func render(m *fyne.Menu) string {
	var b strings.Builder
	var walk func(items []*fyne.MenuItem, indent string)
	walk = func(items []*fyne.MenuItem, indent string) {
		for _, it := range items {
			switch {
			case it.IsSeparator:
				b.WriteString(indent + "----\n")
				continue
			case it.Checked:
				b.WriteString(indent + "[x] ")
			default:
				b.WriteString(indent)
			}
			b.WriteString(it.Label)
			if it.Disabled {
				b.WriteString("  (disabled)")
			}
			if it.IsQuit {
				b.WriteString("  (quit)")
			}
			b.WriteString("\n")
			if it.ChildMenu != nil {
				walk(it.ChildMenu.Items, indent+"    ")
			}
		}
	}
	walk(m.Items, "")
	return b.String()
}

type recorder struct{ calls []string }

func allActions(r *recorder) Actions {
	rec := func(name string) func() { return func() { r.calls = append(r.calls, name) } }
	return Actions{
		CopyBaseURL:        rec("copy"),
		CopyOpencodeConfig: rec("opencode"),
		AllowOverBudget:    func(tier string, on bool) { r.calls = append(r.calls, fmt.Sprintf("over-budget %s=%v", tier, on)) },
		SetUseNext:         func(on bool) { r.calls = append(r.calls, fmt.Sprintf("next=%v", on)) },
		OpenConfig:         rec("open"),
		ReloadConfig:       rec("reload"),
		RecheckProfiles:    rec("recheck"),
		ShowStatus:         rec("status"),
		Quit:               rec("quit"),
		SignIn:             func(profile string) { r.calls = append(r.calls, "sign-in="+profile) },
		InstallAWSCLI:      rec("install-cli"),
		SetStartAtLogin:    func(on bool) { r.calls = append(r.calls, fmt.Sprintf("start-at-login=%v", on)) },
	}
}

func find(m *fyne.Menu, label string) *fyne.MenuItem {
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

// TestMenuActions clicks every actionable item and checks what it asks for.
func TestMenuActions(t *testing.T) {
	for _, useNext := range []bool{false, true} {
		st := healthy()
		st.UseNext = useNext
		r := &recorder{}
		m := Menu(st, false, now, allActions(r))
		for _, label := range []string{LabelCopyURL, LabelOpencode, LabelUseNext, LabelOpen, LabelReload, LabelRecheck, LabelStatus, LabelQuit} {
			it := find(m, label)
			if it == nil || it.Action == nil || it.Disabled {
				t.Fatalf("no usable %q item", label)
			}
			it.Action()
		}
		want := fmt.Sprintf("copy opencode next=%v open reload recheck status quit", !useNext)
		if got := strings.Join(r.calls, " "); got != want {
			t.Errorf("useNext=%v: actions %q, want %q", useNext, got, want)
		}
		if got := find(m, LabelUseNext).Checked; got != useNext {
			t.Errorf("Use next channel checked = %v, want %v", got, useNext)
		}
	}
	// "Allow over budget today" in the submenu of a tier with a budget
	// only, ticking what is unticked and back.
	st0 := healthy()
	for _, allowed := range []bool{false, true} {
		st0.Tiers[0].OverBudgetAllowed = allowed
		r := &recorder{}
		m := Menu(st0, false, now, allActions(r))
		it := find(m.Items[4].ChildMenu, LabelOverBudget)
		if it == nil || it.Checked != allowed {
			t.Fatalf("code-fast submenu: %q item %+v", LabelOverBudget, it)
		}
		it.Action()
		if want := fmt.Sprintf("over-budget code-fast=%v", !allowed); strings.Join(r.calls, " ") != want {
			t.Errorf("actions %q, want %q", r.calls, want)
		}
		if find(m.Items[5].ChildMenu, LabelOverBudget) != nil {
			t.Error("code-smart, without a budget, offers to go over it")
		}
	}
	// Without a base URL there is nothing to copy.
	st := healthy()
	st.BaseURL = ""
	if find(Menu(st, false, now, allActions(&recorder{})), LabelCopyURL) != nil {
		t.Error("Copy base URL offered while not serving")
	}
}

func TestFormatUSD(t *testing.T) {
	for v, want := range map[float64]string{0: "$0.00", -1: "$0.00", 0.004: "<$0.01", 0.01: "$0.01", 0.425: "$0.43", 3.1: "$3.10", 1234.5: "$1,234.50", 999.999: "$1,000.00"} {
		if got := FormatUSD(v); got != want {
			t.Errorf("FormatUSD(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestMenuSignInAndStartAtLogin clicks the sign-in items and the start at
// login checkbox.
func TestMenuSignInAndStartAtLogin(t *testing.T) {
	for _, tt := range []struct {
		name  string
		local Local
		click []string
		want  string
	}{
		{"sign in", Local{HaveAWSCLI: true}, []string{SignInLabel("work"), SignInLabel("ops"), LabelStartAtLogin}, "sign-in=work sign-in=ops start-at-login=true"},
		{"untick", Local{HaveAWSCLI: true, StartAtLogin: true}, []string{LabelStartAtLogin}, "start-at-login=false"},
		{"no CLI", Local{}, []string{SignInLabel("work") + " needs the AWS CLI: open its install page"}, "install-cli"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			act := allActions(r)
			act.Local = tt.local
			m := Menu(signInStatus(), false, now, act)
			for _, label := range tt.click {
				it := find(m, label)
				if it == nil || it.Action == nil || it.Disabled {
					t.Fatalf("no usable %q item:\n%s", label, render(m))
				}
				it.Action()
			}
			if got := strings.Join(r.calls, " "); got != tt.want {
				t.Errorf("actions %q, want %q", got, tt.want)
			}
			if find(m, SignInLabel("fine")) != nil {
				t.Error("a sign-in is offered for a profile that needs none")
			}
		})
	}
}

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		420 * time.Microsecond: "420 µs", 850 * time.Millisecond: "850 ms", 1240 * time.Millisecond: "1.24 s", 125 * time.Second: "2m5s",
	} {
		if got := FormatLatency(d); got != want {
			t.Errorf("FormatLatency(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWrapAndClip(t *testing.T) {
	long := strings.Repeat("word ", 40)
	for _, l := range wrap(long, 30) {
		if len([]rune(l)) > 30 {
			t.Errorf("wrapped line longer than 30: %q", l)
		}
	}
	if got := clip(strings.Repeat("x", 200)); len([]rune(got)) != maxLabel || !strings.HasSuffix(got, "…") {
		t.Errorf("clip gave %d runes: %q", len([]rune(got)), got)
	}
	if got := clip("first\nsecond"); got != "first" {
		t.Errorf("clip keeps the first line only: %q", got)
	}
}
