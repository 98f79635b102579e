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
// file. Every change is written at once, whole, to a temporary file that
// then replaces the old one, so a crash leaves the old or the new file and
// never half of one.
type usageStore struct {
	mu   sync.Mutex
	path string // "" keeps usage in memory only
	data usageData
	// readProblem says what was wrong with the file at start (it stays
	// until restart); writeProblem why the last write failed ("" once one
	// succeeds).
	readProblem  string
	writeProblem string
	log          *slog.Logger
}

// openUsage reads the usage file at path ("" for none). A corrupt file is
// renamed <name>.corrupt-<time> and counting starts over; a file that
// cannot be read at all is left alone and usage is kept in memory only.
// Neither stops the router: both are reported in the status.
func openUsage(path string, now time.Time, log *slog.Logger) *usageStore {
	u := &usageStore{path: path, log: log, data: usageData{Version: usageVersion, Days: map[string]map[string]*TierDay{}}}
	if path == "" {
		return u
	}
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return u
	case err != nil:
		u.path = "" // writing could destroy what could not be read
		u.readProblem = fmt.Sprintf("cannot read the usage file %s: %v; spend is counted in memory only until llmstack restarts", path, unwrapPath(err))
		log.Warn(u.readProblem)
		return u
	}
	var d usageData
	if err := json.Unmarshal(raw, &d); err != nil || d.Version != usageVersion {
		why := "not a usage file of this llmstack"
		if err != nil {
			why = err.Error()
		}
		aside := path + ".corrupt-" + now.Format("20060102-150405")
		if rerr := os.Rename(path, aside); rerr != nil {
			u.path = ""
			u.readProblem = fmt.Sprintf("the usage file %s is corrupt (%s) and could not be set aside (%v); spend is counted in memory only", path, why, unwrapPath(rerr))
		} else {
			u.readProblem = fmt.Sprintf("the usage file %s was corrupt (%s); it was set aside as %s and spend is counted from zero", path, why, filepath.Base(aside))
		}
		log.Warn(u.readProblem)
		return u
	}
	if d.Days == nil {
		d.Days = map[string]map[string]*TierDay{}
	}
	u.data = d
	return u
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// add records one answer of tier on day and saves the file. It returns
// the tier's spend that day before and after the answer, read under the
// same lock as the change, so of answers recorded at once exactly one
// sees a given threshold crossed.
func (u *usageStore) add(tier string, day time.Time, usage *openai.Usage, cost bedrock.Cost) (before, after float64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	key := day.Format(dayLayout)
	tiersOfDay := u.data.Days[key]
	if tiersOfDay == nil {
		tiersOfDay = map[string]*TierDay{}
		u.data.Days[key] = tiersOfDay
	}
	td := tiersOfDay[tier]
	if td == nil {
		td = &TierDay{}
		tiersOfDay[tier] = td
	}
	td.Requests++
	if usage != nil {
		td.PromptTokens += int64(usage.PromptTokens)
		td.CompletionTokens += int64(usage.CompletionTokens)
		if d := usage.PromptTokensDetails; d != nil {
			td.CachedTokens += int64(d.CachedTokens)
			td.CacheWriteTokens += int64(d.CacheWriteTokens)
		}
	}
	before = td.USD
	td.USD += cost.USD
	td.WithoutCacheUSD += cost.WithoutCacheUSD
	u.saveLocked(day)
	return before, td.USD
}

// setAllowOverBudget records (or withdraws) the user's leave for tier to
// go over its budget on day.
func (u *usageStore) setAllowOverBudget(tier string, day time.Time, on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.data.AllowOverBudget == nil {
		u.data.AllowOverBudget = map[string]string{}
	}
	if on {
		u.data.AllowOverBudget[tier] = day.Format(dayLayout)
	} else {
		delete(u.data.AllowOverBudget, tier)
	}
	u.saveLocked(day)
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

// saveLocked writes the file (writeUsageFile). Days older than keepDays and
// leave given on other days than today are dropped first.
func (u *usageStore) saveLocked(today time.Time) {
	oldest := today.AddDate(0, 0, -keepDays).Format(dayLayout)
	for key := range u.data.Days {
		if key < oldest {
			delete(u.data.Days, key)
		}
	}
	for tier, key := range u.data.AllowOverBudget {
		if key != today.Format(dayLayout) {
			delete(u.data.AllowOverBudget, tier)
		}
	}
	if u.path == "" {
		return
	}
	data, err := json.MarshalIndent(u.data, "", " ")
	if err == nil {
		err = writeUsageFile(u.path, append(data, '\n'))
	}
	if err != nil {
		msg := fmt.Sprintf("cannot save usage to %s: %v; spend since then is kept in memory only", u.path, err)
		if msg != u.writeProblem {
			u.log.Warn(msg)
		}
		u.writeProblem = msg
		return
	}
	u.writeProblem = ""
}

// writeUsageFile replaces the usage file whole (atomicfile.Write), making
// its directory first.
func writeUsageFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return unwrapPath(err)
	}
	return atomicfile.Write(path, data, 0o600)
}
