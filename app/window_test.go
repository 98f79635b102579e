package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/llmstack/llmstack/internal/golden"
	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
)

func TestTierAndProfileRows(t *testing.T) {
	st := healthy()
	st.Profiles[1] = bedrock.ProfileHealth{Profile: "work", State: bedrock.ProfileError, Problem: "the SSO session of profile \"work\" is missing or expired; run `aws sso login --profile work`"}
	st.Tiers[1].Level, st.Tiers[1].Reason = server.LevelError, st.Profiles[1].Problem
	golden.AssertJSON(t, "window/rows.json", map[string]any{"tiers": TierRows(st), "profiles": ProfileRows(st, now)})
}

// TestStatusWindow renders the status window with the Fyne test driver and
// compares its markup with the golden file.
func TestStatusWindow(t *testing.T) {
	test.NewTempApp(t)
	for _, tt := range []struct {
		name   string
		status func() server.Status
		logs   []string
	}{
		{"healthy", healthy, []string{`time=2026-11-25T12:00:00Z level=INFO msg=serving url=http://127.0.0.1:10101/v1`}},
		{"config-error", func() server.Status {
			st := healthy()
			st.ConfigError = `models.ini [plan] aws_model_id: missing: a bedrock tier needs the Bedrock model id or inference profile it serves`
			st.UseNext = true
			return st
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := &recorder{}
			rec := func(name string) func() { return func() { calls.calls = append(calls.calls, name) } }
			v := newStatusView(windowActions{Recheck: rec("recheck"), Verify: rec("verify"), Reload: rec("reload"), Open: rec("open"), Copy: rec("copy")})
			w := test.NewWindow(v.content)
			defer w.Close()
			w.Resize(fyne.NewSize(1100, 700))
			v.update(tt.status(), tt.logs, false, now)
			test.AssertRendersToMarkup(t, "window/"+tt.name+".xml", w.Canvas())
		})
	}
}
