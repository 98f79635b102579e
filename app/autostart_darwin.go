package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// launchAgentPath is ~/Library/LaunchAgents/<label>.plist, which launchd
// reads at every login.
func launchAgentPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the LaunchAgents folder: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel+".plist"), nil
}

func startAtLogin() (bool, error) {
	path, err := launchAgentPath()
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return true, nil
}

func setStartAtLogin(on bool) error {
	path, err := launchAgentPath()
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
	return writeLoginFile(path, launchAgentPlist(exe))
}
