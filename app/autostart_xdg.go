//go:build linux || freebsd || openbsd || netbsd

package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// autostartPath is $XDG_CONFIG_HOME/autostart/llmstack.desktop
// (~/.config when XDG_CONFIG_HOME is unset, as the specification says).
func autostartPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the autostart folder: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", "llmstack.desktop"), nil
}

func startAtLogin() (bool, error) {
	path, err := autostartPath()
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return desktopEntryEnabled(string(data)), nil
}

func setStartAtLogin(on bool) error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	if !on {
		return removeLoginFile(path)
	}
	exe, err := executable()
	if err != nil {
		return err
	}
	entry, err := desktopEntry(exe)
	if err != nil {
		return err
	}
	return writeLoginFile(path, entry)
}
