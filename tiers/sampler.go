package tiers

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Sampler holds a tier's sampling defaults, in the order models.ini lists
// them ("temp=0.2, top_p=0.9, top_k=20, min_p=0.05, rep_pen=1.05").
type Sampler []SamplerSetting

// SamplerSetting is one "key=value" of a sampler line.
type SamplerSetting struct {
	Key   string
	Value float64
}

// Get returns the value of a sampler key.
func (s Sampler) Get(key string) (float64, bool) {
	for _, kv := range s {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return 0, false
}

// String renders the sampler the way models.ini writes it.
func (s Sampler) String() string {
	parts := make([]string, len(s))
	for i, kv := range s {
		parts[i] = kv.Key + "=" + strconv.FormatFloat(kv.Value, 'g', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// ParseSampler parses a comma-separated list of key=number pairs.
func ParseSampler(v string) (Sampler, error) {
	var s Sampler
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || key == "" {
			return nil, fmt.Errorf("%q is not key=value (example: temp=0.2, top_p=0.9)", part)
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a number", key, val)
		}
		if key == "top_k" && (f < 0 || f != math.Trunc(f)) {
			// A count of tokens; Bedrock and llama.cpp refuse anything else.
			return nil, fmt.Errorf("top_k=%s must be a whole number of at least 0 (0 leaves it off)", val)
		}
		s = append(s, SamplerSetting{Key: key, Value: f})
	}
	return s, nil
}
