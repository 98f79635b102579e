//go:build !linux

package trayhost

import "os/exec"

// killWithParent does nothing here: Start skips the test on systems other
// than Linux.
func killWithParent(cmd *exec.Cmd) {}
