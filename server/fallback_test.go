package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock/fakebedrock"
)

// fallbackINI: code-smart falls back to another region's model, then to
// code-fast; claude falls back to nova (Converse, not Anthropic's body);
// solo has no fallback.
const fallbackINI = `[DEFAULT]
llama_swap_url = {{LLAMA}}
aws_endpoint_url = {{BEDROCK}}

[code-smart]
role = agent
aws_model_id = smart-model-v1
aws_region = us-east-1
fallback = code-eu, code-fast
aliases = smart

[code-eu]
aws_model_id = smart-model-eu
aws_region = eu-central-1

[code-fast]
role = fast
aws_model_id = fast-model-v1

[claude]
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
aws_region = us-east-1
fallback = nova

[nova]
aws_model_id = amazon.nova-pro-v1:0
aws_region = us-east-1

[thinker]
aws_model_id = us.anthropic.claude-sonnet-4-5-20250929-v1:0
reasoning = high
fallback = nova

[solo]
aws_model_id = solo-model-v1
`

// failing answers the models in fail with their scripted reply and every
// other model with answer.
func failing(fail map[string]fakebedrock.Reply) func(fakebedrock.Request) fakebedrock.Reply {
	return func(r fakebedrock.Request) fakebedrock.Reply {
		if reply, ok := fail[r.ModelID]; ok {
			return reply
		}
		return fakebedrock.Reply{Chunks: []string{"answered ", "by ", r.ModelID}, Text: "answered by " + r.ModelID}
	}
}

var (
	throttled   = fakebedrock.Reply{Status: 429, ErrorType: "ThrottlingException", ErrorMessage: "Too many requests"}
	unavailable = fakebedrock.Reply{Status: 503, ErrorType: "ServiceUnavailableException", ErrorMessage: "try later"}
	modelSlow   = fakebedrock.Reply{Status: 408, ErrorType: "ModelTimeoutException", ErrorMessage: "model took too long"}
	invalid     = fakebedrock.Reply{Status: 400, ErrorType: "ValidationException", ErrorMessage: "bad request"}
)

// TestFallbacks: a tier whose model throttles, is unavailable or times out
// before anything reached the client sends the request to its fallbacks in
// order; the route header, the log line and the tier's statistics say so.
// Other failures, failures once a stream started, and tiers without
// fallbacks answer as before.
func TestFallbacks(t *testing.T) {
	cases := []struct {
		name   string
		model  string
		stream bool
		fail   map[string]fakebedrock.Reply
		status int
		route  string
		// answer is in the body; tried are the models Bedrock was asked
		// for, notTried those it must not have been.
		answer   string
		tried    []string
		notTried []string
	}{
		{name: "throttled", model: "code-smart", fail: map[string]fakebedrock.Reply{"smart-model-v1": throttled},
			status: 200, route: "code-smart; reason=explicit; fallback=code-eu after ThrottlingException", answer: "answered by smart-model-eu",
			tried: []string{"smart-model-v1", "smart-model-eu"}, notTried: []string{"fast-model-v1"}},
		{name: "throttled stream", model: "code-smart", stream: true, fail: map[string]fakebedrock.Reply{"smart-model-v1": throttled},
			status: 200, route: "code-smart; reason=explicit; fallback=code-eu after ThrottlingException", answer: "by ",
			tried: []string{"smart-model-v1", "smart-model-eu"}, notTried: []string{"fast-model-v1"}},
		{name: "two fallbacks", model: "smart", fail: map[string]fakebedrock.Reply{"smart-model-v1": unavailable, "smart-model-eu": modelSlow},
			status: 200, route: "code-smart; reason=alias smart; fallback=code-eu after ServiceUnavailableException; fallback=code-fast after ModelTimeoutException",
			answer: "answered by fast-model-v1", tried: []string{"smart-model-v1", "smart-model-eu", "fast-model-v1"}},
		{name: "all fail", model: "code-smart", stream: true, fail: map[string]fakebedrock.Reply{"smart-model-v1": throttled, "smart-model-eu": throttled, "fast-model-v1": modelSlow},
			status: 408, route: "code-smart; reason=explicit; fallback=code-eu after ThrottlingException; fallback=code-fast after ThrottlingException",
			answer: "tier code-fast (fast-model-v1, eu-central-1): Bedrock ModelTimeoutException: model took too long"},
		{name: "not a fallback failure", model: "code-smart", fail: map[string]fakebedrock.Reply{"smart-model-v1": invalid},
			status: 400, route: "code-smart; reason=explicit", answer: "ValidationException", notTried: []string{"smart-model-eu", "fast-model-v1"}},
		{name: "after the first chunk", model: "code-smart", stream: true,
			fail:   map[string]fakebedrock.Reply{"smart-model-v1": {Chunks: []string{"a ", "b "}, Exception: "throttlingException", ExceptionAfter: 1}},
			status: 200, route: "code-smart; reason=explicit", answer: `"finish_reason":"error"`, notTried: []string{"smart-model-eu", "fast-model-v1"}},
		{name: "no fallback configured", model: "solo", fail: map[string]fakebedrock.Reply{"solo-model-v1": throttled},
			status: 429, route: "solo; reason=explicit", answer: "Bedrock ThrottlingException: Too many requests"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureINI(t, fakebedrock.Options{}, fallbackINI)
			f.fake.Respond(failing(tc.fail))
			body := `{"model":"` + tc.model + `","messages":[{"role":"user","content":"hi"}]}`
			if tc.stream {
				body = `{"model":"` + tc.model + `","stream":true,"messages":[{"role":"user","content":"hi"}]}`
			}
			resp, data := f.post("/v1/chat/completions", body)
			if resp.StatusCode != tc.status || !strings.Contains(string(data), tc.answer) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tc.status, tc.answer, tail(data))
			}
			if got := resp.Header.Get(server.RouteHeader); got != tc.route {
				t.Errorf("route header %q\nwant         %q", got, tc.route)
			}
			asked := map[string]bool{}
			for _, r := range f.fake.Requests() {
				asked[r.ModelID] = true
			}
			for _, m := range tc.tried {
				if !asked[m] {
					t.Errorf("Bedrock was not asked for %s", m)
				}
			}
			for _, m := range tc.notTried {
				if asked[m] {
					t.Errorf("Bedrock was asked for %s", m)
				}
			}
			if tc.status == 200 && strings.Contains(tc.route, "fallback=") {
				if tc.stream && !strings.HasSuffix(string(data), "data: [DONE]\n\n") {
					t.Errorf("the fallback's stream does not end cleanly:\n%s", tail(data))
				}
				steps := strings.ReplaceAll(strings.SplitN(tc.route, "; fallback=", 2)[1], "fallback=", "")
				f.waitLog("fallback_from=code-smart", `fallback="`+steps+`"`)
			}
			fellBack := strings.Count(tc.route, "fallback=") > 0
			if st := f.tierStats("code-smart"); fellBack != (st.FallbacksTaken == 1) {
				t.Errorf("code-smart counted %d fallbacks (last %q)", st.FallbacksTaken, st.LastFallback)
			} else if fellBack && !strings.HasPrefix(tc.route[strings.Index(tc.route, "fallback=")+len("fallback="):], st.LastFallback) {
				t.Errorf("code-smart's last fallback %q; the route says %q", st.LastFallback, tc.route)
			}
		})
	}
}

// TestMessagesFallback: the Messages front door falls back the same way,
// and a Claude tier's request that falls back to a non-Claude tier is
// translated for Converse.
func TestMessagesFallback(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "stream"}[stream], func(t *testing.T) {
			f := newFixtureINI(t, fakebedrock.Options{}, fallbackINI)
			f.fake.Respond(failing(map[string]fakebedrock.Reply{"us.anthropic.claude-sonnet-4-5-20250929-v1:0": throttled}))
			body := `{"model":"claude","max_tokens":100,"stream":` + map[bool]string{false: "false", true: "true"}[stream] + `,"messages":[{"role":"user","content":"hi"}]}`
			resp, data := f.post("/v1/messages", body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d:\n%s", resp.StatusCode, data)
			}
			if got, want := resp.Header.Get(server.RouteHeader), "claude; reason=explicit; fallback=nova after ThrottlingException"; got != want {
				t.Errorf("route header %q, want %q", got, want)
			}
			if !stream {
				var m struct {
					Type    string
					Model   string
					Content []struct{ Text string }
				}
				if err := json.Unmarshal(data, &m); err != nil || m.Type != "message" || m.Model != "nova" || len(m.Content) != 1 || m.Content[0].Text != "answered by amazon.nova-pro-v1:0" {
					t.Errorf("answer %s (%v); want nova's Anthropic message", data, err)
				}
			} else if !strings.Contains(string(data), "event: message_stop") || strings.Contains(string(data), "event: error") {
				t.Errorf("the fallback's stream does not end cleanly:\n%s", tail(data))
			}
			ops := map[string]string{}
			for _, r := range f.fake.Requests() {
				ops[r.ModelID] = r.Operation
			}
			if op := ops["amazon.nova-pro-v1:0"]; !strings.HasPrefix(op, "Converse") {
				t.Errorf("nova was called with %q; want Converse", op)
			}
			if st := f.tierStats("claude"); st.FallbacksTaken != 1 || st.LastFallback != "nova after ThrottlingException" {
				t.Errorf("claude counted %d fallbacks (last %q)", st.FallbacksTaken, st.LastFallback)
			}
		})
	}
}

// TestFallbackHeadersPerAttempt: the answer carries the headers of the
// attempt that answered, not those of the one that failed: thinker's
// thinking makes the router drop top_k and temperature, nova takes them.
func TestFallbackHeadersPerAttempt(t *testing.T) {
	f := newFixtureINI(t, fakebedrock.Options{}, fallbackINI)
	const body = `{"model":"thinker","top_k":5,"temperature":0.5,"messages":[{"role":"user","content":"hi"}]}`
	resp, data := f.post("/v1/chat/completions", body)
	if resp.StatusCode != 200 || resp.Header.Get(server.RepairsHeader) == "" {
		t.Fatalf("thinker answering: status %d, repairs %q; want repairs (the test relies on them): %s", resp.StatusCode, resp.Header.Get(server.RepairsHeader), data)
	}
	f.fake.Respond(failing(map[string]fakebedrock.Reply{"us.anthropic.claude-sonnet-4-5-20250929-v1:0": throttled}))
	resp, data = f.post("/v1/chat/completions", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	if got := resp.Header.Get(server.RepairsHeader); got != "" {
		t.Errorf("repairs header %q: it describes the attempt that failed, not nova's", got)
	}
	if ct := resp.Header.Values("Content-Type"); len(ct) != 1 || ct[0] != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var m struct{ Model string }
	if json.Unmarshal(data, &m); m.Model != "nova" {
		t.Errorf("model %q; want the tier that answered, nova", m.Model)
	}
}
