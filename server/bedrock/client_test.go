package bedrock

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
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
	got := make([]*RuntimeClient, n)
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

// TestClientsSlowBuild checks that a profile whose configuration is slow to
// load holds up neither other profiles nor callers that give up, and that
// a build that panics releases its waiters.
func TestClientsSlowBuild(t *testing.T) {
	awsFiles(t, "[profile fast]\nregion = us-east-1\n")
	c := NewClients()
	release := make(chan struct{})
	entered := make(chan struct{})
	c.load = func(ctx context.Context, profile, region string, h *awshttp.BuildableClient) (aws.Config, error) {
		switch profile {
		case "slow":
			close(entered)
			<-release
		case "broken":
			panic("loading exploded")
		}
		return LoadAWSConfig(ctx, profile, region, h)
	}

	slowDone := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), ClientKey{Profile: "slow", Region: "us-west-2"})
		slowDone <- err
	}()
	<-entered

	if _, err := c.Get(context.Background(), ClientKey{Profile: "fast"}); err != nil {
		t.Fatalf("another profile while one loads: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, ClientKey{Profile: "slow", Region: "us-west-2"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiter whose context ends: got %v, want %v", err, context.DeadlineExceeded)
	}
	close(release)
	if err := <-slowDone; err == nil || !errors.As(err, new(*ConfigError)) {
		t.Errorf("the slow profile does not exist; got %v, want a ConfigError", err)
	}

	func() {
		defer func() { _ = recover() }()
		_, _ = c.Get(context.Background(), ClientKey{Profile: "broken"})
	}()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	func() {
		defer func() { _ = recover() }()
		_, err := c.Get(ctx2, ClientKey{Profile: "broken"})
		if errors.Is(err, context.DeadlineExceeded) {
			t.Error("a build that panicked left its key blocked")
		}
	}()
}

// testRuntime is a runtime client for the fake at url, built as the router
// builds its own.
func testRuntime(url string, hc aws.HTTPClient) *RuntimeClient {
	return NewRuntimeClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "not-a-secret", ""),
		HTTPClient:  hc,
	}, url)
}

// TestRuntimeClientConcurrentStreams runs streams at once on one client.
// Under -race it fails unless each stream decodes with its own protocol
// (the SDK's shared event stream codec races).
func TestRuntimeClientConcurrentStreams(t *testing.T) {
	srv := httptest.NewServer(fakebedrock.New(fakebedrock.Options{}))
	defer srv.Close()
	client := testRuntime(srv.URL, nil)
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String("m"), Messages: msgs})
			if err != nil {
				t.Error(err)
				return
			}
			events := out.GetStream()
			defer events.Close()
			n := 0
			for range events.Events() {
				n++
			}
			if err := events.Err(); err != nil || n == 0 {
				t.Errorf("stream: %d events, error %v", n, err)
			}
		})
	}
	wg.Wait()
}

// lateReader is an HTTP client that answers at once and reads the request
// body only after the SDK has got its answer, as net/http's write loop may
// on HTTP/1.1.
type lateReader struct {
	mu   sync.Mutex
	body io.ReadCloser
}

func (l *lateReader) Do(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.body = r.Body
	l.mu.Unlock()
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`)),
		Request:    r,
	}, nil
}

// TestRuntimeClientOwnsTheRequestBody checks that the SDK closing the
// request body when its call returns does not take the bytes away from a
// wire still writing them.
func TestRuntimeClientOwnsTheRequestBody(t *testing.T) {
	hc := &lateReader{}
	client := testRuntime("http://bedrock.invalid", hc)
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hello there"}}}}
	if _, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("m"), Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	got, err := io.ReadAll(hc.body)
	if err != nil || !strings.Contains(string(got), "hello there") {
		t.Errorf("reading the body after the call returned: %q, %v; want the whole request", got, err)
	}
}
