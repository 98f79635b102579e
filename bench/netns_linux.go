package bench

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// NetnsEnv marks the copy of the benchmark that runs inside its own
// network namespace.
const NetnsEnv = "LLMSTACK_BENCH_NETNS"

// CanUnshare reports whether `unshare -n` can make a private network
// namespace here (it needs root, or CAP_SYS_ADMIN).
func CanUnshare() bool {
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "unshare", "-n", "true").Run() == nil
}

// InNetns re-runs this program with args inside a new network namespace
// and returns its exit code.
func InNetns(args []string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	cmd := exec.Command("unshare", append([]string{"-n", "--", self}, args...)...)
	cmd.Env = append(os.Environ(), NetnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// BringUpLoopback sets the loopback interface of the current network
// namespace up (a new namespace starts with it down), like
// `ip link set lo up`.
func BringUpLoopback() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	// struct ifreq: 16 bytes of name, then the flags (a short).
	var ifr [40]byte
	copy(ifr[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	flags := *(*uint16)(unsafe.Pointer(&ifr[16]))
	*(*uint16)(unsafe.Pointer(&ifr[16])) = flags | syscall.IFF_UP | syscall.IFF_RUNNING
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		return e
	}
	return nil
}
