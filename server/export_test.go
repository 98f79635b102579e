package server

import (
	"testing"
	"time"
)

// SetBodyReadBounds lowers how long a request body may take, for one
// test; the bounds are restored when it ends.
func SetBodyReadBounds(t testing.TB, grace time.Duration, minRate int64) {
	oldGrace, oldRate := bodyReadGrace, bodyMinRate
	bodyReadGrace, bodyMinRate = grace, minRate
	t.Cleanup(func() { bodyReadGrace, bodyMinRate = oldGrace, oldRate })
}
