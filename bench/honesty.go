package bench

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// The soak's honesty checker: it reads one whole answer of the router and
// says whether it told the client the truth. A failure must look like one
// (an error status with an error object in the caller's dialect, or a
// stream that ends with an error chunk or event and nothing after it); an
// answer that looks clean must be whole. A clean stop after a failure, or
// a clean stop with part of the answer missing, is dishonest.

// KindOK is the kind of a clean, whole answer.
const KindOK = "ok"

// Expect is the answer the fake gives when nothing fails: its text and,
// for a tool-loop turn, the tool it calls with its input.
type Expect struct {
	Text      string
	Tool      string // "" when the answer is the final text
	ToolInput string // JSON object
}

// Outcome is the checker's verdict on one answer.
type Outcome struct {
	// Kind is KindOK, or what failed in the client's words:
	// "429 ThrottlingException", "stream error ModelStreamErrorException".
	Kind string
	// Dishonest says why the answer misleads the client ("" when honest):
	// the soak fails on any.
	Dishonest string
	// Unexpected says what is wrong with an honest answer that no injected
	// fault explains (a 400, no route header): the soak fails on these too.
	Unexpected string
	// Fallback is the route header's fallback ("soak-backup after
	// ThrottlingException"), "" when none was taken.
	Fallback string
	// Detail is the error message of a failure, for the report.
	Detail string
	// Text and ToolCallID are the answer's, for a tool loop's next turn.
	Text       string
	ToolCallID string
}

// faultStatuses are the statuses an injected fault can explain: throttling
// (429), Bedrock unavailable (503), another Bedrock failure (502).
var faultStatuses = map[int]bool{http.StatusTooManyRequests: true, http.StatusServiceUnavailable: true, http.StatusBadGateway: true}

// honestStatus is the status each error code or type must come with.
var honestStatus = map[string]int{
	"ThrottlingException":         http.StatusTooManyRequests,
	"ServiceUnavailableException": http.StatusServiceUnavailable,
	"InternalServerException":     http.StatusBadGateway,
	"rate_limit_error":            http.StatusTooManyRequests,
	"overloaded_error":            http.StatusServiceUnavailable,
	"api_error":                   http.StatusBadGateway,
}

// CheckOpenAI judges an answer of /v1/chat/completions.
func CheckOpenAI(stream bool, status int, header http.Header, body []byte, want Expect) Outcome {
	o := routeOf(header)
	switch {
	case status != http.StatusOK:
		o.errorAnswer(status, openAIError(body))
	case stream:
		o.openAIStream(body, want)
	default:
		o.openAIJSON(body, want)
	}
	return o
}

// CheckMessages judges an answer of Anthropic's /v1/messages.
func CheckMessages(stream bool, status int, header http.Header, body []byte, want Expect) Outcome {
	o := routeOf(header)
	switch {
	case status != http.StatusOK:
		o.errorAnswer(status, messagesError(body))
	case stream:
		o.messagesStream(body, want)
	default:
		o.messagesJSON(body, want)
	}
	return o
}

func routeOf(header http.Header) Outcome {
	var o Outcome
	route := header.Get("X-Llmstack-Route")
	if route == "" {
		o.Unexpected = "no X-LLMStack-Route header"
	}
	for part := range strings.SplitSeq(route, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "fallback="); ok {
			o.Fallback = v
		}
	}
	return o
}

// errorObject is an error answer in either dialect, reduced to what the
// checker needs; ok is false when the body is not an error object of the
// dialect.
type errorObject struct {
	ok            bool
	dialect       string
	label, detail string
}

func openAIError(body []byte) errorObject {
	var e struct {
		Error *struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		} `json:"error"`
	}
	obj := errorObject{dialect: "OpenAI"}
	if json.Unmarshal(body, &e) != nil || e.Error == nil || e.Error.Message == "" || e.Error.Type == "" {
		return obj
	}
	var code string
	_ = json.Unmarshal(e.Error.Code, &code) // a code may be null
	obj.ok, obj.label, obj.detail = true, cmp.Or(code, e.Error.Type), e.Error.Message
	return obj
}

func messagesError(body []byte) errorObject {
	var e struct {
		Type  string `json:"type"`
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	obj := errorObject{dialect: "Anthropic"}
	if json.Unmarshal(body, &e) != nil || e.Type != "error" || e.Error == nil || e.Error.Type == "" || e.Error.Message == "" {
		return obj
	}
	obj.ok, obj.label, obj.detail = true, e.Error.Type, e.Error.Message
	return obj
}

func (o *Outcome) errorAnswer(status int, e errorObject) {
	if !e.ok {
		o.Kind = fmt.Sprintf("%d", status)
		o.Dishonest = fmt.Sprintf("status %d whose body is not an %s error object", status, e.dialect)
		return
	}
	o.Kind, o.Detail = fmt.Sprintf("%d %s", status, e.label), e.detail
	if want, ok := honestStatus[e.label]; ok && want != status {
		o.Dishonest = fmt.Sprintf("status %d for %s, want %d", status, e.label, want)
		return
	}
	if !faultStatuses[status] {
		o.Unexpected = joinNote(o.Unexpected, fmt.Sprintf("status %d is not one an injected fault explains: %.200s", status, e.detail))
	}
}

// judge compares a clean answer with what the fake sent; finish is the
// answer's stop reason in its dialect (stop/tool_calls, end_turn/tool_use).
func (o *Outcome) judge(clean, text string, calls []toolCall, finish string, want Expect, anthropic bool) {
	o.Text = text
	if len(calls) > 0 {
		o.ToolCallID = calls[0].id
	}
	wantFinish := map[[2]bool]string{{false, false}: "stop", {false, true}: "tool_calls", {true, false}: "end_turn", {true, true}: "tool_use"}[[2]bool{anthropic, want.Tool != ""}]
	var got []string
	if text != want.Text {
		got = append(got, fmt.Sprintf("text %q, want %q", trim(text, 80), want.Text))
	}
	if finish != wantFinish {
		got = append(got, fmt.Sprintf("stop reason %q, want %q", finish, wantFinish))
	}
	switch {
	case want.Tool == "" && len(calls) > 0:
		got = append(got, fmt.Sprintf("%d tool calls, want none", len(calls)))
	case want.Tool != "" && (len(calls) != 1 || calls[0].name != want.Tool || calls[0].id == "" || !sameJSON(calls[0].args, want.ToolInput)):
		got = append(got, fmt.Sprintf("tool calls %+v, want one call of %s with %s", calls, want.Tool, want.ToolInput))
	}
	if len(got) > 0 {
		o.Dishonest = clean + ": " + strings.Join(got, "; ")
		return
	}
	o.Kind = KindOK
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

func (o *Outcome) openAIJSON(body []byte, want Expect) {
	var r struct {
		Choices []struct {
			Message struct {
				Content   *string `json:"content"`
				ToolCalls []struct {
					ID       string `json:"id"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		o.Dishonest = fmt.Sprintf("200 whose body is not JSON: %v", err)
		return
	}
	if len(r.Choices) == 0 {
		o.Dishonest = fmt.Sprintf("200 with no choices: %.200s", body)
		return
	}
	c := r.Choices[0]
	if c.FinishReason == "error" {
		o.Dishonest = `200 with finish_reason "error": a failure must have an error status`
		return
	}
	var calls []toolCall
	for _, tc := range c.Message.ToolCalls {
		calls = append(calls, toolCall{id: tc.ID, name: tc.Function.Name, args: tc.Function.Arguments})
	}
	text := ""
	if c.Message.Content != nil {
		text = *c.Message.Content
	}
	o.judge("200 with an incomplete answer", text, calls, c.FinishReason, want, false)
}

// sseData returns the data lines of a server-sent event stream, each with
// the event name given before it ("" when none).
func sseData(body []byte) (events, data []string) {
	event := ""
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		switch {
		case bytes.HasPrefix(line, []byte("event:")):
			event = strings.TrimSpace(string(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			events = append(events, event)
			data = append(data, strings.TrimSpace(string(line[len("data:"):])))
			event = ""
		}
	}
	return events, data
}

func (o *Outcome) openAIStream(body []byte, want Expect) {
	_, data := sseData(body)
	var (
		text          strings.Builder
		calls         []toolCall
		finish        string
		failed, ended bool
	)
	for _, d := range data {
		if failed {
			if d == "[DONE]" {
				o.Dishonest = "[DONE] after the error chunk"
			} else {
				o.Dishonest = fmt.Sprintf("a chunk after the error chunk: %.200s", d)
			}
			return
		}
		if ended {
			o.Dishonest = fmt.Sprintf("a chunk after [DONE]: %.200s", d)
			return
		}
		if d == "[DONE]" {
			ended = true
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content   string `json:"content"`
					ToolCalls []struct {
						Index    int    `json:"index"`
						ID       string `json:"id"`
						Function struct {
							Name      string `json:"name"`
							Arguments string `json:"arguments"`
						} `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Error *struct {
				Message string          `json:"message"`
				Type    string          `json:"type"`
				Code    json.RawMessage `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			o.Dishonest = fmt.Sprintf("a chunk is not JSON (%v): %.200s", err, d)
			return
		}
		isErr := c.Error != nil
		for _, ch := range c.Choices {
			isErr = isErr || (ch.FinishReason != nil && *ch.FinishReason == "error")
		}
		if isErr {
			failed = true
			if c.Error == nil || c.Error.Message == "" {
				o.Dishonest = "the error chunk carries no error message"
				return
			}
			var code string
			_ = json.Unmarshal(c.Error.Code, &code)
			o.Kind, o.Detail = "stream error "+cmp.Or(code, c.Error.Type), c.Error.Message
			continue
		}
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
			for _, tc := range ch.Delta.ToolCalls {
				for len(calls) <= tc.Index {
					calls = append(calls, toolCall{})
				}
				call := &calls[tc.Index]
				call.id += tc.ID
				call.name += tc.Function.Name
				call.args += tc.Function.Arguments
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	switch {
	case failed:
		return
	case !ended:
		o.Dishonest = fmt.Sprintf("the stream ended without [DONE] and without an error chunk, after %d bytes", len(body))
	case finish == "":
		o.Dishonest = "[DONE] without a finish_reason"
	default:
		o.judge("a clean stop with an incomplete answer", text.String(), calls, finish, want, false)
	}
}

// anthropicContent is a content block of an Anthropic message.
type anthropicContent struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

func (o *Outcome) messagesJSON(body []byte, want Expect) {
	var m struct {
		Type       string             `json:"type"`
		Content    []anthropicContent `json:"content"`
		StopReason string             `json:"stop_reason"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Type != "message" {
		o.Dishonest = fmt.Sprintf("200 that is not an Anthropic message: %.200s", body)
		return
	}
	var text strings.Builder
	var calls []toolCall
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			calls = append(calls, toolCall{id: b.ID, name: b.Name, args: string(b.Input)})
		}
	}
	o.judge("200 with an incomplete answer", text.String(), calls, m.StopReason, want, true)
}

func (o *Outcome) messagesStream(body []byte, want Expect) {
	events, data := sseData(body)
	var (
		text            strings.Builder
		calls           []toolCall
		finish          string
		failed, stopped bool
	)
	for i, d := range data {
		var e struct {
			Type         string           `json:"type"`
			ContentBlock anthropicContent `json:"content_block"`
			Delta        struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			} `json:"delta"`
			Error *struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(d), &e); err != nil {
			o.Dishonest = fmt.Sprintf("an event is not JSON (%v): %.200s", err, d)
			return
		}
		name := cmp.Or(events[i], e.Type)
		if failed {
			o.Dishonest = fmt.Sprintf("%s after the error event", name)
			return
		}
		if stopped {
			o.Dishonest = fmt.Sprintf("%s after message_stop", name)
			return
		}
		switch name {
		case "error":
			failed = true
			if e.Error == nil || e.Error.Message == "" {
				o.Dishonest = "the error event carries no error message"
				return
			}
			o.Kind, o.Detail = "stream error "+e.Error.Type, e.Error.Message
		case "content_block_start":
			if e.ContentBlock.Type == "tool_use" {
				calls = append(calls, toolCall{id: e.ContentBlock.ID, name: e.ContentBlock.Name})
			}
		case "content_block_delta":
			switch e.Delta.Type {
			case "text_delta":
				text.WriteString(e.Delta.Text)
			case "input_json_delta":
				if len(calls) > 0 {
					calls[len(calls)-1].args += e.Delta.PartialJSON
				}
			}
		case "message_delta":
			finish = e.Delta.StopReason
		case "message_stop":
			stopped = true
		}
	}
	switch {
	case failed:
	case !stopped:
		o.Dishonest = fmt.Sprintf("the stream ended without message_stop and without an error event, after %d bytes", len(body))
	default:
		o.judge("a clean stop with an incomplete answer", text.String(), calls, finish, want, true)
	}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
