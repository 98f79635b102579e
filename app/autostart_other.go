//go:build !linux && !freebsd && !openbsd && !netbsd && !darwin && !windows

package app

import (
	"fmt"
	"runtime"
)

func startAtLogin() (bool, error) {
	return false, fmt.Errorf("start at login is not supported on %s", runtime.GOOS)
}

func setStartAtLogin(bool) error {
	return fmt.Errorf("start at login is not supported on %s", runtime.GOOS)
}
