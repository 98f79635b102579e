package bedrock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// awsFiles points the SDK at a temporary AWS config file holding config and
// at an empty credentials file, and returns the config file's path.
func awsFiles(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(v, "")
	}
	return cfg
}

// TestClientsShareOneClientPerKey checks that concurrent first requests
// for one (profile, region, endpoint) get one client, and other keys their
// own.
func TestClientsShareOneClientPerKey(t *testing.T) {
	awsFiles(t, "[profile work]\nregion = us-east-1\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n")
	c := NewClients()
	key := ClientKey{Profile: "work", Region: "us-west-2", Endpoint: "http://127.0.0.1:1"}
	const n = 16
	got := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cl, err := c.Get(context.Background(), key)
			if err != nil {
				t.Error(err)
			}
			got[i] = cl
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if got[i] != got[0] || got[i] == nil {
			t.Fatalf("caller %d got client %p, caller 0 got %p", i, got[i], got[0])
		}
	}
	other, err := c.Get(context.Background(), ClientKey{Profile: "work"})
	if err != nil {
		t.Fatal(err)
	}
	if other == got[0] {
		t.Error("a different key got the same client")
	}
	if r := other.Options().Region; r != "us-east-1" {
		t.Errorf("region from the profile = %q, want us-east-1", r)
	}
	c.Forget()
	again, err := c.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if again == got[0] {
		t.Error("Forget kept the client")
	}
}

// TestClientsRetryAfterAFailedBuild checks that a profile that could not be
// loaded is tried again on the next request, so fixing it needs no restart.
func TestClientsRetryAfterAFailedBuild(t *testing.T) {
	cfg := awsFiles(t, "[profile other]\nregion = us-east-1\n")
	c := NewClients()
	key := ClientKey{Profile: "work"}
	_, err := c.Get(context.Background(), key)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Profile != "work" {
		t.Fatalf("missing profile: got %v, want a ConfigError for work", err)
	}
	if err := os.WriteFile(cfg, []byte("[profile work]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cl, err := c.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("after the profile was added: %v", err)
	}
	if r := cl.Options().Region; r != "eu-west-1" {
		t.Errorf("region = %q, want eu-west-1", r)
	}
}

// TestClientsNeedARegion checks the error when neither the tier, the
// profile nor the environment names a region.
func TestClientsNeedARegion(t *testing.T) {
	awsFiles(t, "[profile work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n")
	_, err := NewClients().Get(context.Background(), ClientKey{Profile: "work"})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Problem == "" {
		t.Fatalf("got %v, want a ConfigError naming the missing region", err)
	}
}
