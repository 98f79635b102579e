package fakebedrock

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStampPutsSendTimeFirst(t *testing.T) {
	before := time.Now().UnixNano()
	got := stamp("xxxxxxx ")
	ts, rest, ok := strings.Cut(got, " ")
	if !ok || rest != "" {
		t.Fatalf("stamp(short chunk) = %q, want digits and a space", got)
	}
	v, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || v < before || v > time.Now().UnixNano() {
		t.Errorf("stamp time %q not the send time", ts)
	}
	long := strings.Repeat("y", 40)
	if got := stamp(long); len(got) != len(long) || !strings.HasSuffix(got, long[20:]) {
		t.Errorf("stamp(long chunk) = %q, want its length kept", got)
	}
}
