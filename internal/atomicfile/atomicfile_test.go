package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name   string
		before string // "" for no file
		perm   fs.FileMode
	}{
		{"new file", "", 0o600},
		{"replaces", "old content that is longer than the new\n", 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if tt.before != "" {
				if err := os.WriteFile(path, []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(path, []byte("new\n"), tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != "new\n" {
				t.Fatalf("content %q, %v", got, err)
			}
			if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != tt.perm {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tt.perm)
			}
			// No temporary file is left beside it.
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("files in the directory: %v", entries)
			}
		})
	}
}

// TestWriteFails: a failed write leaves the old file whole, no temporary
// file behind, and an error that names no temporary file.
func TestWriteFails(t *testing.T) {
	t.Run("no directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "f")
		err := Write(path, []byte("x"), 0o600)
		if err == nil || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("err = %v; want one that names no temporary file", err)
		}
	})
	t.Run("target is a directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "inside"), []byte("kept"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := Write(path, []byte("x"), 0o600)
		if err == nil || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("err = %v; want one that names no temporary file", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("files left: %v", entries)
		}
		if got, _ := os.ReadFile(filepath.Join(path, "inside")); string(got) != "kept" {
			t.Error("what was there was not kept")
		}
	})
}

// TestWriteTemporaryNamesDiffer: two writers of one file at once never
// share a temporary file (a fixed name would let one rename the other's
// half-written file into place).
func TestWriteTemporaryNamesDiffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	done := make(chan error, 2)
	for _, content := range []string{strings.Repeat("a", 1<<20), strings.Repeat("b", 1<<20)} {
		go func() { done <- Write(path, []byte(content), 0o600) }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	if len(got) != 1<<20 || strings.Trim(string(got), string(got[:1])) != "" {
		t.Errorf("the file is a mix of the two writes (%d bytes)", len(got))
	}
}
