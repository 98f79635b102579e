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
}
