package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
)

// noticeQuiet is how long a condition stays quiet after it was notified:
// a state that flaps is told once, not at every flip.
const noticeQuiet = 10 * time.Minute

// failingAfter is how many failed requests in a row make a tier failing.
const failingAfter = 3

// Notice is one desktop notification.
type Notice struct {
	Title, Body string
}

// condition is something worth a notification while it holds, as one
// source sees it in one snapshot.
type condition struct {
	key         string // the same thing across snapshots
	active      bool   // it holds now
	title, body string // what to say when it starts to hold
	// cleared, if set, is said when it stops holding after it was told.
	cleared *Notice
}

// conditionSource finds the conditions in a status snapshot.
type conditionSource func(st server.Status, now time.Time) []condition

// defaultSources are what the tray notifies about. budgetConditions is the
// hook the daily-budget status feeds.
func defaultSources() []conditionSource {
	return []conditionSource{ssoConditions, configConditions, tierConditions, budgetConditions}
}

// budgetConditions tells when a tier's spend today reaches 80 % and 100 %
// of its daily budget: one condition per threshold, keyed by the day, so
// each day's crossing is told once.
func budgetConditions(st server.Status, now time.Time) []condition {
	var out []condition
	day := now.Format("2006-01-02")
	for _, t := range st.Tiers {
		if t.BudgetUSD <= 0 {
			continue
		}
		spent := fmt.Sprintf("%s of its %s daily budget spent today", FormatUSD(t.SpentTodayUSD), FormatUSD(t.BudgetUSD))
		out = append(out,
			condition{key: "budget:" + t.Name + ":80:" + day, active: t.Budget >= server.BudgetNear,
				title: t.Name + " has used 80% of its daily budget", body: spent + "."},
			condition{key: "budget:" + t.Name + ":100:" + day, active: t.Budget >= server.BudgetReached,
				title: t.Name + " has spent its daily budget",
				body:  spent + "; it answers 429 until midnight, or tick \"" + LabelOverBudget + "\" in its menu."})
	}
	return out
}

// notifier turns a stream of status snapshots into desktop notifications:
// a condition is told when it starts to hold (unless it was told within
// noticeQuiet), and its recovery once it stops. It is used from one
// goroutine (the UI's).
type notifier struct {
	sources []conditionSource
	told    map[string]*Notice   // conditions the user was last told hold, with their recovery notice
	last    map[string]time.Time // when each condition was last told
}

func newNotifier() *notifier {
	return &notifier{sources: defaultSources(), told: map[string]*Notice{}, last: map[string]time.Time{}}
}

// observe compares a snapshot with what the user has been told and
// returns what to tell now. Nothing is told while the app is stopping.
func (n *notifier) observe(st server.Status, stopping bool, now time.Time) []Notice {
	if stopping {
		return nil
	}
	var out []Notice
	seen := map[string]bool{}
	for _, src := range n.sources {
		for _, c := range src(st, now) {
			seen[c.key] = true
			_, told := n.told[c.key]
			switch {
			case c.active && !told:
				if last, ok := n.last[c.key]; ok && now.Sub(last) < noticeQuiet {
					continue
				}
				out = append(out, Notice{Title: c.title, Body: c.body})
				n.told[c.key], n.last[c.key] = c.cleared, now
			case !c.active && told:
				if cl := n.told[c.key]; cl != nil {
					out = append(out, *cl)
				}
				delete(n.told, c.key)
			}
		}
	}
	// A thing that is gone (a tier or profile removed from models.ini)
	// neither failed nor recovered.
	for k := range n.told {
		if !seen[k] {
			delete(n.told, k)
		}
	}
	return out
}

// ssoConditions: an SSO session that has ended or ends within
// bedrock.ExpiringSoon, naming the profile and the sign-in item.
func ssoConditions(st server.Status, now time.Time) []condition {
	var out []condition
	for _, p := range st.Profiles {
		if p.SSOSession == "" {
			continue
		}
		name, who := profileName(p.Profile), fmt.Sprintf("profile %q", p.Profile)
		if p.Profile == "" {
			who = "the default credential chain"
		}
		hint := fmt.Sprintf(" Choose %q in the llmstack menu.", SignInLabel(p.Profile))
		left := "soon"
		if !p.SessionExpires.IsZero() {
			left = "in " + bedrock.Minutes(p.SessionExpires.Sub(now))
		}
		out = append(out,
			condition{key: "sso-expiring:" + p.Profile, active: p.SignIn && p.State == bedrock.ProfileExpiring,
				title: "AWS sign-in for " + name + " ends soon", body: fmt.Sprintf("The SSO session of %s expires %s.%s", who, left, hint)},
			condition{key: "sso-expired:" + p.Profile, active: p.SignIn && p.State == bedrock.ProfileError,
				title: "AWS sign-in needed for " + name, body: fmt.Sprintf("The SSO session of %s is missing or expired.%s", who, hint)},
		)
	}
	return out
}

// configConditions: a models.ini edit that was not applied, naming the
// file and the first problem.
func configConditions(st server.Status, _ time.Time) []condition {
	first := strings.TrimSuffix(firstLine(st.ConfigError), ".")
	if first != "" && st.ConfigPath != "" && !strings.Contains(first, st.ConfigPath) {
		first = st.ConfigPath + ": " + first
	}
	return []condition{{key: "config", active: st.ConfigError != "", title: "models.ini not applied",
		body: first + ". The last good version keeps serving."}}
}

// tierConditions: a tier whose last failingAfter requests failed, and its
// recovery.
func tierConditions(st server.Status, _ time.Time) []condition {
	var out []condition
	for _, t := range st.Tiers {
		n := t.Stats.FailuresInARow
		out = append(out, condition{key: "tier:" + t.Name, active: n >= failingAfter,
			title:   t.Name + " is failing",
			body:    fmt.Sprintf("%d requests in a row failed; the last: %s", n, t.Stats.LastError),
			cleared: &Notice{Title: t.Name + " recovered", Body: "Requests to " + t.Name + " succeed again."}})
	}
	return out
}
