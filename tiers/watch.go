package tiers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long the watcher waits after the last change
// before reading the file: editors save in several steps.
const DefaultDebounce = 150 * time.Millisecond

// Reload is what the watcher found after a change: a new config, or why
// the file could not be used (the caller keeps its last good config).
type Reload struct {
	Config *Config
	Err    error
}

// Watch watches models.ini at path and calls onReload after each change
// that leaves the file with new content, until ctx ends. It watches the
// file's directory, not the file, so it survives every way editors save:
// writing in place, renaming a temporary file over it, renaming it away and
// creating a new one, or deleting and recreating it. A models.ini that is a
// symlink is followed to its target's directory too. Watch returns once the
// watch is set up; onReload runs on the watcher's goroutine.
func Watch(ctx context.Context, path string, debounce time.Duration, onReload func(Reload)) error {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("watching models.ini: %w", err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching models.ini: %w", err)
	}
	fw := &fileWatcher{path: abs, w: w, watched: map[string]bool{}}
	if err := fw.watchDirs(); err != nil {
		w.Close()
		return err
	}
	fw.last, _ = os.ReadFile(abs)
	go fw.loop(ctx, debounce, onReload)
	return nil
}

type fileWatcher struct {
	path    string // absolute path as given
	w       *fsnotify.Watcher
	watched map[string]bool // directories being watched
	names   map[string]bool // paths whose events matter: path and its symlink target
	last    []byte
}

// watchDirs watches the directory of the file and, when it is a symlink,
// of its target.
func (fw *fileWatcher) watchDirs() error {
	fw.names = map[string]bool{fw.path: true}
	if target, err := filepath.EvalSymlinks(fw.path); err == nil && target != fw.path {
		fw.names[target] = true
	}
	for name := range fw.names {
		dir := filepath.Dir(name)
		if fw.watched[dir] {
			continue
		}
		if err := fw.w.Add(dir); err != nil {
			return fmt.Errorf("watching %s: %w", dir, err)
		}
		fw.watched[dir] = true
	}
	return nil
}

func (fw *fileWatcher) loop(ctx context.Context, debounce time.Duration, onReload func(Reload)) {
	defer fw.w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-fw.w.Events:
			if !ok {
				return
			}
			if fw.names[filepath.Clean(ev.Name)] {
				timer.Reset(debounce)
			}
		case err, ok := <-fw.w.Errors:
			if !ok {
				return
			}
			onReload(Reload{Err: fmt.Errorf("watching %s: %w", fw.path, err)})
		case <-timer.C:
			if r, changed := fw.read(); changed {
				onReload(r)
			}
			// A symlink may now point elsewhere.
			_ = fw.watchDirs()
		}
	}
}

// read loads the file after a change; changed is false when its content is
// what was last seen.
func (fw *fileWatcher) read() (Reload, bool) {
	data, err := os.ReadFile(fw.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fw.last = nil
			return Reload{Err: fmt.Errorf("%s was removed; still serving the last good models.ini until it is back", fw.path)}, true
		}
		return Reload{Err: &ReadError{Path: fw.path, Err: err}}, true
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// An editor that truncates and then writes is between the two;
		// the write will come with its own event.
		return Reload{}, false
	}
	if fw.last != nil && bytes.Equal(data, fw.last) {
		return Reload{}, false
	}
	fw.last = data
	cfg, err := Parse(fw.path, data)
	return Reload{Config: cfg, Err: err}, true
}
