package bedrock

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"
)

// Timeouts of the Bedrock HTTP client. Connecting must be quick; a model may
// think for minutes before its first byte, and a stream may pause between
// events, so reads get a generous allowance.
const (
	ConnectTimeout = 10 * time.Second
	ReadTimeout    = 10 * time.Minute
	// MaxAttempts is the SDK's standard retry budget: the call and one retry.
	MaxAttempts = 2
)

// ClientKey identifies one Bedrock client: tiers sharing profile, region and
// endpoint share a client (and its credential cache and connections).
type ClientKey struct {
	Profile  string // "" is the SDK's default credential chain
	Region   string // "" is the profile's or environment's region
	Endpoint string // "" is the regional Bedrock endpoint
}

// Clients builds Bedrock clients on first use and keeps them. All clients
// share one HTTP client, so connections are pooled across tiers.
type Clients struct {
	http *awshttp.BuildableClient
	// load reads a profile's configuration: LoadAWSConfig, or a stand-in
	// in tests of the cache itself.
	load func(ctx context.Context, profile, region string, httpClient *awshttp.BuildableClient) (aws.Config, error)

	mu      sync.Mutex
	clients map[ClientKey]*clientEntry
}

// clientEntry is one client, or the build of it under way: ready closes
// when cl or err is set.
type clientEntry struct {
	ready chan struct{}
	cl    *RuntimeClient
	err   error
}

// NewClients returns an empty client cache.
func NewClients() *Clients {
	return &Clients{http: newHTTPClient(), load: LoadAWSConfig, clients: map[ClientKey]*clientEntry{}}
}

// Get returns the client for key, building it (which reads the AWS config
// files) the first time. Concurrent first requests for one key share one
// build, and a slow build for one profile does not hold up the others. A
// failed build is not kept: the next request tries again, so fixing the
// profile needs no restart.
func (c *Clients) Get(ctx context.Context, key ClientKey) (*RuntimeClient, error) {
	c.mu.Lock()
	e, ok := c.clients[key]
	if !ok {
		e = &clientEntry{ready: make(chan struct{})}
		c.clients[key] = e
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-e.ready:
			return e.cl, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() {
		// Whatever happens (a panic included), waiters are released and a
		// failed build is forgotten.
		if e.cl == nil && e.err == nil {
			e.err = fmt.Errorf("building the Bedrock client for %+v failed", key)
		}
		if e.err != nil {
			c.mu.Lock()
			if c.clients[key] == e {
				delete(c.clients, key)
			}
			c.mu.Unlock()
		}
		close(e.ready)
	}()
	// The build is shared: one caller going away must not fail the others.
	e.cl, e.err = c.build(context.WithoutCancel(ctx), key)
	return e.cl, e.err
}

func (c *Clients) build(ctx context.Context, key ClientKey) (*RuntimeClient, error) {
	cfg, err := c.load(ctx, key.Profile, key.Region, c.http)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, &ConfigError{Profile: key.Profile, Problem: "no AWS region: set aws_region in models.ini, region in the profile, or AWS_REGION"}
	}
	return NewRuntimeClient(cfg, key.Endpoint), nil
}

// RuntimeClient is a Bedrock runtime client with the SDK's two flaws under
// load worked around: its request bodies are owned by the wire
// (ownedBodyClient) and each stream decodes with its own protocol
// (ownProtocol). Only the calls llmstack makes are exposed, so none can go
// around the fixes.
type RuntimeClient struct {
	sdk *bedrockruntime.Client
}

// NewRuntimeClient is the one way to build a Bedrock runtime client, for
// the router, the health checks and the benchmark alike: the SDK's client
// for cfg, sending to endpoint ("" for the regional Bedrock endpoint).
func NewRuntimeClient(cfg aws.Config, endpoint string) *RuntimeClient {
	return &RuntimeClient{sdk: bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		if o.HTTPClient == nil {
			o.HTTPClient = awshttp.NewBuildableClient()
		}
		o.HTTPClient = ownedBodyClient{o.HTTPClient}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Converse makes a Converse call.
func (c *RuntimeClient) Converse(ctx context.Context, in *bedrockruntime.ConverseInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error) {
	return c.sdk.Converse(ctx, in, optFns...)
}

// ConverseStream makes a ConverseStream call, decoded by a protocol of its
// own.
func (c *RuntimeClient) ConverseStream(ctx context.Context, in *bedrockruntime.ConverseStreamInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseStreamOutput, error) {
	return c.sdk.ConverseStream(ctx, in, append(optFns, ownProtocol)...)
}

// InvokeModel makes an InvokeModel call (Anthropic's Messages body).
func (c *RuntimeClient) InvokeModel(ctx context.Context, in *bedrockruntime.InvokeModelInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error) {
	return c.sdk.InvokeModel(ctx, in, optFns...)
}

// InvokeModelWithResponseStream makes an InvokeModelWithResponseStream
// call, decoded by a protocol of its own as ConverseStream is.
func (c *RuntimeClient) InvokeModelWithResponseStream(ctx context.Context, in *bedrockruntime.InvokeModelWithResponseStreamInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelWithResponseStreamOutput, error) {
	return c.sdk.InvokeModelWithResponseStream(ctx, in, append(optFns, ownProtocol)...)
}

// CountTokens makes a CountTokens call.
func (c *RuntimeClient) CountTokens(ctx context.Context, in *bedrockruntime.CountTokensInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.CountTokensOutput, error) {
	return c.sdk.CountTokens(ctx, in, optFns...)
}

// Options returns a copy of the client's configuration.
func (c *RuntimeClient) Options() bedrockruntime.Options { return c.sdk.Options() }

// ownProtocol gives one ConverseStream call its own protocol instance.
// smithy-go's restJson1 protocol decodes the event streams of all calls of
// a client with one shared codec (a lazily built decoder and a shared
// payload buffer, written without a lock), which the race detector reports
// as soon as two streams run at once; a protocol per stream shares
// nothing. Upstream: https://github.com/aws/smithy-go/issues/714 (open
// when this was written; drop this once a fixed smithy-go is in go.mod).
func ownProtocol(o *bedrockruntime.Options) {
	o.Protocol = restjson1.New(schemas.AmazonBedrockFrontendService)
}

// Forget drops every cached client, so the next request re-reads the AWS
// config files (after models.ini or a profile changed). Builds under way
// finish for the requests waiting on them.
func (c *Clients) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.clients)
}

// LoadAWSConfig loads the shared AWS configuration for a profile ("" for the
// default chain) the way the AWS CLI does: SSO, role chaining and
// credential_process all work. Getting the credentials is bounded by
// CheckTimeout, and a credential_process helper's output stays out of the
// router's own.
func LoadAWSConfig(ctx context.Context, profile, region string, httpClient *awshttp.BuildableClient) (aws.Config, error) {
	helperUnderRole, useHelper := useProcessHelper()
	opts := []func(*config.LoadOptions) error{
		config.WithLogger(sdkLogger),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = MaxAttempts })
		}),
		helperUnderRole,
	}
	if httpClient != nil {
		opts = append(opts, config.WithHTTPClient(httpClient))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &ConfigError{Profile: profile, Err: err}
	}
	if cfg.Credentials == nil {
		return cfg, nil
	}
	kind := kindOf(cfg.Credentials)
	useHelper(&cfg)
	cfg.Credentials = &profileCredentials{
		profile:           profile,
		kind:              kind,
		helperProfile:     rootProfile(&cfg).Profile,
		roleWithoutSource: roleWithoutSource(&cfg),
		inner:             cfg.Credentials,
		timeout:           credentialTimeout,
	}
	return cfg, nil
}

// credentialKindOf is the kind of the credentials a client signs with.
func credentialKindOf(p aws.CredentialsProvider) credentialKind {
	if pc, ok := p.(*profileCredentials); ok {
		return pc.kind
	}
	return kindOf(p)
}

// sdkLogger sends what the SDK says (retries, "falling back to IMDSv1" on
// a machine without credentials) to the process's slog logger at debug
// level, instead of raw lines on stderr: the router reports the failures
// that matter itself.
var sdkLogger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
	slog.Debug(fmt.Sprintf(format, v...), "source", "aws-sdk", "class", string(c))
})

// ConfigError is a failure to load an AWS profile's configuration.
type ConfigError struct {
	Profile string
	Problem string
	Err     error
}

func (e *ConfigError) Error() string {
	what := "default AWS credential chain"
	if e.Profile != "" {
		what = fmt.Sprintf("AWS profile %q", e.Profile)
	}
	if e.Err != nil {
		return fmt.Sprintf("loading %s: %v", what, e.Err)
	}
	return fmt.Sprintf("%s: %s", what, e.Problem)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// newHTTPClient is the HTTP client all Bedrock clients start from. It is
// the SDK's buildable client so the SDK can still apply a custom CA bundle
// (AWS_CA_BUNDLE, ca_bundle); its read timeout resets on every byte, so it
// only fails a connection that has gone silent.
func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = ConnectTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = ConnectTimeout
			t.ResponseHeaderTimeout = ReadTimeout
			t.MaxIdleConns = 1024
			t.MaxIdleConnsPerHost = 1024
			t.MaxConnsPerHost = 0
		}).
		WithReadTimeout(ReadTimeout)
}

// ownedBodyClient gives the wire its own copy of the request body.
// (The symptom, "use of closed network connection" under a response, and
// the SDK's early Close of the request body are discussed upstream in
// https://github.com/aws/aws-sdk-go-v2/issues/2737; its fix, retrying the
// error, does not apply to a stream already relayed to a client.)
//
// The SDK closes the request body as soon as the round trip returns, but on
// HTTP/1.1 the transport's write loop may still be reading it; the write
// then fails and the transport closes the connection under a response that
// is still streaming ("decode event: ... use of closed network
// connection"). With a private buffered copy (and GetBody for rewinds) the
// SDK's Close cannot reach the bytes being written.
type ownedBodyClient struct{ inner aws.HTTPClient }

func (c ownedBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return c.inner.Do(req)
	}
	var buf bytes.Buffer
	if req.ContentLength > 0 {
		buf.Grow(int(req.ContentLength))
	}
	_, err := buf.ReadFrom(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	body := buf.Bytes()
	out := *req
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	return c.inner.Do(&out)
}
