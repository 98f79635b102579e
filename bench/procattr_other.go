//go:build !linux

package bench

import "syscall"

// childAttr puts a child in its own process group. (The benchmark reads
// /proc and runs on Linux; this keeps the package building elsewhere.)
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
