package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llmstack/llmstack/server/bedrock"
)

// CallFunc makes one request and reads the whole answer; buf is the
// worker's scratch buffer.
type CallFunc func(ctx context.Context, buf *bytes.Buffer) error

// StreamFunc makes one streaming request and times its chunks.
type StreamFunc func(ctx context.Context) StreamResult

// StreamResult is what a client saw of one stream.
type StreamResult struct {
	// TTFT is the time from sending the request to the first text chunk.
	TTFT time.Duration
	// Gaps are the times between consecutive text chunks.
	Gaps []time.Duration
	// Latency is each chunk's arrival time minus the send time the fake
	// stamped into it (same machine, same wall clock).
	Latency []time.Duration
	// Chunks is the number of text chunks received.
	Chunks int
	// Complete is set when the stream ended normally ([DONE] or
	// messageStop) with no error.
	Complete bool
	Err      error
}

// newHTTPClient is the load generator's client for OpenAI-style targets:
// a large keep-alive pool, no proxy, no compression. Idle connections are
// closed after 4 s, before the peer's 5 s keep-alive timeout can race a
// reuse.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        8192,
		MaxIdleConnsPerHost: 8192,
		IdleConnTimeout:     4 * time.Second,
		DisableCompression:  true,
	}}
}

// HTTPCall posts body to url with headers and reads the answer, which must
// be a 200 holding "choices".
func HTTPCall(client *http.Client, url string, headers http.Header, body []byte) CallFunc {
	return func(ctx context.Context, buf *bytes.Buffer) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header = headers.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		buf.Reset()
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %.200s", resp.StatusCode, buf.Bytes())
		}
		if !bytes.Contains(buf.Bytes(), []byte(`"choices"`)) {
			return fmt.Errorf("answer has no choices: %.200s", buf.Bytes())
		}
		return nil
	}
}

// HTTPStream posts a streaming request and reads the server-sent events,
// timing each chunk that carries text.
func HTTPStream(client *http.Client, url string, headers http.Header, body []byte) StreamFunc {
	return func(ctx context.Context) StreamResult {
		var res StreamResult
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			res.Err = err
			return res
		}
		req.Header = headers.Clone()
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			res.Err = err
			return res
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			res.Err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
			return res
		}
		br := bufio.NewReaderSize(resp.Body, 4096)
		var last time.Time
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				if errors.Is(err, bufio.ErrBufferFull) {
					// A line longer than the buffer: skip the rest.
					for errors.Is(err, bufio.ErrBufferFull) {
						_, err = br.ReadSlice('\n')
					}
					continue
				}
				if !res.Complete {
					res.Err = fmt.Errorf("stream ended without [DONE] after %d chunks: %w", res.Chunks, err)
				}
				return res
			}
			data, ok := bytes.CutPrefix(line, []byte("data: "))
			if !ok {
				continue
			}
			if bytes.HasPrefix(data, []byte("[DONE]")) {
				res.Complete = res.Err == nil
				// Drain to EOF so the connection can be reused.
				_, _ = io.Copy(io.Discard, br)
				return res
			}
			if bytes.Contains(data, []byte(`"finish_reason":"error"`)) {
				res.Err = fmt.Errorf("error chunk: %.300s", data)
				continue
			}
			text, ok := contentOf(data)
			if !ok {
				continue
			}
			now := time.Now()
			res.record(now, start, last, text)
			last = now
		}
	}
}

func (res *StreamResult) record(now, start, last time.Time, text []byte) {
	if res.Chunks == 0 {
		res.TTFT = now.Sub(start)
	} else {
		res.Gaps = append(res.Gaps, now.Sub(last))
	}
	res.Chunks++
	if sent, ok := ParseStamp(text); ok {
		res.Latency = append(res.Latency, time.Duration(now.UnixNano()-sent))
	}
}

// contentOf finds the non-empty "content" string of a chat chunk.
func contentOf(data []byte) ([]byte, bool) {
	i := bytes.Index(data, []byte(`"content":"`))
	if i < 0 {
		return nil, false
	}
	rest := data[i+len(`"content":"`):]
	if len(rest) == 0 || rest[0] == '"' {
		return nil, false
	}
	return rest, true
}

// ParseStamp reads the send time (Unix ns) the fake puts at the start of a
// chunk's text (fakebedrock -stamp).
func ParseStamp(text []byte) (int64, bool) {
	n := 0
	for n < len(text) && text[n] >= '0' && text[n] <= '9' {
		n++
	}
	if n < 16 || n > 19 || n >= len(text) || text[n] != ' ' {
		return 0, false
	}
	v, err := strconv.ParseInt(string(text[:n]), 10, 64)
	return v, err == nil
}

// NewSDKClient is an aws-sdk-go-v2 Bedrock runtime client for the endpoint
// at baseURL, built by the router's own constructor (so it has the
// router's body and per-stream fixes): static dummy credentials, no
// retries (a failure is counted, not hidden), a connection pool as large
// as the router's.
func NewSDKClient(baseURL string) *bedrock.RuntimeClient {
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = 5 * time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.Proxy = nil
			t.MaxIdleConns = 8192
			t.MaxIdleConnsPerHost = 8192
			t.IdleConnTimeout = 4 * time.Second
		})
	return bedrock.NewRuntimeClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "x", ""),
		HTTPClient:  hc,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, baseURL)
}

// SDKCall makes a Converse call.
func SDKCall(client *bedrock.RuntimeClient, in *bedrockruntime.ConverseInput) CallFunc {
	return func(ctx context.Context, _ *bytes.Buffer) error {
		out, err := client.Converse(ctx, in)
		if err != nil {
			return err
		}
		if _, ok := out.Output.(*types.ConverseOutputMemberMessage); !ok {
			return errors.New("converse answer has no message")
		}
		return nil
	}
}

// SDKStream makes a ConverseStream call and times its text deltas.
func SDKStream(client *bedrock.RuntimeClient, in *bedrockruntime.ConverseStreamInput) StreamFunc {
	return func(ctx context.Context) StreamResult {
		var res StreamResult
		start := time.Now()
		out, err := client.ConverseStream(ctx, in)
		if err != nil {
			res.Err = err
			return res
		}
		events := out.GetStream()
		defer events.Close()
		var last time.Time
		stopped := false
		for ev := range events.Events() {
			switch ev := ev.(type) {
			case *types.ConverseStreamOutputMemberContentBlockDelta:
				if d, ok := ev.Value.Delta.(*types.ContentBlockDeltaMemberText); ok && d.Value != "" {
					now := time.Now()
					res.record(now, start, last, []byte(d.Value))
					last = now
				}
			case *types.ConverseStreamOutputMemberMessageStop:
				stopped = true
			}
		}
		if err := events.Err(); err != nil {
			res.Err = err
			return res
		}
		if !stopped {
			res.Err = fmt.Errorf("stream ended without messageStop after %d chunks", res.Chunks)
			return res
		}
		res.Complete = true
		return res
	}
}
