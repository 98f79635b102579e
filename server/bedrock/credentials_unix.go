//go:build unix

package bedrock

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// helperCommand runs a credential_process command the way the AWS CLI
// does (sh -c), in a process group of its own: when ctx ends, the helper
// and everything it started are killed, and Wait does not then wait for a
// child that still holds the helper's output open.
func helperCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd
}
