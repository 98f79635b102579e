package trayhost

import (
	"os/exec"
	"syscall"
)

// killWithParent makes the kernel kill cmd's process if the test process
// dies without running its cleanups (a `go test -timeout` panic, a SIGKILL),
// so no Xvfb, dbus-daemon or app under test is left behind.
func killWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
