package fakebedrock

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// anthropicUsage is the usage object of an Anthropic message: cache
// writes split by TTL in cache_creation, as Claude reports them.
func (r Reply) anthropicUsage() map[string]any {
	u := map[string]any{
		"input_tokens": r.InputTokens, "output_tokens": r.OutputTokens,
		"cache_creation_input_tokens": r.CacheWriteTokens, "cache_read_input_tokens": r.CacheReadTokens,
	}
	if r.CacheWriteTokens != 0 {
		hour := min(r.CacheWrite1hTokens, r.CacheWriteTokens)
		u["cache_creation"] = map[string]int{"ephemeral_5m_input_tokens": r.CacheWriteTokens - hour, "ephemeral_1h_input_tokens": hour}
	}
	return u
}

func messageID() string { return "msg_bdrk_" + requestID()[:8] }

// invoke answers InvokeModel with an Anthropic Messages JSON body, as
// Bedrock does for Claude.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request, modelID string, reply Reply) {
	if !sleep(r, reply.FirstTokenDelay) {
		return
	}
	content := []any{}
	if reply.Reasoning != "" {
		content = append(content, map[string]any{"type": "thinking", "thinking": reply.Reasoning, "signature": Signature(reply.Reasoning)})
	}
	if reply.Redacted {
		content = append(content, map[string]any{"type": "redacted_thinking", "data": base64.StdEncoding.EncodeToString(RedactedData())})
	}
	if text := reply.text(); text != "" {
		content = append(content, map[string]any{"type": "text", "text": text})
	}
	for _, tu := range reply.ToolUses {
		content = append(content, map[string]any{"type": "tool_use", "id": tu.ID, "name": tu.Name, "input": json.RawMessage(orEmptyObject(tu.Input))})
	}
	out, _ := json.Marshal(map[string]any{
		"id": messageID(), "type": "message", "role": "assistant", "model": modelID,
		"content": content, "stop_reason": reply.stopReason(), "stop_sequence": nil,
		"usage": reply.anthropicUsage(),
	})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.Header().Set("X-Amzn-Bedrock-Input-Token-Count", strconv.Itoa(reply.InputTokens))
	w.Header().Set("X-Amzn-Bedrock-Output-Token-Count", strconv.Itoa(reply.OutputTokens))
	_, _ = w.Write(out)
}

// invokeStream answers InvokeModelWithResponseStream: each Anthropic
// stream event is the JSON of one "chunk" event's bytes, as Bedrock frames
// them; failures are exception events, mid-stream too.
func (s *Server) invokeStream(w http.ResponseWriter, r *http.Request, modelID string, reply Reply) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := eventstream.NewEncoder()
	first := true
	send := func(payload map[string]any) bool {
		if !first && !sleep(r, reply.InterEventDelay) {
			return false
		}
		first = false
		inner, _ := json.Marshal(payload)
		// Bedrock sends the event JSON as the chunk's base64 bytes.
		return event(enc, w, rc, "chunk", map[string]any{"bytes": inner})
	}
	usage := reply.anthropicUsage()
	usage["output_tokens"] = 1
	if !send(map[string]any{"type": "message_start", "message": map[string]any{
		"id": messageID(), "type": "message", "role": "assistant", "model": modelID,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": usage,
	}}) {
		return
	}
	if !sleep(r, reply.FirstTokenDelay) {
		return
	}
	index := 0
	block := func(start map[string]any, deltas []map[string]any) bool {
		if !send(map[string]any{"type": "content_block_start", "index": index, "content_block": start}) {
			return false
		}
		for _, d := range deltas {
			if !send(map[string]any{"type": "content_block_delta", "index": index, "delta": d}) {
				return false
			}
		}
		ok := send(map[string]any{"type": "content_block_stop", "index": index})
		index++
		return ok
	}
	if reply.Reasoning != "" {
		var deltas []map[string]any
		for _, w := range words(reply.Reasoning) {
			deltas = append(deltas, map[string]any{"type": "thinking_delta", "thinking": w})
		}
		deltas = append(deltas, map[string]any{"type": "signature_delta", "signature": Signature(reply.Reasoning)})
		if !block(map[string]any{"type": "thinking", "thinking": "", "signature": ""}, deltas) {
			return
		}
	}
	if reply.Redacted {
		if !block(map[string]any{"type": "redacted_thinking", "data": base64.StdEncoding.EncodeToString(RedactedData())}, nil) {
			return
		}
	}
	chunks := reply.Chunks
	if chunks == nil && reply.Text != "" {
		chunks = words(reply.Text)
	}
	if len(chunks) > 0 || reply.Exception != "" {
		if !send(map[string]any{"type": "content_block_start", "index": index, "content_block": map[string]any{"type": "text", "text": ""}}) {
			return
		}
	}
	for i, c := range chunks {
		if reply.Exception != "" && i == reply.ExceptionAfter {
			exception(enc, w, rc, reply.Exception, "injected "+reply.Exception)
			return
		}
		if !send(map[string]any{"type": "content_block_delta", "index": index, "delta": map[string]any{"type": "text_delta", "text": c}}) {
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
		if !send(map[string]any{"type": "content_block_stop", "index": index}) {
			return
		}
		index++
	}
	for _, tu := range reply.ToolUses {
		parts := tu.InputChunks
		if parts == nil {
			parts = []string{orEmptyObject(tu.Input)}
		}
		var deltas []map[string]any
		for _, p := range parts {
			deltas = append(deltas, map[string]any{"type": "input_json_delta", "partial_json": p})
		}
		if !block(map[string]any{"type": "tool_use", "id": tu.ID, "name": tu.Name, "input": map[string]any{}}, deltas) {
			return
		}
	}
	if !send(map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": reply.stopReason(), "stop_sequence": nil},
		"usage": map[string]int{"output_tokens": reply.OutputTokens}}) {
		return
	}
	send(map[string]any{"type": "message_stop", "amazon-bedrock-invocationMetrics": map[string]int{
		"inputTokenCount": reply.InputTokens, "outputTokenCount": reply.OutputTokens,
		"invocationLatency": int(reply.FirstTokenDelay / time.Millisecond), "firstByteLatency": 1,
	}})
}

// countTokens answers CountTokens: the reply's InputTokens when scripted,
// else about a token for every four bytes of the counted body.
func (s *Server) countTokens(w http.ResponseWriter, counted []byte, reply Reply) {
	n := reply.InputTokens
	if n == 0 {
		n = max(1, len(counted)/4)
	}
	out, _ := json.Marshal(map[string]int{"inputTokens": n})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", requestID())
	_, _ = w.Write(out)
}
