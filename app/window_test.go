package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
)

func TestTierAndProfileRows(t *testing.T) {
	st := healthy()
	st.Profiles[1] = bedrock.ProfileHealth{Profile: "work", State: bedrock.ProfileError, SSOSession: "corp", SignIn: true, Problem: "the SSO session of profile \"work\" is missing or expired; run `aws sso login --profile work`"}
	st.Tiers[1].Level, st.Tiers[1].Reason = server.LevelError, st.Profiles[1].Problem
	golden.AssertJSON(t, "window/rows.json", map[string]any{"tiers": TierRows(st), "profiles": ProfileRows(st, Local{HaveAWSCLI: true}, now)})
	sign := ProfileRows(signInStatus(), Local{HaveAWSCLI: true, SignIns: map[string]SignInState{"lab": {Running: true}, "admin": {Failed: "Token has expired"}}}, now)
	golden.AssertJSON(t, "window/rows-sign-in.json", sign)
}

// TestStatusWindow renders the status window with the Fyne test driver and
// compares its markup with the golden file.
func TestStatusWindow(t *testing.T) {
	test.NewTempApp(t)
	for _, tt := range []struct {
		name   string
		status func() server.Status
		local  Local
		logs   []string
	}{
		{"healthy", healthy, Local{HaveAWSCLI: true}, []string{`time=2026-11-25T12:00:00Z level=INFO msg=serving url=http://127.0.0.1:10101/v1`}},
		{"config-error", func() server.Status {
			st := healthy()
			st.ConfigError = `models.ini [plan] aws_model_id: missing: a bedrock tier needs the Bedrock model id or inference profile it serves`
			st.UseNext = true
			return st
		}, Local{}, nil},
		{"sign-in", signInStatus, Local{HaveAWSCLI: true, SignIns: map[string]SignInState{"lab": {Running: true}}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := &recorder{}
			rec := func(name string) func() { return func() { calls.calls = append(calls.calls, name) } }
			v := newStatusView(windowActions{Recheck: rec("recheck"), Verify: rec("verify"), Reload: rec("reload"), Open: rec("open"), Copy: rec("copy"),
				SignIn: func(p string) { calls.calls = append(calls.calls, "sign-in="+p) }, SetUseNext: func(bool) {}})
			w := test.NewWindow(v.content)
			defer w.Close()
			w.Resize(fyne.NewSize(1100, 700))
			v.update(tt.status(), tt.local, tt.logs, false, now)
			test.AssertRendersToMarkup(t, "window/"+tt.name+".xml", w.Canvas())
		})
	}
}

func TestSpendBars(t *testing.T) {
	day := func(d int, usd float64) server.DaySpend {
		return server.DaySpend{Day: time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC), USD: usd}
	}
	days := []server.DaySpend{day(23, 0), day(24, 2), day(25, 0.5)}
	got := SpendBars(days)
	want := []SpendBar{{"Nov 23", 0, 0}, {"Nov 24", 2, 1}, {"Nov 25", 0.5, 0.25}}
	if len(got) != len(want) {
		t.Fatalf("bars %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if c := ChartCaption(days); c != "Spend, last 3 days: $2.50 (estimated) · dearest day Nov 24, $2.00" {
		t.Errorf("caption %q", c)
	}
	if c := ChartCaption([]server.DaySpend{day(24, 0), day(25, 0)}); c != "Spend, last 2 days: nothing yet" {
		t.Errorf("caption without spend %q", c)
	}
	for _, b := range SpendBars([]server.DaySpend{day(24, 0), day(25, 0)}) {
		if b.Height != 0 {
			t.Errorf("a month without spend has a bar: %+v", b)
		}
	}
}

// TestSpendChart renders the chart alone, so its markup golden is not
// tied to the window's layout.
func TestSpendChart(t *testing.T) {
	test.NewTempApp(t)
	c := newSpendChart()
	w := test.NewWindow(c.content)
	defer w.Close()
	w.Resize(fyne.NewSize(600, 160))
	c.update(healthy().Spend.Days)
	test.AssertRendersToMarkup(t, "window/spend-chart.xml", w.Canvas())
}

// TestStatusWindowControls clicks the next-channel toggle and a profile's
// Sign in button, and checks that a snapshot setting the toggle does not
// count as a click.
func TestStatusWindowControls(t *testing.T) {
	test.NewTempApp(t)
	var calls []string
	v := newStatusView(windowActions{
		SignIn:     func(p string) { calls = append(calls, "sign-in="+p) },
		SetUseNext: func(on bool) { calls = append(calls, map[bool]string{true: "next=on", false: "next=off"}[on]) },
	})
	w := test.NewWindow(v.content)
	defer w.Close()
	w.Resize(fyne.NewSize(1100, 700))
	st := signInStatus()
	st.UseNext = true
	v.update(st, Local{HaveAWSCLI: true}, nil, false, now)
	if !v.next.Checked || len(calls) != 0 {
		t.Fatalf("after a snapshot on the next channel: checked %v, calls %q", v.next.Checked, calls)
	}
	test.Tap(v.next)
	var buttons []*widget.Button
	walk(v.profiles.table, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text != "" {
			buttons = append(buttons, b)
		}
	})
	if len(buttons) == 0 {
		t.Fatal("no Sign in button in the profile table")
	}
	for _, b := range buttons {
		if b.Size().Width < b.MinSize().Width {
			t.Errorf("button %q is %v wide, narrower than its text (%v)", b.Text, b.Size().Width, b.MinSize().Width)
		}
	}
	test.Tap(buttons[0])
	if got := strings.Join(calls, " "); got != "next=off sign-in=work" {
		t.Errorf("calls %q, want next=off sign-in=work", got)
	}
}

// walk visits o and everything its renderers draw.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, f)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			walk(ch, f)
		}
	}
}
