package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/llmstack/llmstack/internal/atomicfile"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/server/openai"
)

// UsageFileName is the usage file's name in llmstack's config directory.
const UsageFileName = "usage.json"

// DefaultUsagePath is where the tray and `serve` keep usage:
// <user config dir>/llmstack/usage.json, beside the default models.ini but
// never in it (models.ini is meant to be committed).
func DefaultUsagePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user config directory for the usage file: %w", err)
	}
	return filepath.Join(dir, "llmstack", UsageFileName), nil
}

// usageVersion is the usage file's format; a file of another version is
// set aside like a corrupt one rather than misread.
const usageVersion = 1

// keepDays bounds the file: older days are dropped when it is written.
const keepDays = 400

// dayLayout keys days by local date.
const dayLayout = "2006-01-02"

// TierDay is what one tier used on one local day.
type TierDay struct {
	Requests         int64 `json:"requests"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CachedTokens     int64 `json:"cached_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
	CompletionTokens int64 `json:"completion_tokens"`
	// USD is the estimated spend; WithoutCacheUSD what it would have been
	// without the prompt cache.
	USD             float64 `json:"usd"`
	WithoutCacheUSD float64 `json:"without_cache_usd"`
}

// usageData is the usage file's content.
type usageData struct {
	Version int `json:"version"`
	// Days maps a local date to each tier's use that day.
	Days map[string]map[string]*TierDay `json:"days"`
	// AllowOverBudget maps a tier to the local date on which the user
	// let it go over its daily budget.
	AllowOverBudget map[string]string `json:"allow_over_budget,omitempty"`
}

// usageStore keeps what tiers used per day, in memory and in the usage
// file, which other llmstack processes on the machine (the tray and
// `serve`) share: the file holds the totals, and each save, under an
// advisory lock on usage.json.lock, reads it again and adds what this
// process counted since its last save. Saves are batched (at most one per
// saveDelay, and one at shutdown), so answers never wait on the disk; a
// crash loses at most the answers of the last batch. Each save replaces
// the file whole (atomicfile), so a crash never leaves half of one.
type usageStore struct {
	mu   sync.Mutex
	path string // "" keeps usage in memory only
	// data is the totals: the file as this process last read or wrote
	// it, plus pending.
	data usageData
	// pending is what this process counted since its last save, and
	// pendingAllow the leaves it gave ("" for one withdrawn) since then.
	pending      map[string]map[string]*TierDay
	pendingAllow map[string]string
	dirty        bool
	today        time.Time   // the day of the latest change, for pruning
	timer        *time.Timer // the batched save to come, nil when none
	// readProblem says what was wrong with the file at start (it stays
	// until restart); writeProblem why the last save failed ("" once one
	// succeeds).
	readProblem  string
	writeProblem string
	log          *slog.Logger
	// saveMu makes saves one at a time; it is never held with mu while
	// the disk is used.
	saveMu sync.Mutex
}

// saveDelay is how long changes wait to be saved together.
var saveDelay = time.Second

// openUsage reads the usage file at path ("" for none). A corrupt file is
// renamed <name>.corrupt-<time> and counting starts over; a file that
// cannot be read at all is left alone and usage is kept in memory only.
// Neither stops the router: both are reported in the status.
func openUsage(path string, now time.Time, log *slog.Logger) *usageStore {
	u := &usageStore{path: path, log: log, data: emptyUsage(), today: now}
	u.resetPending()
	if path == "" {
		return u
	}
	d, problem, err := readUsageFile(path, now)
	if err != nil {
		u.path = "" // writing could destroy what could not be read
		u.readProblem = fmt.Sprintf("cannot read the usage file %s: %v; spend is counted in memory only until llmstack restarts", path, err)
		log.Warn(u.readProblem)
		return u
	}
	if problem != "" {
		u.readProblem = problem
		log.Warn(problem)
	}
	u.data = d
	return u
}

func emptyUsage() usageData {
	return usageData{Version: usageVersion, Days: map[string]map[string]*TierDay{}}
}

func (u *usageStore) resetPending() {
	u.pending, u.pendingAllow = map[string]map[string]*TierDay{}, map[string]string{}
}

// readUsageFile reads the usage file: a missing one is empty, a corrupt
// one is set aside (the problem says so) and counting starts from zero; an
// error means it could not be read (or set aside) and must not be
// written over.
func readUsageFile(path string, now time.Time) (usageData, string, error) {
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return emptyUsage(), "", nil
	case err != nil:
		return usageData{}, "", unwrapPath(err)
	}
	var d usageData
	if err := json.Unmarshal(raw, &d); err != nil || d.Version != usageVersion {
		why := "not a usage file of this llmstack"
		if err != nil {
			why = err.Error()
		}
		aside := path + ".corrupt-" + now.Format("20060102-150405")
		if rerr := os.Rename(path, aside); rerr != nil {
			return usageData{}, "", fmt.Errorf("it is corrupt (%s) and could not be set aside (%v)", why, unwrapPath(rerr))
		}
		return emptyUsage(), fmt.Sprintf("the usage file %s was corrupt (%s); it was set aside as %s and spend is counted from zero", path, why, filepath.Base(aside)), nil
	}
	if d.Days == nil {
		d.Days = map[string]map[string]*TierDay{}
	}
	return d, "", nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tierDayIn is days[key][tier], made when missing.
func tierDayIn(days map[string]map[string]*TierDay, key, tier string) *TierDay {
	tiersOfDay := days[key]
	if tiersOfDay == nil {
		tiersOfDay = map[string]*TierDay{}
		days[key] = tiersOfDay
	}
	td := tiersOfDay[tier]
	if td == nil {
		td = &TierDay{}
		tiersOfDay[tier] = td
	}
	return td
}

// plus adds o's counts to td.
func (td *TierDay) plus(o TierDay) {
	td.Requests += o.Requests
	td.PromptTokens += o.PromptTokens
	td.CachedTokens += o.CachedTokens
	td.CacheWriteTokens += o.CacheWriteTokens
	td.CompletionTokens += o.CompletionTokens
	td.USD += o.USD
	td.WithoutCacheUSD += o.WithoutCacheUSD
}

// addDays adds every count of from into to.
func addDays(to, from map[string]map[string]*TierDay) {
	for key, tiersOfDay := range from {
		for tier, td := range tiersOfDay {
			tierDayIn(to, key, tier).plus(*td)
		}
	}
}

// applyAllow applies leaves given ("" withdrawn) to d.
func applyAllow(d *usageData, allow map[string]string) {
	for tier, day := range allow {
		if d.AllowOverBudget == nil {
			d.AllowOverBudget = map[string]string{}
		}
		if day == "" {
			delete(d.AllowOverBudget, tier)
		} else {
			d.AllowOverBudget[tier] = day
		}
	}
}

// prune drops days older than keepDays and leave given on other days
// than today.
func (d *usageData) prune(today time.Time) {
	oldest := today.AddDate(0, 0, -keepDays).Format(dayLayout)
	for key := range d.Days {
		if key < oldest {
			delete(d.Days, key)
		}
	}
	for tier, key := range d.AllowOverBudget {
		if key != today.Format(dayLayout) {
			delete(d.AllowOverBudget, tier)
		}
	}
}

// add records one answer of tier on day; it is saved with the next batch.
// It returns the tier's spend that day before and after the answer, read
// under the same lock as the change, so of answers recorded at once
// exactly one sees a given threshold crossed.
func (u *usageStore) add(tier string, day time.Time, usage *openai.Usage, cost bedrock.Cost) (before, after float64) {
	delta := TierDay{Requests: 1, USD: cost.USD, WithoutCacheUSD: cost.WithoutCacheUSD}
	if usage != nil {
		delta.PromptTokens, delta.CompletionTokens = int64(usage.PromptTokens), int64(usage.CompletionTokens)
		if d := usage.PromptTokensDetails; d != nil {
			delta.CachedTokens, delta.CacheWriteTokens = int64(d.CachedTokens), int64(d.CacheWriteTokens)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	key := day.Format(dayLayout)
	td := tierDayIn(u.data.Days, key, tier)
	before = td.USD
	td.plus(delta)
	tierDayIn(u.pending, key, tier).plus(delta)
	u.changedLocked(day)
	return before, td.USD
}

// setAllowOverBudget records (or withdraws) the user's leave for tier to
// go over its budget on day.
func (u *usageStore) setAllowOverBudget(tier string, day time.Time, on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	key := ""
	if on {
		key = day.Format(dayLayout)
	}
	applyAllow(&u.data, map[string]string{tier: key})
	u.pendingAllow[tier] = key
	u.changedLocked(day)
}

// changedLocked prunes the totals and schedules the batched save.
func (u *usageStore) changedLocked(day time.Time) {
	u.today, u.dirty = day, true
	u.data.prune(day)
	if u.path != "" && u.timer == nil {
		u.timer = time.AfterFunc(saveDelay, u.flush)
	}
}

// allowedOverBudget reports whether the user let tier go over its budget
// on day.
func (u *usageStore) allowedOverBudget(tier string, day time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.data.AllowOverBudget[tier] == day.Format(dayLayout)
}

// day returns a copy of what each tier used on day.
func (u *usageStore) day(day time.Time) map[string]TierDay {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]TierDay{}
	for tier, td := range u.data.Days[day.Format(dayLayout)] {
		out[tier] = *td
	}
	return out
}

// tierDay is what tier used on day.
func (u *usageStore) tierDay(tier string, day time.Time) TierDay {
	u.mu.Lock()
	defer u.mu.Unlock()
	if td := u.data.Days[day.Format(dayLayout)][tier]; td != nil {
		return *td
	}
	return TierDay{}
}

// problem says what is wrong with the usage file, if anything.
func (u *usageStore) problem() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.readProblem != "" && u.writeProblem != "":
		return u.readProblem + "; " + u.writeProblem
	case u.writeProblem != "":
		return u.writeProblem
	}
	return u.readProblem
}

// flush saves what this process counted since its last save, at once:
// the batched save, and the last one at shutdown. A save that fails keeps
// those counts for the next one.
func (u *usageStore) flush() {
	u.saveMu.Lock()
	defer u.saveMu.Unlock()
	u.mu.Lock()
	if u.timer != nil {
		u.timer.Stop()
		u.timer = nil
	}
	if !u.dirty || u.path == "" {
		u.mu.Unlock()
		return
	}
	pending, allow, today := u.pending, u.pendingAllow, u.today
	u.resetPending()
	u.dirty = false
	u.mu.Unlock()

	merged, problem, err := u.save(pending, allow, today)

	u.mu.Lock()
	defer u.mu.Unlock()
	if problem != "" {
		u.readProblem = problem
		u.log.Warn(problem)
	}
	if err != nil {
		// Kept for the next save: the counts, and the leaves not changed
		// since.
		addDays(u.pending, pending)
		for tier, day := range allow {
			if _, newer := u.pendingAllow[tier]; !newer {
				u.pendingAllow[tier] = day
			}
		}
		u.dirty = true
		msg := fmt.Sprintf("cannot save usage to %s: %v; spend since then is kept in memory only", u.path, err)
		if msg != u.writeProblem {
			u.log.Warn(msg)
		}
		u.writeProblem = msg
		return
	}
	u.writeProblem = ""
	// The totals are the file's now, plus what was counted while it was
	// written.
	addDays(merged.Days, u.pending)
	applyAllow(&merged, u.pendingAllow)
	u.data = merged
}

// save adds pending and allow to the file's totals, under the lock that
// keeps other llmstack processes from saving at the same time, and
// writes the file. It returns the totals written; problem reports a
// corrupt file set aside.
func (u *usageStore) save(pending map[string]map[string]*TierDay, allow map[string]string, today time.Time) (usageData, string, error) {
	if err := os.MkdirAll(filepath.Dir(u.path), 0o700); err != nil {
		return usageData{}, "", unwrapPath(err)
	}
	unlock, err := lockUsageFile(u.path + ".lock")
	if err != nil {
		return usageData{}, "", fmt.Errorf("locking it: %v", unwrapPath(err))
	}
	defer unlock()
	d, problem, err := readUsageFile(u.path, today)
	if err != nil {
		return usageData{}, "", fmt.Errorf("reading it to add to it: %v", err)
	}
	addDays(d.Days, pending)
	applyAllow(&d, allow)
	d.prune(today)
	data, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		return usageData{}, problem, err
	}
	if err := atomicfile.Write(u.path, append(data, '\n'), 0o600); err != nil {
		return usageData{}, problem, err
	}
	return d, problem, nil
}
