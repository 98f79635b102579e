package server

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// lockedBuffer is a log sink many goroutines write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestBudgetCrossedOnce records answers of one tier from many goroutines
// at once (run with -race): the 80 % and the 100 % crossings of its daily
// budget are each reported exactly once, however the answers interleave.
func TestBudgetCrossedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "models.ini")
	ini := "[t]\nrole = fast\naws_model_id = some-model-v1\ndaily_budget_usd = 1\nprice_input_per_mtok = 1\nprice_output_per_mtok = 1\n"
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := tiers.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tier := cfg.Lookup("t")
	for round := range 200 {
		logs := &lockedBuffer{}
		s := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Clock: func() time.Time { return usageDay }})
		var wg sync.WaitGroup
		// 150 answers of $0.01: 80 % is crossed by the 80th, 100 % by
		// the 100th.
		for range 150 {
			wg.Go(func() { s.recordSpend(tier, "some-model-v1", &openai.Usage{PromptTokens: 10_000}) })
		}
		wg.Wait()
		out := logs.String()
		near, reached := strings.Count(out, `msg="daily budget 80% spent"`), strings.Count(out, `msg="daily budget spent"`)
		if near != 1 || reached != 1 {
			t.Fatalf("round %d: 80 %% reported %d times, 100 %% %d times; want once each. Log:\n%s", round, near, reached, out)
		}
	}
}
