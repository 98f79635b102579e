package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// Field 2 holds a space and a ')' to make sure parsing starts after
	// the last ')'.
	line := "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 1000 200 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("parseStatCPU = %v, want %v (300 ticks)", got, want)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Error("parseStatCPU(garbage) did not fail")
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tllmstack\nVmPeak:\t 1000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   16384 kB\nRssAnon:\t    4096 kB\nRssFile:\t   12288 kB\nThreads:\t8\n"
	m, err := parseStatus(strings.NewReader(status))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 16384 || m.HWM != 20480 || m.Anon != 4096 || m.File != 12288 {
		t.Errorf("parseStatus = %+v", m)
	}
	if _, err := parseStatus(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("parseStatus without VmRSS did not fail")
	}
}

func TestParseThreads(t *testing.T) {
	for _, tc := range []struct {
		status string
		want   int
		ok     bool
	}{
		{"Name:\tllmstack\nVmRSS:\t   16384 kB\nThreads:\t8\n", 8, true},
		{"Threads:\t112\nSigQ:\t0/1\n", 112, true},
		{"Name:\tx\n", 0, false},
		{"Threads:\tmany\n", 0, false},
	} {
		n, err := parseThreads(strings.NewReader(tc.status))
		if (err == nil) != tc.ok || n != tc.want {
			t.Errorf("parseThreads(%q) = %d, %v; want %d (ok %v)", tc.status, n, err, tc.want, tc.ok)
		}
	}
}

func TestOwnProcess(t *testing.T) {
	// Reading our own /proc entries works on Linux; elsewhere skip.
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	pid := os.Getpid()
	if _, err := CPUTime(pid); err != nil {
		t.Errorf("CPUTime: %v", err)
	}
	m, err := ReadMemory(pid)
	if err != nil || m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("ReadMemory = %+v, %v", m, err)
	}
	if n, err := Threads(pid); err != nil || n < 1 {
		t.Errorf("Threads = %d, %v", n, err)
	}
	before, err := OpenFiles(pid)
	if err != nil || before < 3 {
		t.Fatalf("OpenFiles = %d, %v", before, err)
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if after, _ := OpenFiles(pid); after != before+1 {
		t.Errorf("OpenFiles = %d with one more file open, want %d", after, before+1)
	}
}
