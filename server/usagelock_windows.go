//go:build windows

package server

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockUsageFile takes the lock that orders the usage file's saves between
// llmstack processes: LockFileEx on a lock file beside it (the usage file
// itself is replaced on every save, so it cannot hold the lock). The lock
// goes with the process if it dies.
func lockUsageFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	h := windows.Handle(f.Fd())
	ol := new(windows.Overlapped)
	if err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, ol); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = windows.UnlockFileEx(h, 0, 1, 0, ol)
		f.Close()
	}, nil
}
