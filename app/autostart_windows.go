package app

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// runKey is where Windows keeps the programs that start at the user's
// login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

func startAtLogin() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf(`cannot read HKCU\%s: %w`, runKey, err)
	}
	defer k.Close()
	_, _, err = k.GetStringValue(runValueName)
	switch {
	case errors.Is(err, registry.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf(`cannot read HKCU\%s\%s: %w`, runKey, runValueName, err)
	}
	return true, nil
}

func setStartAtLogin(on bool) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf(`cannot open HKCU\%s: %w`, runKey, err)
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue(runValueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf(`cannot remove HKCU\%s\%s: %w`, runKey, runValueName, err)
		}
		return nil
	}
	exe, err := executable()
	if err != nil {
		return err
	}
	if err := k.SetStringValue(runValueName, runValue(exe)); err != nil {
		return fmt.Errorf(`cannot write HKCU\%s\%s: %w`, runKey, runValueName, err)
	}
	return nil
}
