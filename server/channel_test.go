package server_test

import (
	"net/http"
	"testing"
)

// TestNextChannel switches the running server between channels and checks
// which model, region and profile each tier's calls use.
func TestNextChannel(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		next   bool
		model  string // the request's model
		bmodel string // what Bedrock receives
		region string
		key    string
	}{
		{false, "code-smart", "smart-model-v1", "us-east-1", keySmart},
		{true, "code-smart", "smart-model-v2", "us-west-2", keySmart},
		{true, "smart", "smart-model-v2", "us-west-2", keySmart},
		{true, "code-fast", "fast-model-v1", "us-west-2", keyFast}, // no next target: stays
		{true, "plan", "plan-model-v1", "eu-central-1", keyDefault},
		{false, "code-smart", "smart-model-v1", "us-east-1", keySmart},
	}
	for _, tt := range tests {
		f.server.SetUseNext(tt.next)
		resp, body := f.post("/v1/chat/completions", `{"model":"`+tt.model+`","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("next=%v %s: %d %s", tt.next, tt.model, resp.StatusCode, body)
		}
		got := f.lastRequest()
		if got.ModelID != tt.bmodel || got.Region != tt.region || got.AccessKeyID != tt.key {
			t.Errorf("next=%v %s: Bedrock got %s in %s signed by %s; want %s in %s signed by %s",
				tt.next, tt.model, got.ModelID, got.Region, got.AccessKeyID, tt.bmodel, tt.region, tt.key)
		}
	}
}
