package main

import (
	"math"
	"strings"
	"testing"
)

func TestCheckRates(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		throttle, errs, stream float64
		want                   string // "" for accepted
	}{
		{"none", 0, 0, 0, ""},
		{"the soak's", 0.05, 0.02, 0.02, ""},
		{"all throttled", 1, 0, 0, ""},
		{"negative", 0, -0.1, 0, "-error-rate must be between 0 and 1"},
		{"over one", 0, 0, 1.5, "-stream-error-rate must be between 0 and 1"},
		{"not a number", math.NaN(), 0, 0, "-throttle-rate must be between 0 and 1"},
		{"adding up to more than one", 0.5, 0.3, 0.3, "add up to 1.1: at most 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRates(tc.throttle, tc.errs, tc.stream)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("checkRates(%v, %v, %v) = %v, want %q", tc.throttle, tc.errs, tc.stream, err, tc.want)
			}
		})
	}
}
