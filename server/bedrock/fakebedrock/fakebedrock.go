// Package fakebedrock is a loopback stand-in for the Bedrock runtime: it
// answers Converse with real Converse JSON and ConverseStream with real
// AWS event-stream framing (written by the SDK's own encoder), checks
// requests the way Bedrock does, and records what it received, including the
// SigV4 credential scope, so tests can tell which profile and region a call
// used. Tests serve it with httptest; cmd/fakebedrock serves it standalone.
package fakebedrock

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Request is one call the fake received.
type Request struct {
	// Operation is "Converse", "ConverseStream", "InvokeModel",
	// "InvokeModelWithResponseStream" or "CountTokens".
	Operation string
	ModelID   string
	Body      json.RawMessage
	// The SigV4 credential scope of the Authorization header.
	AccessKeyID string
	Region      string
	Service     string
	// SessionToken is the X-Amz-Security-Token header, if any.
	SessionToken string
	Received     time.Time
}

// ToolUse is a tool call the fake answers with.
type ToolUse struct {
	ID    string
	Name  string
	Input string // JSON object
	// InputChunks, when set, is how a stream delivers Input.
	InputChunks []string
}

// Reply scripts one answer.
type Reply struct {
	// Text of the answer; a stream sends Chunks instead when set, else
	// Text in word-sized pieces.
	Text   string
	Chunks []string
	// Reasoning is answered as a signed reasoning block first; with
	// thinking on and no Reasoning, the fake answers DefaultReasoning.
	Reasoning string
	// Redacted adds a redacted reasoning block after the reasoning.
	Redacted bool
	ToolUses []ToolUse
	// StopReason defaults to end_turn, or tool_use when ToolUses is set.
	StopReason   string
	InputTokens  int
	OutputTokens int
	// CacheReadTokens and CacheWriteTokens, when set, are reported as
	// prompt tokens read from and written to the prompt cache;
	// CacheWrite1hTokens of the CacheWriteTokens were written with a
	// one-hour TTL, the rest with five minutes.
	CacheReadTokens    int
	CacheWriteTokens   int
	CacheWrite1hTokens int

	// Status and ErrorType answer with an HTTP error instead
	// (ErrorType e.g. "ThrottlingException").
	Status       int
	ErrorType    string
	ErrorMessage string

	// Exception ends a stream with an exception event (e.g.
	// "throttlingException") after ExceptionAfter text chunks.
	Exception      string
	ExceptionAfter int
	// Truncate ends a stream after the text without messageStop.
	Truncate bool

	// FirstTokenDelay waits before the first content (or before answering
	// Converse); InterEventDelay waits between stream events.
	FirstTokenDelay time.Duration
	InterEventDelay time.Duration
}

// Options set the fake's default answer, used when no Respond function is
// set. The benchmark drives it through these.
type Options struct {
	// Deltas is the number of text chunks of a streamed answer, each
	// DeltaSize bytes (defaults 8 and 8).
	Deltas    int
	DeltaSize int
	// FirstTokenDelay and InterEventDelay as in Reply.
	FirstTokenDelay time.Duration
	InterEventDelay time.Duration
	// Injected faults, for the soak: the fraction of calls (0..1) that
	// fail, drawn once per call the fake answers itself (not with a
	// Respond function, not CountTokens), so the rates add up and must
	// total at most 1. ThrottleRate answers 429 ThrottlingException;
	// ErrorRate a 5xx, 503 ServiceUnavailableException or 500
	// InternalServerException, half each; StreamErrorRate ends a stream
	// with a modelStreamErrorException event after its first text chunk,
	// once the 200 is sent (a call that does not stream is answered
	// normally instead).
	ThrottleRate    float64
	ErrorRate       float64
	StreamErrorRate float64
	// Lenient turns off the Bedrock-style request validation.
	Lenient bool
	// Record keeps every request (tests); off, the fake keeps none.
	Record bool
	// Stamp starts every streamed text chunk with the wall-clock time it
	// was sent (Unix nanoseconds, then a space), so a client on the same
	// machine can measure each chunk's delivery latency. A chunk shorter
	// than the stamp grows to hold it.
	Stamp bool
	// EarlyHeaders makes ConverseStream answer 200 and flush its headers
	// before reading the request body, as HTTP allows. The client is then
	// still writing the body when its call returns: the condition under
	// which aws-sdk-go-v2 closes the body under the transport's feet.
	// Requests are not validated in this mode.
	EarlyHeaders bool
	// AgentTools turns on the agent mode: a request that declares one of
	// these tools gets a call of it until the conversation holds
	// AgentSteps tool results (default 1), then AgentFinalText.
	AgentTools []AgentTool
	AgentSteps int
}

// Server is the fake Bedrock runtime. It is an http.Handler.
type Server struct {
	opts Options
	// draw picks a fault (rand.Float64; tests script it).
	draw func() float64

	mu       sync.Mutex
	respond  func(Request) Reply
	requests []Request
	inFlight int
}

// InFlight is the number of calls the fake is answering now: a call the
// client cancelled leaves it as soon as the fake notices.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// New returns a fake with the given default behaviour.
func New(opts Options) *Server {
	if opts.Deltas <= 0 {
		opts.Deltas = 8
	}
	if opts.DeltaSize <= 0 {
		opts.DeltaSize = 8
	}
	return &Server{opts: opts, draw: rand.Float64}
}

// Respond sets the function that scripts each answer (nil restores the
// default answer).
func (s *Server) Respond(f func(Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = f
}

// Requests returns the requests received so far (with Options.Record).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// ServeHTTP answers POST /model/{modelId}/converse, converse-stream,
// invoke and invoke-with-response-stream (Anthropic Messages bodies, for
// Claude) and count-tokens.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	modelID, op, ok := route(r)
	if !ok {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "no such operation: "+r.Method+" "+r.URL.Path)
		return
	}
	early := s.opts.EarlyHeaders && op == "ConverseStream"
	writeError := writeError
	if early {
		rc := http.NewResponseController(w)
		_ = rc.EnableFullDuplex() // keep reading the body after answering
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Header().Set("X-Amzn-Requestid", requestID())
		w.WriteHeader(http.StatusOK)
		_ = rc.Flush()
		// The status is sent: errors can only be exception events now.
		writeError = func(w http.ResponseWriter, _ int, errType, msg string) {
			exception(eventstream.NewEncoder(), w, rc, errType, msg)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "reading body: "+err.Error())
		return
	}
	req := Request{Operation: op, ModelID: modelID, Body: body, SessionToken: r.Header.Get("X-Amz-Security-Token"), Received: time.Now()}
	req.AccessKeyID, req.Region, req.Service = credentialScope(r.Header.Get("Authorization"))

	s.mu.Lock()
	if s.opts.Record {
		s.requests = append(s.requests, req)
	}
	respond := s.respond
	s.mu.Unlock()

	if req.AccessKeyID == "" {
		writeError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	var counted []byte
	if !s.opts.Lenient {
		var msg string
		switch op {
		case "InvokeModel", "InvokeModelWithResponseStream":
			msg = ValidateMessages(modelID, body)
		case "CountTokens":
			counted, msg = validateCountTokens(modelID, body)
		default:
			msg = validate(body)
		}
		if msg != "" {
			writeError(w, http.StatusBadRequest, "ValidationException", msg)
			return
		}
	}
	var reply Reply
	switch {
	case respond != nil:
		reply = respond(req)
	case op == "CountTokens":
		// Counted from the body below.
	default:
		var ok bool
		if reply, ok = s.agentReply(body); !ok {
			reply = s.defaultReply()
		}
		reply = s.inject(op, reply)
	}
	if reply.Reasoning == "" && ThinkingEnabled(body) {
		reply.Reasoning = DefaultReasoning
	}
	if reply.Status != 0 || reply.ErrorType != "" {
		status := reply.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		msg := reply.ErrorMessage
		if msg == "" {
			msg = reply.ErrorType
		}
		writeError(w, status, reply.ErrorType, msg)
		return
	}
	switch op {
	case "Converse":
		s.converse(w, r, reply)
	case "InvokeModel":
		s.invoke(w, r, modelID, reply)
	case "InvokeModelWithResponseStream":
		s.invokeStream(w, r, modelID, reply)
	case "CountTokens":
		s.countTokens(w, counted, reply)
	default:
		s.converseStream(w, r, reply, early)
	}
}

func (s *Server) agentReply(body []byte) (Reply, bool) {
	if len(s.opts.AgentTools) == 0 {
		return Reply{}, false
	}
	return agentReply(body, s.opts.AgentTools, max(s.opts.AgentSteps, 1))
}

// inject turns reply into an injected fault, as Options' rates draw it.
func (s *Server) inject(op string, reply Reply) Reply {
	o := s.opts
	if o.ThrottleRate <= 0 && o.ErrorRate <= 0 && o.StreamErrorRate <= 0 {
		return reply
	}
	u := s.draw()
	switch {
	case u < o.ThrottleRate:
		return Reply{Status: http.StatusTooManyRequests, ErrorType: "ThrottlingException", ErrorMessage: "Too many requests, please wait before trying again. (injected)"}
	case u < o.ThrottleRate+o.ErrorRate:
		// The same draw splits the 5xx in two, so tests can script both.
		if (u-o.ThrottleRate)/o.ErrorRate < 0.5 {
			return Reply{Status: http.StatusServiceUnavailable, ErrorType: "ServiceUnavailableException", ErrorMessage: "injected failure"}
		}
		return Reply{Status: http.StatusInternalServerError, ErrorType: "InternalServerException", ErrorMessage: "injected failure"}
	case u < o.ThrottleRate+o.ErrorRate+o.StreamErrorRate && (op == "ConverseStream" || op == "InvokeModelWithResponseStream"):
		reply.Exception, reply.ExceptionAfter = "modelStreamErrorException", 1
	}
	return reply
}

func (s *Server) defaultReply() Reply {
	chunk := strings.Repeat("x", s.opts.DeltaSize-1) + " "
	chunks := make([]string, s.opts.Deltas)
	for i := range chunks {
		chunks[i] = chunk
	}
	return Reply{
		Chunks:          chunks,
		InputTokens:     12,
		OutputTokens:    s.opts.Deltas,
		FirstTokenDelay: s.opts.FirstTokenDelay,
		InterEventDelay: s.opts.InterEventDelay,
	}
}

// route parses /model/{modelId}/{operation}; the model id is
// path-escaped by the SDK (inference profile ids contain ':').
func route(r *http.Request) (modelID, op string, ok bool) {
	if r.Method != http.MethodPost {
		return "", "", false
	}
	path := r.URL.EscapedPath()
	rest, found := strings.CutPrefix(path, "/model/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", "", false
	}
	id, err := url.PathUnescape(rest[:i])
	if err != nil {
		return "", "", false
	}
	switch rest[i+1:] {
	case "converse":
		return id, "Converse", true
	case "converse-stream":
		return id, "ConverseStream", true
	case "invoke":
		return id, "InvokeModel", true
	case "invoke-with-response-stream":
		return id, "InvokeModelWithResponseStream", true
	case "count-tokens":
		return id, "CountTokens", true
	}
	return "", "", false
}

// credentialScope reads "Credential=AKID/date/region/service/aws4_request"
// from a SigV4 Authorization header.
func credentialScope(auth string) (keyID, region, service string) {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", "", ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return "", "", ""
	}
	return parts[0], parts[2], parts[3]
}

func (r Reply) text() string {
	if r.Chunks != nil {
		return strings.Join(r.Chunks, "")
	}
	return r.Text
}

func (r Reply) stopReason() string {
	switch {
	case r.StopReason != "":
		return r.StopReason
	case len(r.ToolUses) > 0:
		return "tool_use"
	}
	return "end_turn"
}

// usage is the usage object of a Converse answer: cache writes split by
// TTL in cacheDetails, as Bedrock reports them.
func (r Reply) usage() map[string]any {
	u := map[string]any{"inputTokens": r.InputTokens, "outputTokens": r.OutputTokens,
		"totalTokens": r.InputTokens + r.OutputTokens + r.CacheReadTokens + r.CacheWriteTokens}
	if r.CacheReadTokens != 0 || r.CacheWriteTokens != 0 {
		u["cacheReadInputTokens"], u["cacheWriteInputTokens"] = r.CacheReadTokens, r.CacheWriteTokens
	}
	if r.CacheWriteTokens != 0 {
		hour := min(r.CacheWrite1hTokens, r.CacheWriteTokens)
		var details []map[string]any
		if r.CacheWriteTokens > hour {
			details = append(details, map[string]any{"ttl": "5m", "inputTokens": r.CacheWriteTokens - hour})
		}
		if hour > 0 {
			details = append(details, map[string]any{"ttl": "1h", "inputTokens": hour})
		}
		u["cacheDetails"] = details
	}
	return u
}

func (s *Server) converse(w http.ResponseWriter, r *http.Request, reply Reply) {
	if !sleep(r, reply.FirstTokenDelay) {
		return
	}
	var content []any
	if reply.Reasoning != "" {
		content = append(content, map[string]any{"reasoningContent": map[string]any{"reasoningText": map[string]any{"text": reply.Reasoning, "signature": Signature(reply.Reasoning)}}})
	}
	if reply.Redacted {
		content = append(content, map[string]any{"reasoningContent": map[string]any{"redactedContent": RedactedData()}})
	}
	if text := reply.text(); text != "" {
		content = append(content, map[string]any{"text": text})
	}
	for _, tu := range reply.ToolUses {
		content = append(content, map[string]any{"toolUse": map[string]any{
			"toolUseId": tu.ID, "name": tu.Name, "input": json.RawMessage(orEmptyObject(tu.Input)),
		}})
	}
	out, _ := json.Marshal(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
		"stopReason": reply.stopReason(),
		"usage":      reply.usage(),
		"metrics":    map[string]int{"latencyMs": int(reply.FirstTokenDelay / time.Millisecond)},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", requestID())
	_, _ = w.Write(out)
}

// converseStream writes the event stream; headersSent says ServeHTTP
// already answered 200 (Options.EarlyHeaders).
func (s *Server) converseStream(w http.ResponseWriter, r *http.Request, reply Reply, headersSent bool) {
	if !headersSent {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Header().Set("X-Amzn-Requestid", requestID())
		w.WriteHeader(http.StatusOK)
	}
	rc := http.NewResponseController(w)
	enc := eventstream.NewEncoder() // not safe for concurrent use: one per stream
	first := true
	send := func(eventType string, payload any) bool {
		if !first && !sleep(r, reply.InterEventDelay) {
			return false
		}
		first = false
		if f, ok := payload.(func() any); ok {
			payload = f() // built after the wait (Options.Stamp)
		}
		return event(enc, w, rc, eventType, payload)
	}

	if !send("messageStart", map[string]any{"role": "assistant"}) {
		return
	}
	if !sleep(r, reply.FirstTokenDelay) {
		return
	}
	block := 0
	if reply.Reasoning != "" {
		for _, w := range words(reply.Reasoning) {
			if !send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]any{"text": w}}}) {
				return
			}
		}
		if !send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]any{"signature": Signature(reply.Reasoning)}}}) ||
			!send("contentBlockStop", map[string]any{"contentBlockIndex": block}) {
			return
		}
		block++
	}
	if reply.Redacted {
		if !send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]any{"redactedContent": RedactedData()}}}) ||
			!send("contentBlockStop", map[string]any{"contentBlockIndex": block}) {
			return
		}
		block++
	}
	chunks := reply.Chunks
	if chunks == nil && reply.Text != "" {
		chunks = words(reply.Text)
	}
	for i, c := range chunks {
		if reply.Exception != "" && i == reply.ExceptionAfter {
			exception(enc, w, rc, reply.Exception, "injected "+reply.Exception)
			return
		}
		var payload any = map[string]any{"contentBlockIndex": block, "delta": map[string]any{"text": c}}
		if s.opts.Stamp {
			payload = func() any {
				return map[string]any{"contentBlockIndex": block, "delta": map[string]any{"text": stamp(c)}}
			}
		}
		if !send("contentBlockDelta", payload) {
			return
		}
	}
	if reply.Exception != "" {
		exception(enc, w, rc, reply.Exception, "injected "+reply.Exception)
		return
	}
	if reply.Truncate {
		return
	}
	if len(chunks) > 0 {
		if !send("contentBlockStop", map[string]any{"contentBlockIndex": block}) {
			return
		}
		block++
	}
	for _, tu := range reply.ToolUses {
		if !send("contentBlockStart", map[string]any{"contentBlockIndex": block, "start": map[string]any{"toolUse": map[string]any{"toolUseId": tu.ID, "name": tu.Name}}}) {
			return
		}
		parts := tu.InputChunks
		if parts == nil {
			parts = []string{orEmptyObject(tu.Input)}
		}
		for _, p := range parts {
			if !send("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"toolUse": map[string]any{"input": p}}}) {
				return
			}
		}
		if !send("contentBlockStop", map[string]any{"contentBlockIndex": block}) {
			return
		}
		block++
	}
	if !send("messageStop", map[string]any{"stopReason": reply.stopReason()}) {
		return
	}
	send("metadata", map[string]any{"usage": reply.usage(), "metrics": map[string]int{"latencyMs": 1}})
}

func event(enc *eventstream.Encoder, w io.Writer, rc *http.ResponseController, eventType string, payload any) bool {
	body, _ := json.Marshal(payload)
	msg := eventstream.Message{Payload: body}
	msg.Headers.Set(":message-type", eventstream.StringValue("event"))
	msg.Headers.Set(":event-type", eventstream.StringValue(eventType))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	if err := enc.Encode(w, msg); err != nil {
		return false
	}
	return rc.Flush() == nil
}

func exception(enc *eventstream.Encoder, w io.Writer, rc *http.ResponseController, exceptionType, message string) {
	body, _ := json.Marshal(map[string]string{"message": message})
	msg := eventstream.Message{Payload: body}
	msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
	msg.Headers.Set(":exception-type", eventstream.StringValue(exceptionType))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	_ = enc.Encode(w, msg)
	_ = rc.Flush()
}

// writeError answers the way Bedrock's REST-JSON protocol reports errors.
func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(status)
	out, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(out)
}

// sleep waits d unless the client goes away first.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func words(text string) []string {
	var out []string
	for len(text) > 0 {
		i := strings.IndexByte(text[1:], ' ')
		if i < 0 {
			out = append(out, text)
			break
		}
		out = append(out, text[:i+1])
		text = text[i+1:]
	}
	return out
}

// stamp puts the current wall-clock time (Unix ns and a space) at the start
// of a text chunk, over as many of its bytes as that takes.
func stamp(chunk string) string {
	b := strconv.AppendInt(make([]byte, 0, len(chunk)+20), time.Now().UnixNano(), 10)
	b = append(b, ' ')
	if len(chunk) > len(b) {
		b = append(b, chunk[len(b):]...)
	}
	return string(b)
}

func orEmptyObject(s string) string {
	if strings.TrimSpace(s) == "" {
		return "{}"
	}
	return s
}

func requestID() string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rand.Uint32(), rand.Uint32()&0xffff, rand.Uint32()&0xffff, rand.Uint32()&0xffff, rand.Uint64()&0xffffffffffff)
}
