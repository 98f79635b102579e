package tiers

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running (a watcher that outlives its Close, say).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
