//go:build unix

package server

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockUsageFile takes the advisory lock that orders the usage file's
// saves between llmstack processes: flock on a lock file beside it (the
// usage file itself is replaced on every save, so it cannot hold the
// lock). The lock goes with the process if it dies.
func lockUsageFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
