package tiers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/llmstack/llmstack/assets"
)

// ConfigEnv names the environment variable that points at models.ini.
const ConfigEnv = "LLMSTACK_CONFIG"

// ResolvePath picks the models.ini to use: the --config flag, else
// $LLMSTACK_CONFIG, else <user config dir>/llmstack/models.ini. Only the last
// is created (from the embedded default) when missing; created says so.
// The path is made absolute, so what is shown is the file that is read
// wherever the router runs from; a file that is missing or cannot be
// examined is a *ReadError.
func ResolvePath(flagPath string) (path string, created bool, err error) {
	for _, c := range []struct{ path, from string }{{flagPath, "--config"}, {os.Getenv(ConfigEnv), "$" + ConfigEnv}} {
		if c.path == "" {
			continue
		}
		path := c.path
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if _, err := os.Stat(path); err != nil {
			return path, false, &ReadError{Path: path, From: c.from, Err: err}
		}
		return path, false, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", false, fmt.Errorf("finding the user config directory (use --config or %s): %w", ConfigEnv, err)
	}
	path = filepath.Join(dir, "llmstack", "models.ini")
	if _, err := os.Stat(path); err == nil {
		return path, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return path, false, &ReadError{Path: path, Err: err}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return path, false, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, assets.DefaultModelsINI, 0o644); err != nil {
		return path, false, fmt.Errorf("writing the default models.ini: %w", err)
	}
	return path, true, nil
}
