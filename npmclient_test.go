package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// installNPMClient installs the npm package pkg at version into a cache
// directory kept across runs, and returns the path of its executable bin.
// It is the one way the end-to-end tests get the coding agents they run.
// Without npm the test is skipped, unless CI=true.
func installNPMClient(t *testing.T, pkg, version, bin string) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npm is not installed (scripts/install-deps.sh installs it)")
		}
		t.Skipf("npm is not installed; the test installs %s with it", pkg)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	prefix := filepath.Join(cache, "llmstack-test", bin+"-"+version)
	path := filepath.Join(prefix, "node_modules", ".bin", bin)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", pkg+"@"+version)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install %s@%s: %v\n%s", pkg, version, err, out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("npm installed %s@%s, but not %s", pkg, version, path)
	}
	return path
}
