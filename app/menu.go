// Package app is llmstack's desktop face: a Fyne system-tray app over the
// in-process router. It renders server.Status snapshots and sends commands
// to the server; it owns no state of its own beyond the window and the
// remembered channel choice.
package app

import (
	"fmt"
	"path"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/tiers"
)

// Actions are what the tray's items do. A nil action leaves its item out.
type Actions struct {
	CopyBaseURL func()
	// CopyOpencodeConfig copies opencode.json for the running tiers.
	CopyOpencodeConfig func()
	// AllowOverBudget ticks or unticks a tier's "Allow over budget today".
	AllowOverBudget func(tier string, on bool)
	SetUseNext      func(on bool)
	OpenConfig      func()
	ReloadConfig    func()
	RecheckProfiles func()
	ShowStatus      func()
	Quit            func()
	// SignIn runs `aws sso login` for a profile ("" the default chain);
	// InstallAWSCLI opens the AWS CLI's install page.
	SignIn          func(profile string)
	InstallAWSCLI   func()
	SetStartAtLogin func(on bool)

	// Local is not an action: it is what the tray itself knows beside
	// the router's status, for the items above.
	Local Local
}

// Local is the tray's own state a menu shows: sign-ins under way and
// whether llmstack starts at login (both read fresh for each snapshot).
type Local struct {
	SignIns    map[string]SignInState // by profile
	HaveAWSCLI bool                   // an `aws` is on PATH
	// StartAtLogin is what the system says; StartAtLoginError why it
	// could not be read or changed.
	StartAtLogin      bool
	StartAtLoginError string
}

// Marks for health levels in menu labels.
func mark(l server.Level) string {
	switch l {
	case server.LevelWarn:
		return "⚠"
	case server.LevelError:
		return "✗"
	}
	return "✓"
}

// Labels of the items tests and users look for.
const (
	LabelCopyURL    = "Copy base URL"
	LabelUseNext    = "Use next channel"
	LabelOpen       = "Open models.ini"
	LabelReload     = "Reload models.ini"
	LabelRecheck    = "Recheck AWS profiles"
	LabelStatus     = "Show status window"
	LabelQuit       = "Quit"
	LabelProfiles   = "AWS profiles"
	LabelOpencode   = "Copy opencode config"
	LabelOverBudget = "Allow over budget today"

	LabelStartAtLogin = "Start at login"
	LabelWaiting      = "waiting for browser sign-in…"
)

// SignInLabel is the item that signs a profile in again.
func SignInLabel(profile string) string {
	return "Sign in to " + profileName(profile) + "…"
}

// maxLabel keeps one menu line readable; details go in submenus and the
// status window.
const maxLabel = 90

// Menu builds the tray menu for a status snapshot at time now (for
// "expires in"). It is a pure function of its arguments, so it is tested
// without a display.
func Menu(st server.Status, stopping bool, now time.Time, act Actions) *fyne.Menu {
	var items []*fyne.MenuItem
	add := func(it *fyne.MenuItem) { items = append(items, it) }
	info := func(label string) *fyne.MenuItem {
		it := fyne.NewMenuItem(clip(label), nil)
		it.Disabled = true
		return it
	}
	action := func(label string, f func()) {
		if f != nil {
			add(fyne.NewMenuItem(label, f))
		}
	}

	add(info(Header(st, stopping)))
	if st.ConfigError != "" {
		add(info("⚠ models.ini not applied: " + firstLine(st.ConfigError)))
	}
	if st.RestartNeeded != "" {
		add(info("⚠ " + st.RestartNeeded))
	}
	if st.BaseURL != "" {
		action(LabelCopyURL, act.CopyBaseURL)
		if len(st.Tiers) > 0 {
			action(LabelOpencode, act.CopyOpencodeConfig)
		}
	}
	add(fyne.NewMenuItemSeparator())

	if len(st.Tiers) == 0 {
		add(info("No tiers: add one to models.ini"))
	}
	regions := profileRegions(st.Profiles)
	for _, t := range st.Tiers {
		it := fyne.NewMenuItem(clip(TierLine(t, regions)), nil)
		it.ChildMenu = fyne.NewMenu("", append(infoItems(TierDetails(t, regions)), overBudgetItem(t, act)...)...)
		add(it)
	}
	if len(st.Tiers) > 0 {
		for _, l := range SpendSummary(st.Spend) {
			add(info(l))
		}
	}

	if len(st.Profiles) > 0 {
		add(fyne.NewMenuItemSeparator())
		add(info(LabelProfiles))
		for _, p := range st.Profiles {
			it := fyne.NewMenuItem(clip(ProfileLine(p, now)), nil)
			it.ChildMenu = fyne.NewMenu("", infoItems(ProfileDetails(p, now))...)
			add(it)
		}
		for _, it := range signInItems(st.Profiles, act) {
			add(it)
		}
		action(LabelRecheck, act.RecheckProfiles)
	}

	add(fyne.NewMenuItemSeparator())
	if act.SetUseNext != nil {
		next := fyne.NewMenuItem(LabelUseNext, func() { act.SetUseNext(!st.UseNext) })
		next.Checked = st.UseNext
		add(next)
	}
	for _, it := range startAtLoginItems(act) {
		add(it)
	}
	action(LabelOpen, act.OpenConfig)
	action(LabelReload, act.ReloadConfig)
	action(LabelStatus, act.ShowStatus)
	if act.Quit != nil {
		add(fyne.NewMenuItemSeparator())
		quit := fyne.NewMenuItem(LabelQuit, act.Quit)
		quit.IsQuit = true
		add(quit)
	}
	for _, it := range items {
		escapeLabels(it)
	}
	return fyne.NewMenu("llmstack", items...)
}

// signInItems are the sign-in items of the AWS profiles section: one for
// each profile whose SSO session needs signing in again, or what its
// sign-in is doing.
func signInItems(ps []bedrock.ProfileHealth, act Actions) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	for _, p := range ps {
		state := act.Local.SignIns[p.Profile]
		switch {
		case state.Running:
			it := fyne.NewMenuItem(clip(fmt.Sprintf("Sign in to %s: %s", profileName(p.Profile), LabelWaiting)), nil)
			it.Disabled = true
			items = append(items, it)
			continue
		case !p.SignIn || act.SignIn == nil:
			continue
		}
		if state.Failed != "" {
			it := fyne.NewMenuItem(clip(fmt.Sprintf("✗ Sign-in to %s failed: %s", profileName(p.Profile), state.Failed)), nil)
			it.Disabled = true
			items = append(items, it)
		}
		if !act.Local.HaveAWSCLI {
			if act.InstallAWSCLI != nil {
				items = append(items, fyne.NewMenuItem(SignInLabel(p.Profile)+" needs the AWS CLI: open its install page", act.InstallAWSCLI))
			}
			continue
		}
		items = append(items, fyne.NewMenuItem(SignInLabel(p.Profile), func() { act.SignIn(p.Profile) }))
	}
	return items
}

// startAtLoginItems are the "Start at login" checkbox, ticked as the
// system says, and why it cannot be read or set, if so.
func startAtLoginItems(act Actions) []*fyne.MenuItem {
	if act.SetStartAtLogin == nil {
		return nil
	}
	on := act.Local.StartAtLogin
	it := fyne.NewMenuItem(LabelStartAtLogin, func() { act.SetStartAtLogin(!on) })
	it.Checked = on
	items := []*fyne.MenuItem{it}
	if act.Local.StartAtLoginError != "" {
		info := fyne.NewMenuItem(clip("⚠ "+act.Local.StartAtLoginError), nil)
		info.Disabled = true
		items = append(items, info)
	}
	return items
}

func infoItems(lines []string) []*fyne.MenuItem {
	out := make([]*fyne.MenuItem, len(lines))
	for i, l := range lines {
		out[i] = fyne.NewMenuItem(clip(l), nil)
		out[i].Disabled = true
	}
	return out
}

// escapeLabels applies the desktop's label rules to an item and its
// submenu.
func escapeLabels(it *fyne.MenuItem) {
	it.Label = trayLabel(it.Label)
	if it.ChildMenu != nil {
		for _, c := range it.ChildMenu.Items {
			escapeLabels(c)
		}
	}
}

// Header is the first line of the menu: where the router listens, or why
// it does not.
func Header(st server.Status, stopping bool) string {
	switch {
	case stopping:
		return "llmstack — stopping, letting requests finish…"
	case st.BaseURL != "":
		return "llmstack — " + st.BaseURL
	case st.ListenError != "":
		return "llmstack — not serving: " + st.ListenError
	}
	return "llmstack — starting…"
}

// TierLine is a tier's line in the menu: mark, name, live model, backend,
// region.
func TierLine(t server.TierStatus, regions map[string]string) string {
	parts := []string{displayModel(t), string(t.Backend)}
	if t.Backend == tiers.BackendBedrock {
		parts = append(parts, tierRegion(t, regions))
	}
	if t.Channel == tiers.ChannelNext {
		parts = append(parts, "next")
	}
	return fmt.Sprintf("%s %s — %s", mark(t.Level), t.Name, strings.Join(parts, " · "))
}

// TierDetails are the lines of a tier's submenu.
func TierDetails(t server.TierStatus, regions map[string]string) []string {
	lines := []string{
		"Role: " + orDash(t.Role),
		"Backend: " + string(t.Backend),
	}
	switch {
	case t.NextModel == "":
		lines = append(lines, "Model: "+t.Model, "Next model: none")
	case t.Channel == tiers.ChannelNext:
		lines = append(lines, "Model: "+t.CurrentModel, "Next model (live): "+t.NextModel)
	default:
		lines = append(lines, "Model (live): "+t.CurrentModel, "Next model: "+t.NextModel)
	}
	lines = append(lines, "Channel: "+string(t.Channel))
	if t.Backend == tiers.BackendBedrock {
		region := tierRegion(t, regions)
		if t.Region == "" && regions[t.Profile] != "" {
			region += " (the profile's)"
		}
		lines = append(lines, "Region: "+region, "Profile: "+profileName(t.Profile))
	}
	if t.CtxSize > 0 {
		lines = append(lines, fmt.Sprintf("Context: %s tokens", thousands(t.CtxSize)))
	}
	if t.Backend == tiers.BackendBedrock {
		lines = append(lines, "Prompt cache: "+onOff(t.PromptCache))
	}
	req := fmt.Sprintf("Requests served: %d", t.Stats.Requests)
	if t.Stats.Errors > 0 {
		req += fmt.Sprintf(" (%d failed)", t.Stats.Errors)
	}
	lines = append(lines, req)
	if n := t.Stats.FallbacksTaken; n > 0 {
		lines = append(lines, clip(fmt.Sprintf("Fallbacks: %d (last: %s)", n, t.Stats.LastFallback)))
	}
	if line := TokenLine(t.Stats); line != "" {
		lines = append(lines, line)
	}
	lines = append(lines, SpendLines(t)...)
	if t.Stats.Requests > 0 {
		lines = append(lines, "Last latency: "+FormatLatency(t.Stats.LastLatency))
	}
	if t.Stats.LastError != "" {
		lines = append(lines, wrap("Last error: "+t.Stats.LastError, maxLabel)...)
	}
	if t.Level != server.LevelOK {
		lines = append(lines, wrap(mark(t.Level)+" "+t.Reason, maxLabel)...)
	}
	return lines
}

// ProfileLine is a profile's line in the menu.
func ProfileLine(p bedrock.ProfileHealth, now time.Time) string {
	switch p.State {
	case bedrock.ProfileUnknown:
		return "… " + p.Name() + " — checking"
	case bedrock.ProfileError, bedrock.ProfileExpiring:
		return fmt.Sprintf("%s %s — %s", profileMark(p.State), p.Name(), p.Problem)
	}
	parts := []string{p.KeyID}
	if p.Region != "" {
		parts = append(parts, p.Region)
	}
	if !p.Expires.IsZero() {
		parts = append(parts, "expires in "+until(p.Expires, now))
	}
	return fmt.Sprintf("✓ %s — %s", p.Name(), strings.Join(parts, " · "))
}

// ProfileDetails are the lines of a profile's submenu.
func ProfileDetails(p bedrock.ProfileHealth, now time.Time) []string {
	lines := []string{"Profile: " + p.Name()}
	if p.State == bedrock.ProfileUnknown {
		return append(lines, "Not checked yet")
	}
	lines = append(lines, "State: "+string(p.State))
	if p.KeyID != "" {
		lines = append(lines, "Access key: "+p.KeyID)
	}
	if p.Source != "" {
		lines = append(lines, "Source: "+p.Source)
	}
	lines = append(lines, "Region: "+orDash(p.Region))
	if !p.Expires.IsZero() {
		lines = append(lines, fmt.Sprintf("Expires: %s (in %s)", p.Expires.Local().Format("15:04 Jan 2"), until(p.Expires, now)))
	}
	if p.Account != "" {
		lines = append(lines, "Account: "+p.Account, "Identity: "+p.ARN)
	}
	if p.Problem != "" {
		lines = append(lines, wrap(p.Problem, maxLabel)...)
	}
	return append(lines, "Checked: "+p.Checked.Local().Format("15:04:05"))
}

// profileMark is the mark of a profile's state: its level's, or "…" while
// it has not been checked.
func profileMark(s bedrock.ProfileState) string {
	switch s {
	case bedrock.ProfileUnknown:
		return "…"
	case bedrock.ProfileError:
		return mark(server.LevelError)
	case bedrock.ProfileExpiring:
		return mark(server.LevelWarn)
	}
	return mark(server.LevelOK)
}

// profileRegions maps profiles to the region their config sets, for tiers
// that leave the region to the profile.
func profileRegions(ps []bedrock.ProfileHealth) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		out[p.Profile] = p.Region
	}
	return out
}

func tierRegion(t server.TierStatus, regions map[string]string) string {
	if t.Region != "" {
		return t.Region
	}
	if r := regions[t.Profile]; r != "" {
		return r
	}
	return "default region"
}

// displayModel shortens a gguf "repo/file" to the file; Bedrock ids stay
// whole.
func displayModel(t server.TierStatus) string {
	if t.Backend == tiers.BackendGGUF {
		return path.Base(t.Model)
	}
	return t.Model
}

func profileName(p string) string {
	if p == "" {
		return "default chain"
	}
	return p
}

// FormatLatency renders a duration for people: 850 ms, 1.24 s, 2m05s.
func FormatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func until(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "0m"
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// clip shortens a label to maxLabel characters.
func clip(s string) string {
	s = firstLine(s)
	if r := []rune(s); len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return s
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len([]rune(line))+1+len([]rune(w)) > width {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// TokenLine sums up the tokens a tier has used, with the share of the
// prompt read from the prompt cache when there is one; "" before any.
func TokenLine(st server.TierStats) string {
	if st.PromptTokens == 0 && st.CompletionTokens == 0 {
		return ""
	}
	line := fmt.Sprintf("Tokens: %s in, %s out", thousands(int(st.PromptTokens)), thousands(int(st.CompletionTokens)))
	if st.CachedTokens > 0 && st.PromptTokens > 0 {
		line += fmt.Sprintf(" · %d%% of input from cache", st.CachedTokens*100/st.PromptTokens)
	}
	return line
}

// SpendSummary is the menu's spend line for all tiers, and what is wrong
// with the usage file, if anything.
func SpendSummary(sp server.Spend) []string {
	line := fmt.Sprintf("Spend: %s today · %s this month (estimated)", FormatUSD(sp.TodayUSD), FormatUSD(sp.MonthUSD))
	if share := savedShare(sp.MonthUSD, sp.SavedMonthUSD); share > 0 {
		line += fmt.Sprintf(" · prompt cache saved %d%%", share)
	}
	lines := []string{line}
	if sp.Problem != "" {
		lines = append(lines, wrap("⚠ "+sp.Problem, maxLabel)...)
	}
	return lines
}

// SpendLines are a tier's spend and budget lines in its submenu.
func SpendLines(t server.TierStatus) []string {
	switch {
	case t.Backend == tiers.BackendGGUF:
		return []string{"Spend: none (a local model)"}
	case !t.PriceKnown:
		lines := wrap(fmt.Sprintf("Spend: unknown, no price for %s (set price_input_per_mtok and price_output_per_mtok)", t.Model), maxLabel)
		if t.BudgetUSD > 0 {
			lines = append(lines, fmt.Sprintf("Daily budget: %s, not counted without a price", FormatUSD(t.BudgetUSD)))
		}
		return lines
	}
	lines := []string{
		"Spend today: " + FormatUSD(t.SpentTodayUSD) + cacheSaved(t.SpentTodayUSD, t.SavedTodayUSD),
		"Spend this month: " + FormatUSD(t.SpentMonthUSD) + cacheSaved(t.SpentMonthUSD, t.SavedMonthUSD),
	}
	if t.BudgetUSD > 0 {
		line := fmt.Sprintf("Daily budget: %s of %s (%d%%)", FormatUSD(t.SpentTodayUSD), FormatUSD(t.BudgetUSD), int(t.SpentTodayUSD*100/t.BudgetUSD))
		switch {
		case t.Budget == server.BudgetReached && t.OverBudgetAllowed:
			line += " · allowed over budget today"
		case t.Budget == server.BudgetReached:
			line += " · spent"
		case t.Budget == server.BudgetNear:
			line += " · ⚠ nearly spent"
		}
		lines = append(lines, line)
	}
	return lines
}

// overBudgetItem is the "Allow over budget today" checkbox of a tier with
// a daily budget.
func overBudgetItem(t server.TierStatus, act Actions) []*fyne.MenuItem {
	if t.BudgetUSD <= 0 || !t.PriceKnown || act.AllowOverBudget == nil || t.Backend == tiers.BackendGGUF {
		return nil
	}
	name, on := t.Name, t.OverBudgetAllowed
	it := fyne.NewMenuItem(LabelOverBudget, func() { act.AllowOverBudget(name, !on) })
	it.Checked = on
	return []*fyne.MenuItem{it}
}

// cacheSaved is " · prompt cache saved N%" when the cache saved anything.
func cacheSaved(spent, saved float64) string {
	if share := savedShare(spent, saved); share > 0 {
		return fmt.Sprintf(" · prompt cache saved %d%%", share)
	}
	return ""
}

// savedShare is the percentage of the cost without the cache that the
// cache saved.
func savedShare(spent, saved float64) int {
	if saved <= 0 || spent+saved <= 0 {
		return 0
	}
	return int(saved * 100 / (spent + saved))
}

// FormatUSD renders an estimated amount of US dollars: $1,234.57, $0.42,
// and <$0.01 for a cent's fraction (a short request on a cheap model).
func FormatUSD(v float64) string {
	switch {
	case v <= 0:
		return "$0.00"
	case v < 0.01:
		return "<$0.01"
	}
	cents := int64(v*100 + 0.5)
	return fmt.Sprintf("$%s.%02d", thousands(int(cents/100)), cents%100)
}
