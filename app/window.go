package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
)

// Column headers of the status window's tables.
var (
	tierColumns    = []string{"Tier", "Role", "Backend", "Model", "Channel", "Region", "Profile", "Health", "Requests", "Tokens", "Last error"}
	profileColumns = []string{"Profile", "State", "Sign in", "Access key", "Region", "Expires", "Account", "Problem"}
)

// Columns whose text is shown whole, wrapped, rather than on one line.
var (
	tierWrapped    = map[string]bool{"Health": true, "Last error": true}
	profileWrapped = map[string]bool{"Problem": true, "Sign in": true}
)

// signInButton is the text of a profile row's Sign in cell that shows as a
// button.
const signInButton = "Sign in…"

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
		tokens := strings.TrimPrefix(TokenLine(t.Stats), "Tokens: ")
		rows = append(rows, []string{t.Name, orDash(t.Role), string(t.Backend), t.Model, string(t.Channel), region, profile, health, req, orDash(tokens), orDash(t.Stats.LastError)})
	}
	return rows
}

// ProfileRows are the rows of the AWS profile table.
func ProfileRows(st server.Status, loc Local, now time.Time) [][]string {
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
		problem := p.Problem
		if f := loc.SignIns[p.Profile].Failed; f != "" && p.SignIn {
			problem += "\nThe last sign-in failed: " + f
		}
		rows = append(rows, []string{p.Name(), state, signInCell(p, loc), orDash(p.KeyID), orDash(p.Region), expires, orDash(p.Account), orDash(problem)})
	}
	return rows
}

// signInCell is what a profile row's Sign in column shows: signInButton
// for a profile that needs one, or what its sign-in is doing.
func signInCell(p bedrock.ProfileHealth, loc Local) string {
	state := loc.SignIns[p.Profile]
	switch {
	case state.Running:
		return "Waiting for browser sign-in…"
	case !p.SignIn:
		return ""
	case !loc.HaveAWSCLI:
		return "needs the AWS CLI: " + AWSCLIInstallURL
	}
	return signInButton
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
	next      *widget.Check
	// profileNames are the profiles of the profile table's rows.
	profileNames []string
	// setting is true while update sets the toggle, which is no click.
	setting bool
	content fyne.CanvasObject
}

// maxColumnWidth keeps one long cell (an error message) from pushing the
// other columns out of view: a wrapped column wraps at this width, another
// shows an ellipsis.
const maxColumnWidth = 420

// tableData is a table over rows of strings with a header row. Text is
// selectable; wrapped columns show their text whole, over as many lines as
// it takes.
type tableData struct {
	columns []string
	wrapped map[string]bool
	rows    [][]string
	widths  []float32
	table   *widget.Table
	// button, when set, makes a cell a button: its label and action, or
	// ok false for a plain cell.
	button func(row, col int, text string) (label string, f func(), ok bool)
}

func newTableData(columns []string, wrapped map[string]bool) *tableData {
	d := &tableData{columns: columns, wrapped: wrapped}
	d.table = widget.NewTable(
		func() (int, int) { return len(d.rows) + 1, len(d.columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Selectable = true
			b := widget.NewButton("", nil)
			b.Hide()
			return container.NewStack(l, container.NewVBox(b))
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			stack := o.(*fyne.Container)
			l := stack.Objects[0].(*widget.Label)
			b := stack.Objects[1].(*fyne.Container).Objects[0].(*widget.Button)
			if id.Row == 0 {
				b.Hide()
				l.Show()
				l.Wrapping, l.Truncation = fyne.TextWrapOff, fyne.TextTruncateEllipsis
				l.TextStyle = fyne.TextStyle{Bold: true}
				l.SetText(d.columns[id.Col])
				return
			}
			text := d.rows[id.Row-1][id.Col]
			if d.button != nil {
				if label, f, ok := d.button(id.Row-1, id.Col, text); ok {
					l.Hide()
					b.SetText(label)
					b.OnTapped = f
					b.Show()
					return
				}
			}
			b.Hide()
			l.Show()
			l.TextStyle = fyne.TextStyle{}
			if d.wrapped[d.columns[id.Col]] {
				l.Wrapping, l.Truncation = fyne.TextWrapWord, fyne.TextTruncateOff
			} else {
				l.Wrapping, l.Truncation = fyne.TextWrapOff, fyne.TextTruncateEllipsis
			}
			l.SetText(text)
		},
	)
	return d
}

// set replaces the rows, sizes the columns to their content (within
// maxColumnWidth) and makes each row tall enough for its wrapped text.
func (d *tableData) set(rows [][]string) {
	d.rows = rows
	size := theme.TextSize()
	// A label pads its text on both sides; a little slack keeps Fyne's
	// ellipsis away from text that does fit.
	pad := 2*theme.InnerPadding() + 3*theme.Padding()
	d.widths = make([]float32, len(d.columns))
	for c := range d.columns {
		w := fyne.MeasureText(d.columns[c], size, fyne.TextStyle{Bold: true}).Width
		for i, r := range rows {
			if d.button != nil {
				if label, _, ok := d.button(i, c, r[c]); ok {
					// A button's label is bold, inside the button's own padding.
					w = max(w, fyne.MeasureText(label, size, fyne.TextStyle{Bold: true}).Width+2*theme.InnerPadding())
					continue
				}
			}
			w = max(w, fyne.MeasureText(r[c], size, fyne.TextStyle{}).Width)
		}
		d.widths[c] = min(w*1.1, maxColumnWidth) + pad
		d.table.SetColumnWidth(c, d.widths[c])
	}
	line := fyne.MeasureText("Mg", size, fyne.TextStyle{}).Height
	base := line + 2*theme.InnerPadding()
	for i, r := range rows {
		lines := 1
		for c, text := range r {
			if d.wrapped[d.columns[c]] {
				lines = max(lines, wrappedLines(text, d.widths[c]-2*theme.InnerPadding(), size))
			}
		}
		d.table.SetRowHeight(i+1, base+float32(lines-1)*(line+theme.LineSpacing()))
	}
	d.table.Refresh()
}

// wrappedLines is how many lines a label wrapping at words needs for text
// in width.
func wrappedLines(text string, width, size float32) int {
	lines := 0
	for _, para := range strings.Split(text, "\n") {
		lines++
		var cur string
		for _, w := range strings.Fields(para) {
			next := w
			if cur != "" {
				next = cur + " " + w
			}
			if cur != "" && fyne.MeasureText(next, size, fyne.TextStyle{}).Width > width {
				lines++
				next = w
			}
			cur = next
		}
	}
	return max(lines, 1)
}

// Actions of the status window's buttons.
type windowActions struct {
	Recheck, Verify, Reload, Open, Copy func()
	// SignIn runs `aws sso login` for a profile; SetUseNext switches the
	// channel.
	SignIn     func(profile string)
	SetUseNext func(on bool)
}

func newStatusView(act windowActions) *statusView {
	v := &statusView{
		header:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		config:    widget.NewLabel(""),
		configErr: widget.NewLabel(""),
		tiers:     newTableData(tierColumns, tierWrapped),
		profiles:  newTableData(profileColumns, profileWrapped),
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
	v.next = widget.NewCheck(LabelUseNext, func(on bool) {
		if !v.setting && act.SetUseNext != nil {
			act.SetUseNext(on)
		}
	})
	if act.SetUseNext == nil {
		v.next.Hide()
	}
	buttons.Add(v.next)
	v.profileButtons(act.SignIn)
	top := container.NewVBox(v.header, v.config, v.configErr, buttons)
	tables := container.NewVSplit(
		container.NewBorder(widget.NewLabelWithStyle("Tiers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.tiers.table),
		container.NewBorder(widget.NewLabelWithStyle("AWS profiles", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.profiles.table),
	)
	tables.SetOffset(0.6)
	// The spend chart sits beside the log, under the tables, so it takes
	// none of their room.
	bottom := container.NewHSplit(
		container.NewBorder(widget.NewLabelWithStyle("Log", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.logScroll),
		v.spend.content)
	bottom.SetOffset(0.6)
	body := container.NewVSplit(tables, bottom)
	body.SetOffset(0.7)
	v.content = container.NewBorder(top, nil, nil, nil, body)
	return v
}

// profileButtons makes the Sign in cell of a profile that needs one a
// button that signs it in.
func (v *statusView) profileButtons(signIn func(profile string)) {
	col := slices.Index(profileColumns, "Sign in")
	v.profiles.button = func(row, c int, text string) (string, func(), bool) {
		if signIn == nil || c != col || !strings.HasPrefix(text, signInButton) || row >= len(v.profileNames) {
			return "", nil, false
		}
		profile := v.profileNames[row]
		return SignInLabel(profile), func() { signIn(profile) }, true
	}
}

// update shows a new snapshot and the latest log lines.
func (v *statusView) update(st server.Status, loc Local, logs []string, stopping bool, now time.Time) {
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
	if v.next.Checked != st.UseNext {
		v.setting = true
		v.next.SetChecked(st.UseNext)
		v.setting = false
	}
	v.tiers.set(TierRows(st))
	v.profileNames = v.profileNames[:0]
	for _, p := range st.Profiles {
		v.profileNames = append(v.profileNames, p.Profile)
	}
	v.profiles.set(ProfileRows(st, loc, now))
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
