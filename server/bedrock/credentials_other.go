//go:build !unix

package bedrock

import (
	"context"
	"os/exec"
	"time"
)

// helperCommand runs a credential_process command the way the AWS CLI
// does (cmd.exe /C). When ctx ends the helper is killed, and Wait does not
// then wait for a child that still holds the helper's output open.
func helperCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "cmd.exe", "/C", command)
	cmd.WaitDelay = time.Second
	return cmd
}
