//go:build !unix && !windows

package server

// lockUsageFile is a no-op where llmstack knows no file lock: saves of
// two processes at once may then lose one's batch.
func lockUsageFile(string) (unlock func(), err error) { return func() {}, nil }
