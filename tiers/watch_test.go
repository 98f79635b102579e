package tiers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func tierINI(model string) string {
	return fmt.Sprintf("[code-fast]\nrole = fast\naws_model_id = %s\n", model)
}

// watchDir starts a watcher on dir/models.ini (written with model-0) and
// returns the reloads it reports.
func watchDir(t *testing.T, debounce time.Duration) (path string, reloads chan Reload) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "models.ini")
	if err := os.WriteFile(path, []byte(tierINI("model-0")), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reloads = make(chan Reload, 100)
	if err := Watch(ctx, path, debounce, func(r Reload) { reloads <- r }); err != nil {
		t.Fatal(err)
	}
	return path, reloads
}

// next waits for the next reload.
func next(t *testing.T, reloads chan Reload) Reload {
	t.Helper()
	select {
	case r := <-reloads:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
		return Reload{}
	}
}

func modelOf(r Reload) string {
	if r.Config == nil || len(r.Config.Tiers) == 0 {
		return ""
	}
	return r.Config.Tiers[0].Bedrock.ModelID
}

// TestWatchSavePatterns saves models.ini the ways real editors do and
// expects exactly the new content to be reported.
func TestWatchSavePatterns(t *testing.T) {
	tests := []struct {
		name string
		save func(t *testing.T, path, content string)
	}{
		{"in-place truncate and write", func(t *testing.T, path, content string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Sync()
			f.WriteString(content[:10])
			f.WriteString(content[10:])
			f.Close()
		}},
		{"atomic rename over (VS Code, vim)", func(t *testing.T, path, content string) {
			tmp := path + ".tmp1234"
			write(t, tmp, content)
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"rename away then create (JetBrains safe write, vim backupcopy=no)", func(t *testing.T, path, content string) {
			if err := os.Rename(path, path+"~"); err != nil {
				t.Fatal(err)
			}
			write(t, path, content)
			os.Remove(path + "~")
		}},
		{"delete then recreate", func(t *testing.T, path, content string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			write(t, path, content)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, reloads := watchDir(t, 100*time.Millisecond)
			for i := 1; i <= 3; i++ {
				want := fmt.Sprintf("model-%d", i)
				tt.save(t, path, tierINI(want))
				r := next(t, reloads)
				if r.Err != nil || modelOf(r) != want {
					t.Fatalf("save %d: reload = %v, %q; want %q", i, r.Err, modelOf(r), want)
				}
			}
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWatchDebounce writes the file many times in a burst: the watcher
// reports fewer reloads than writes, the last one with the final content.
func TestWatchDebounce(t *testing.T) {
	path, reloads := watchDir(t, 300*time.Millisecond)
	const writes = 20
	for i := 1; i <= writes; i++ {
		write(t, path, tierINI(fmt.Sprintf("model-%d", i)))
	}
	r := next(t, reloads)
	for modelOf(r) != fmt.Sprintf("model-%d", writes) {
		r = next(t, reloads)
	}
	if n := len(reloads); n != 0 {
		t.Errorf("%d more reloads after the final content", n)
	}
}

// TestWatchSkipsUnchanged rewrites identical content: no reload.
func TestWatchSkipsUnchanged(t *testing.T) {
	path, reloads := watchDir(t, 50*time.Millisecond)
	write(t, path, tierINI("model-0")) // same as before
	write(t, path, tierINI("model-1")) // then a real change
	if r := next(t, reloads); modelOf(r) != "model-1" {
		t.Errorf("first reload = %q, want model-1 (the unchanged write must not reload)", modelOf(r))
	}
}

// TestWatchBadEdit reports a broken file as an error (the caller keeps its
// config), then the fix as a new config.
func TestWatchBadEdit(t *testing.T) {
	path, reloads := watchDir(t, 50*time.Millisecond)
	write(t, path, "[code-fast]\nbackend = bedrock\n")
	r := next(t, reloads)
	if r.Config != nil || r.Err == nil || !strings.Contains(r.Err.Error(), "[code-fast] aws_model_id: missing") {
		t.Fatalf("bad edit: %+v", r)
	}
	os.Remove(path)
	r = next(t, reloads)
	if r.Config != nil || r.Err == nil || !strings.Contains(r.Err.Error(), "was removed") {
		t.Fatalf("removed file: %+v", r)
	}
	write(t, path, tierINI("model-fixed"))
	if r := next(t, reloads); r.Err != nil || modelOf(r) != "model-fixed" {
		t.Fatalf("fixed file: %v %q", r.Err, modelOf(r))
	}
}

// TestWatchSymlink edits the target of a symlinked models.ini, as dotfile
// managers set it up.
func TestWatchSymlink(t *testing.T) {
	dotfiles, config := t.TempDir(), t.TempDir()
	target := filepath.Join(dotfiles, "models.ini")
	write(t, target, tierINI("model-0"))
	link := filepath.Join(config, "models.ini")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloads := make(chan Reload, 10)
	if err := Watch(ctx, link, 50*time.Millisecond, func(r Reload) { reloads <- r }); err != nil {
		t.Fatal(err)
	}
	write(t, target, tierINI("model-1"))
	if r := next(t, reloads); modelOf(r) != "model-1" {
		t.Errorf("reload after editing the symlink target = %q", modelOf(r))
	}
}
