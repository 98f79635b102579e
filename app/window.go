package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/llmstack/llmstack/server"
)

// Column headers of the status window's tables.
var (
	tierColumns    = []string{"Tier", "Role", "Backend", "Model", "Channel", "Region", "Profile", "Health", "Requests", "Last error"}
	profileColumns = []string{"Profile", "State", "Access key", "Region", "Expires", "Account", "Problem"}
)

// TierRows are the rows of the tier table.
func TierRows(st server.Status) [][]string {
	regions := profileRegions(st.Profiles)
	rows := make([][]string, 0, len(st.Tiers))
	for _, t := range st.Tiers {
		health := mark(t.Level) + " " + t.Level.String()
		if t.Reason != "" {
			health += ": " + t.Reason
		}
		region, profile := "-", "-"
		if t.Backend == "bedrock" {
			region, profile = tierRegion(t, regions), profileName(t.Profile)
		}
		req := fmt.Sprint(t.Stats.Requests)
		if t.Stats.Errors > 0 {
			req += fmt.Sprintf(" (%d failed)", t.Stats.Errors)
		}
		rows = append(rows, []string{t.Name, orDash(t.Role), string(t.Backend), t.Model, string(t.Channel), region, profile, health, req, orDash(t.Stats.LastError)})
	}
	return rows
}

// ProfileRows are the rows of the AWS profile table.
func ProfileRows(st server.Status, now time.Time) [][]string {
	rows := make([][]string, 0, len(st.Profiles))
	for _, p := range st.Profiles {
		state := profileMark(p.State) + " " + string(p.State)
		if p.State == "" {
			state = "… checking"
		}
		expires := "-"
		if !p.Expires.IsZero() {
			expires = "in " + until(p.Expires, now)
		}
		rows = append(rows, []string{p.Name(), state, orDash(p.KeyID), orDash(p.Region), expires, orDash(p.Account), orDash(p.Problem)})
	}
	return rows
}

// statusView is the content of the status window.
type statusView struct {
	header    *widget.Label
	config    *widget.Label
	configErr *widget.Label
	tiers     *tableData
	profiles  *tableData
	logs      *widget.Label
	logScroll *container.Scroll
	spend     *spendChart
	content   fyne.CanvasObject
}

// maxColumnWidth keeps one long cell (an error message) from pushing the
// other columns out of view; the cell shows an ellipsis instead.
const maxColumnWidth = 420

// tableData is a table over rows of strings with a header row.
type tableData struct {
	columns []string
	rows    [][]string
	table   *widget.Table
}

func newTableData(columns []string) *tableData {
	d := &tableData{columns: columns}
	d.table = widget.NewTable(
		func() (int, int) { return len(d.rows) + 1, len(d.columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row == 0 {
				l.TextStyle = fyne.TextStyle{Bold: true}
				l.SetText(d.columns[id.Col])
				return
			}
			l.TextStyle = fyne.TextStyle{}
			l.SetText(d.rows[id.Row-1][id.Col])
		},
	)
	return d
}

// set replaces the rows and sizes the columns to their content, within
// reason.
func (d *tableData) set(rows [][]string) {
	d.rows = rows
	size := theme.TextSize()
	// A label pads its text on both sides; a little slack keeps Fyne's
	// ellipsis away from text that does fit.
	pad := 2*theme.InnerPadding() + 3*theme.Padding()
	for c := range d.columns {
		w := fyne.MeasureText(d.columns[c], size, fyne.TextStyle{Bold: true}).Width
		for _, r := range rows {
			w = max(w, fyne.MeasureText(r[c], size, fyne.TextStyle{}).Width)
		}
		d.table.SetColumnWidth(c, min(w*1.1, maxColumnWidth)+pad)
	}
	d.table.Refresh()
}

// Actions of the status window's buttons.
type windowActions struct {
	Recheck, Verify, Reload, Open, Copy func()
}

func newStatusView(act windowActions) *statusView {
	v := &statusView{
		header:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		config:    widget.NewLabel(""),
		configErr: widget.NewLabel(""),
		tiers:     newTableData(tierColumns),
		profiles:  newTableData(profileColumns),
		logs:      widget.NewLabel(""),
		spend:     newSpendChart(),
	}
	v.configErr.Wrapping = fyne.TextWrapWord
	v.configErr.Importance = widget.DangerImportance
	v.logs.TextStyle = fyne.TextStyle{Monospace: true}
	v.logScroll = container.NewScroll(v.logs)

	buttons := container.NewHBox()
	for _, b := range []struct {
		label string
		f     func()
	}{{"Copy base URL", act.Copy}, {"Reload models.ini", act.Reload}, {"Open models.ini", act.Open}, {"Recheck AWS profiles", act.Recheck}, {"Verify with AWS STS", act.Verify}} {
		if b.f != nil {
			buttons.Add(widget.NewButton(b.label, b.f))
		}
	}
	top := container.NewVBox(v.header, v.config, v.configErr, buttons, v.spend.content)
	tables := container.NewVSplit(
		container.NewBorder(widget.NewLabelWithStyle("Tiers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.tiers.table),
		container.NewBorder(widget.NewLabelWithStyle("AWS profiles", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.profiles.table),
	)
	tables.SetOffset(0.6)
	body := container.NewVSplit(tables,
		container.NewBorder(widget.NewLabelWithStyle("Log", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.logScroll))
	body.SetOffset(0.7)
	v.content = container.NewBorder(top, nil, nil, nil, body)
	return v
}

// update shows a new snapshot and the latest log lines.
func (v *statusView) update(st server.Status, logs []string, stopping bool, now time.Time) {
	v.header.SetText(Header(st, stopping))
	channel := "current"
	if st.UseNext {
		channel = "next"
	}
	v.config.SetText(fmt.Sprintf("models.ini: %s · channel: %s · llama-swap: %s (%s)", st.ConfigPath, channel, st.LlamaSwap.URL, reachable(st.LlamaSwap)))
	var notes []string
	if st.ConfigError != "" {
		notes = append(notes, "models.ini was edited but not applied (still serving the last good version):\n"+st.ConfigError)
	}
	if st.RestartNeeded != "" {
		notes = append(notes, st.RestartNeeded)
	}
	if len(notes) > 0 {
		v.configErr.SetText(strings.Join(notes, "\n"))
		v.configErr.Show()
	} else {
		v.configErr.SetText("")
		v.configErr.Hide()
	}
	v.spend.update(st.Spend.Days)
	v.tiers.set(TierRows(st))
	v.profiles.set(ProfileRows(st, now))
	text := strings.Join(logs, "\n")
	if text != v.logs.Text {
		v.logs.SetText(text)
		v.logScroll.ScrollToBottom()
	}
}

func reachable(u server.UpstreamHealth) string {
	switch {
	case u.Reachable:
		return "reachable"
	case u.Error != "":
		return "not reachable"
	}
	return "not checked yet"
}
