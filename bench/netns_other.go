//go:build !linux

package bench

import "errors"

// NetnsEnv marks the copy of the benchmark that runs inside its own
// network namespace.
const NetnsEnv = "LLMSTACK_BENCH_NETNS"

// CanUnshare is false off Linux.
func CanUnshare() bool { return false }

// InNetns is Linux-only.
func InNetns([]string) (int, error) { return 1, errors.New("network namespaces are Linux-only") }

// BringUpLoopback is Linux-only.
func BringUpLoopback() error { return errors.New("network namespaces are Linux-only") }
