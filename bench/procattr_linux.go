package bench

import "syscall"

// childAttr makes a child die with the benchmark (even if it is killed)
// and puts it in its own process group.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
