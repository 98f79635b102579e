package server_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running: a stream relay, a watcher or a server that outlives its test.
func TestMain(m *testing.M) {
	code := m.Run()
	// Many tests use http.DefaultClient; the keep-alive connections it
	// keeps are the client's, not a goroutine a test left behind. A server
	// still running on the other end would still be found below.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
