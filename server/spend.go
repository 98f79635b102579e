package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// BudgetState grades a tier's spend today against its daily budget; the
// tray notifies when it rises to BudgetNear and to BudgetReached.
type BudgetState int

const (
	BudgetNone    BudgetState = iota // no daily budget, or under 80 % of it
	BudgetNear                       // at least 80 % of the daily budget spent
	BudgetReached                    // the budget is spent: the tier answers 429
)

// BudgetNearShare is the share of a daily budget at which a tier is
// BudgetNear.
const BudgetNearShare = 0.8

func (b BudgetState) String() string {
	switch b {
	case BudgetNear:
		return "near"
	case BudgetReached:
		return "reached"
	}
	return "none"
}

// budgetState grades spent against budget (0: no budget).
func budgetState(spent, budget float64) BudgetState {
	switch {
	case budget <= 0:
		return BudgetNone
	case spent >= budget:
		return BudgetReached
	case spent >= BudgetNearShare*budget:
		return BudgetNear
	}
	return BudgetNone
}

// Spend sums up the estimated spend of every tier, in US dollars.
type Spend struct {
	TodayUSD float64
	MonthUSD float64
	// SavedTodayUSD and SavedMonthUSD are what the prompt cache saved
	// (negative while cache writes outweigh what reads saved).
	SavedTodayUSD float64
	SavedMonthUSD float64
	// Days are the last 30 local days, oldest first, today last.
	Days []DaySpend
	// Problem says what is wrong with the usage file ("" when nothing).
	Problem string
}

// DaySpend is one day of the spend chart.
type DaySpend struct {
	Day time.Time // local midnight
	USD float64
}

// ChartDays is how many days Spend.Days covers.
const ChartDays = 30

// TierSpend is one tier's estimated spend and budget.
type TierSpend struct {
	// PriceKnown is false for a bedrock tier whose model is not in the
	// price table and whose models.ini sets no price: it shows no dollars
	// and its budget cannot be enforced.
	PriceKnown    bool
	SpentTodayUSD float64
	SpentMonthUSD float64
	SavedTodayUSD float64
	SavedMonthUSD float64
	// BudgetUSD is daily_budget_usd (0: none).
	BudgetUSD float64
	Budget    BudgetState
	// OverBudgetAllowed: the user ticked "Allow over budget today".
	OverBudgetAllowed bool
}

// now is the server's clock: local time, injectable for tests.
func (s *Server) now() time.Time { return s.clock().Local() }

// midnight is the start of t's local day.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// overBudget returns the 429 for a tier that has spent its daily budget
// today and has no leave to go on, or nil.
func (s *Server) overBudget(t *tiers.Tier, now time.Time) *openai.Error {
	if t.DailyBudgetUSD <= 0 {
		return nil
	}
	spent := s.usage.tierDay(t.Name, now).USD
	if spent < t.DailyBudgetUSD || s.usage.allowedOverBudget(t.Name, now) {
		return nil
	}
	reset := midnight(now).AddDate(0, 0, 1)
	return &openai.Error{Status: http.StatusTooManyRequests, Type: openai.TypeRateLimit, Code: "daily_budget_exceeded",
		Message: fmt.Sprintf("tier %s has spent its daily budget: $%.2f of $%.2f (daily_budget_usd in models.ini); it answers again at local midnight (%s), or at once when \"Allow over budget today\" is ticked in its tray menu",
			t.Name, spent, t.DailyBudgetUSD, reset.Format("Mon Jan 2 15:04 MST"))}
}

// retryAfter is the Retry-After value for a budget 429: seconds to local
// midnight.
func retryAfter(now time.Time) string {
	return strconv.Itoa(int(midnight(now).AddDate(0, 0, 1).Sub(now).Seconds()) + 1)
}

// recordSpend prices one answer of tier from modelID and adds it to the
// usage file. A tier whose spend crosses 80 % or 100 % of its budget
// notifies the status subscribers (the tray notifies the user).
func (s *Server) recordSpend(t *tiers.Tier, modelID string, usage *openai.Usage) {
	if usage == nil {
		return
	}
	now := s.now()
	var cost bedrock.Cost
	if price, ok := bedrock.TierPrice(t, modelID); ok {
		cost = price.Cost(*usage)
	}
	before, after := s.usage.add(t.Name, now, usage, cost)
	from, to := budgetState(before, t.DailyBudgetUSD), budgetState(after, t.DailyBudgetUSD)
	if to > from {
		s.log.Warn("daily budget "+map[BudgetState]string{BudgetNear: "80% spent", BudgetReached: "spent"}[to],
			"tier", t.Name, "spent_usd", fmt.Sprintf("%.2f", after), "budget_usd", fmt.Sprintf("%.2f", t.DailyBudgetUSD))
		s.notify()
	}
}

// AllowOverBudget lets the named tier (a tier name, not an alias) go over
// its daily budget until local midnight (on) or withdraws that leave
// (off): the tray's "Allow over budget today". The leave is kept in the
// usage file, so a restart the same day keeps it.
func (s *Server) AllowOverBudget(tier string, on bool) error {
	t := s.cfg.Load().Lookup(tier)
	if t == nil || t.Name != tier {
		return fmt.Errorf("no tier %q in %s", tier, s.cfg.Load().Path)
	}
	s.usage.setAllowOverBudget(tier, s.now(), on)
	s.log.Info("allow over budget today", "tier", tier, "on", on)
	s.notify()
	return nil
}

// tierSpend is a tier's spend for the status.
func (s *Server) tierSpend(t *tiers.Tier, useNext bool, now time.Time, month map[string]TierDay) TierSpend {
	today := s.usage.tierDay(t.Name, now)
	m := month[t.Name]
	ts := TierSpend{
		SpentTodayUSD: today.USD, SpentMonthUSD: m.USD,
		SavedTodayUSD: today.WithoutCacheUSD - today.USD, SavedMonthUSD: m.WithoutCacheUSD - m.USD,
		BudgetUSD: t.DailyBudgetUSD, OverBudgetAllowed: s.usage.allowedOverBudget(t.Name, now),
	}
	_, ts.PriceKnown = bedrock.TierPrice(t, t.Model(useNext))
	ts.Budget = budgetState(today.USD, t.DailyBudgetUSD)
	return ts
}

// spendSummary sums the usage up for the status: today, this month, the
// last ChartDays days, and each tier's month.
func (s *Server) spendSummary(now time.Time) (Spend, map[string]TierDay) {
	sp := Spend{Problem: s.usage.problem()}
	month := map[string]TierDay{}
	first := midnight(now).AddDate(0, 0, 1-now.Day())
	for d := first; !d.After(now); d = d.AddDate(0, 0, 1) {
		for tier, td := range s.usage.day(d) {
			m := month[tier]
			m.USD += td.USD
			m.WithoutCacheUSD += td.WithoutCacheUSD
			month[tier] = m
			sp.MonthUSD += td.USD
			sp.SavedMonthUSD += td.WithoutCacheUSD - td.USD
		}
	}
	today := midnight(now)
	for i := ChartDays - 1; i >= 0; i-- {
		d := today.AddDate(0, 0, -i)
		ds := DaySpend{Day: d}
		for _, td := range s.usage.day(d) {
			ds.USD += td.USD
			if i == 0 {
				sp.TodayUSD += td.USD
				sp.SavedTodayUSD += td.WithoutCacheUSD - td.USD
			}
		}
		sp.Days = append(sp.Days, ds)
	}
	return sp, month
}
