package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running: a stream relay, a watcher or a server that outlives its test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
