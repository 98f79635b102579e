// Package atomicfile replaces files whole: the one way llmstack writes a
// file another program (or a later llmstack) reads — the usage file,
// opencode.json, the autostart entry.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data: written to a temporary file of a unique
// name in the same directory, synced, then renamed over path, so a reader
// (or a crash) sees the old file or the new one, never half of one. The
// file gets exactly perm (no umask). The directory must exist. Errors name no temporary file: the caller names
// path.
func Write(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return unwrapPath(err)
	}
	name := tmp.Name()
	defer os.Remove(name) // fails harmlessly once renamed
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return unwrapPath(err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return unwrapPath(err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return unwrapPath(err)
	}
	if err := tmp.Close(); err != nil {
		return unwrapPath(err)
	}
	if err := os.Rename(name, path); err != nil {
		return unwrapPath(err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename itself durable where the system allows it (on
// Windows a directory cannot be synced; the rename is then as durable as
// the file system makes it).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// unwrapPath drops the *fs.PathError around err, whose path would be the
// temporary file's.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
