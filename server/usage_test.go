package server

import (
	"cmp"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/server/openai"
)

var usageDay = time.Date(2026, 11, 25, 15, 4, 5, 0, time.Local)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestUsageFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmstack", UsageFileName)
	u := openUsage(path, usageDay, discard())
	u.add("code-smart", usageDay, &openai.Usage{PromptTokens: 1000, CompletionTokens: 10, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 800, CacheWriteTokens: 100}},
		bedrock.Cost{USD: 0.5, WithoutCacheUSD: 1.25})
	u.setAllowOverBudget("code-smart", usageDay, true)
	u.flush()

	again := openUsage(path, usageDay, discard())
	want := TierDay{Requests: 1, PromptTokens: 1000, CachedTokens: 800, CacheWriteTokens: 100, CompletionTokens: 10, USD: 0.5, WithoutCacheUSD: 1.25}
	if got := again.tierDay("code-smart", usageDay); got != want {
		t.Errorf("after restart: %+v, want %+v", got, want)
	}
	if !again.allowedOverBudget("code-smart", usageDay) || again.allowedOverBudget("code-smart", usageDay.AddDate(0, 0, 1)) {
		t.Error("the leave to go over budget is not today's only")
	}
	if p := again.problem(); p != "" {
		t.Errorf("problem %q", p)
	}
	// Written by rename: no temporary file is left beside it, only the
	// lock file of the saves.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 || entries[0].Name() != UsageFileName || entries[1].Name() != UsageFileName+".lock" {
		t.Errorf("files beside the usage file: %v", entries)
	}
}

func TestUsageFileCorrupt(t *testing.T) {
	tests := []struct{ name, content, why string }{
		{"not json", "{\"version\":1,\"days\":{\"2026-11-2", "unexpected end of JSON input"},
		{"other version", `{"version":7,"days":{}}`, "not a usage file of this llmstack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, UsageFileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			u := openUsage(path, usageDay, discard())
			aside := path + ".corrupt-20261125-150405"
			if kept, err := os.ReadFile(aside); err != nil || string(kept) != tt.content {
				t.Fatalf("corrupt file not set aside as %s whole: %q, %v", aside, kept, err)
			}
			p := u.problem()
			for _, want := range []string{path, tt.why, "set aside as " + filepath.Base(aside), "from zero"} {
				if !strings.Contains(p, want) {
					t.Errorf("problem %q does not say %q", p, want)
				}
			}
			// Counting goes on, into a fresh file.
			u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 1})
			u.flush()
			if got := openUsage(path, usageDay, discard()).tierDay("t", usageDay).USD; got != 1 {
				t.Errorf("fresh file holds %v, want 1", got)
			}
			if !strings.Contains(u.problem(), "set aside") {
				t.Error("the report of the corrupt file went away before a restart")
			}
		})
	}
}

func TestUsageFileUnreadableOrUnwritable(t *testing.T) {
	t.Run("a directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), UsageFileName)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		u := openUsage(path, usageDay, discard())
		u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 1})
		if p := u.problem(); !strings.Contains(p, "cannot read the usage file "+path) || !strings.Contains(p, "in memory only") {
			t.Errorf("problem %q", p)
		}
		if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
			t.Errorf("what could not be read was replaced: %v", err)
		}
		if got := u.tierDay("t", usageDay).USD; got != 1 {
			t.Errorf("in memory: %v, want 1", got)
		}
	})
	t.Run("its directory became a file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "llmstack")
		path := filepath.Join(dir, UsageFileName)
		u := openUsage(path, usageDay, discard())
		if err := os.WriteFile(dir, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 1})
		u.flush()
		if p := u.problem(); !strings.Contains(p, "cannot save usage to "+path) || !strings.Contains(p, "in memory only") {
			t.Errorf("problem %q", p)
		}
		if got := u.tierDay("t", usageDay).USD; got != 1 {
			t.Errorf("in memory: %v, want 1", got)
		}
		// Once the file can be written again, the problem goes.
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 1})
		u.flush()
		if p := u.problem(); p != "" {
			t.Errorf("problem after a good write: %q", p)
		}
		// Nothing was lost while it could not be saved.
		if got := openUsage(path, usageDay, discard()).tierDay("t", usageDay).USD; got != 2 {
			t.Errorf("the file holds $%v, want $2", got)
		}
	})
}

func TestUsageFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), UsageFileName)
	u := openUsage(path, usageDay, discard())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 25 {
				u.add([]string{"a", "b"}[g%2], usageDay, &openai.Usage{PromptTokens: 10, CompletionTokens: 1}, bedrock.Cost{USD: 0.25, WithoutCacheUSD: 0.5})
				_ = u.day(usageDay)
			}
		})
	}
	wg.Wait()
	u.flush()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d usageData
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("file after concurrent writes: %v", err)
	}
	for _, tier := range []string{"a", "b"} {
		if got := d.Days["2026-11-25"][tier]; got == nil || got.Requests != 100 || got.USD != 25 || got.PromptTokens != 1000 {
			t.Errorf("tier %s: %+v, want 100 requests, $25", tier, got)
		}
	}
}

func TestUsageFileDropsOldDays(t *testing.T) {
	path := filepath.Join(t.TempDir(), UsageFileName)
	u := openUsage(path, usageDay, discard())
	old := usageDay.AddDate(0, 0, -keepDays-1)
	u.add("t", old, &openai.Usage{}, bedrock.Cost{USD: 1})
	u.add("t", usageDay, &openai.Usage{}, bedrock.Cost{USD: 2})
	u.flush()
	again := openUsage(path, usageDay, discard())
	if again.tierDay("t", old).USD != 0 || again.tierDay("t", usageDay).USD != 2 {
		t.Errorf("old day kept or today lost: %+v", again.data.Days)
	}
}

// TestUsageAddReportsItsOwnStep adds from many goroutines at once: each
// add's before and after totals are its own step, so the steps, in order,
// run from zero to the total without a gap or an overlap.
func TestUsageAddReportsItsOwnStep(t *testing.T) {
	u := openUsage("", usageDay, discard())
	const n = 200
	steps := make([][2]float64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			before, after := u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 0.25})
			steps[i] = [2]float64{before, after}
		})
	}
	wg.Wait()
	slices.SortFunc(steps, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	at := 0.0
	for _, s := range steps {
		if s[0] != at || s[1] != at+0.25 {
			t.Fatalf("step %v after %v: each add must see the total it changed", s, at)
		}
		at = s[1]
	}
	if at != n*0.25 {
		t.Errorf("total %v, want %v", at, n*0.25)
	}
}

// TestUsageFileShared runs two usage stores on one file, as the tray and
// `llmstack serve` on one machine do: what each adds, in turns and at the
// same time, is in the file's totals, none of it lost to the other's save.
func TestUsageFileShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmstack", UsageFileName)
	one := &openai.Usage{PromptTokens: 10, CompletionTokens: 1}
	a, b := openUsage(path, usageDay, discard()), openUsage(path, usageDay, discard())
	a.add("t", usageDay, one, bedrock.Cost{USD: 1})
	saveUsage(a)
	b.add("t", usageDay, one, bedrock.Cost{USD: 2})
	b.add("u", usageDay, one, bedrock.Cost{USD: 4})
	saveUsage(b)
	a.add("t", usageDay, one, bedrock.Cost{USD: 8})
	a.setAllowOverBudget("u", usageDay, true)
	saveUsage(a)
	saveUsage(b)
	var wg sync.WaitGroup
	for _, u := range []*usageStore{a, b} {
		for range 4 {
			wg.Go(func() {
				for range 25 {
					u.add("t", usageDay, one, bedrock.Cost{USD: 16})
					saveUsage(u)
				}
			})
		}
	}
	wg.Wait()
	saveUsage(a)
	saveUsage(b)

	got := openUsage(path, usageDay, discard())
	if td := got.tierDay("t", usageDay); td.Requests != 203 || td.USD != 1+2+8+200*16 || td.PromptTokens != 2030 {
		t.Errorf("tier t: %+v; want 203 requests, $%d", td, 1+2+8+200*16)
	}
	if td := got.tierDay("u", usageDay); td.Requests != 1 || td.USD != 4 {
		t.Errorf("tier u: %+v; want 1 request, $4", td)
	}
	if !got.allowedOverBudget("u", usageDay) {
		t.Error("the leave one store gave was lost to the other's save")
	}
	// Each store sees the other's counts once it has saved.
	b.add("t", usageDay, one, bedrock.Cost{})
	saveUsage(b)
	if td := b.tierDay("t", usageDay); td.Requests != 204 {
		t.Errorf("the second store sees %d requests of tier t, want 204", td.Requests)
	}
}

// saveUsage saves what u has not saved yet.
func saveUsage(u *usageStore) { u.flush() }

// TestUsageSavedInBatches: an answer does not wait on the disk; its
// count reaches the file with the batched save, without a flush.
func TestUsageSavedInBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), UsageFileName)
	old := saveDelay
	saveDelay = 50 * time.Millisecond
	t.Cleanup(func() { saveDelay = old })
	u := openUsage(path, usageDay, discard())
	u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 1})
	deadline := time.Now().Add(10 * time.Second) // generous: the save is due after 50 ms
	for openUsage(path, usageDay, discard()).tierDay("t", usageDay).USD != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the batched save never wrote the answer's count")
		}
		time.Sleep(10 * time.Millisecond)
	}
	u.flush() // nothing left: no second write of the same count
	if got := openUsage(path, usageDay, discard()).tierDay("t", usageDay).USD; got != 1 {
		t.Errorf("after a flush with nothing new the file holds $%v, want $1", got)
	}
}

// TestUsageCrashLosesLastBatch: a process that dies between saves loses
// only what it counted since its last save; the file is whole.
func TestUsageCrashLosesLastBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), UsageFileName)
	old := saveDelay
	saveDelay = time.Hour // no batched save during the test
	t.Cleanup(func() { saveDelay = old })
	u := openUsage(path, usageDay, discard())
	u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 1})
	u.flush()
	u.add("t", usageDay, &openai.Usage{PromptTokens: 1}, bedrock.Cost{USD: 2})
	// The process dies here: u is never saved again.
	again := openUsage(path, usageDay, discard())
	if td := again.tierDay("t", usageDay); td.Requests != 1 || td.USD != 1 || again.problem() != "" {
		t.Errorf("after the crash: %+v, problem %q; want the first batch ($1) only", td, again.problem())
	}
	u.timer.Stop()
}
