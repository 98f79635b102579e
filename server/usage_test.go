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
	// Written by rename: no temporary file is left beside it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 || entries[0].Name() != UsageFileName {
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
		if p := u.problem(); p != "" {
			t.Errorf("problem after a good write: %q", p)
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
