package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// CPUTime is the CPU time a process has used so far, all threads. It sums
// the nanosecond counters of /proc/PID/task/*/schedstat and falls back to
// the clock ticks of /proc/PID/stat where schedstat is missing.
func CPUTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err == nil && len(tasks) > 0 {
		var total time.Duration
		ok := false
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			if err != nil {
				continue // the thread just exited
			}
			fields := strings.Fields(string(b))
			if len(fields) == 0 {
				continue
			}
			ns, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				continue
			}
			total += time.Duration(ns)
			ok = true
		}
		if ok {
			return total, nil
		}
	}
	return statCPUTime(pid)
}

// statCPUTime reads utime+stime (clock ticks, 100 Hz) of /proc/PID/stat.
func statCPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

func parseStatCPU(b []byte) (time.Duration, error) {
	// The command name (field 2) may hold spaces; fields after it start
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// Memory is a process's resident set: now and its high-water mark, in KiB.
type Memory struct {
	RSS int64 `json:"rss_kib"` // VmRSS
	HWM int64 `json:"hwm_kib"` // VmHWM: peak RSS since start or the last ResetPeak
	// Anon is private memory (RssAnon: heap, stacks); File is mapped
	// files (RssFile: the executable's pages, shared libraries).
	Anon int64 `json:"anon_kib"`
	File int64 `json:"file_kib"`
}

// ReadMemory reads VmRSS and VmHWM of /proc/PID/status.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	return parseStatus(f)
}

func parseStatus(f interface{ Read([]byte) (int, error) }) (Memory, error) {
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &m.RSS
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &m.HWM
		case strings.HasPrefix(line, "RssAnon:"):
			dst = &m.Anon
		case strings.HasPrefix(line, "RssFile:"):
			dst = &m.File
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 {
			*dst, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("no VmRSS in /proc status")
	}
	return m, sc.Err()
}

// Threads is the number of OS threads of a process (Threads: in
// /proc/PID/status). A Go program's goroutines are not visible from
// outside; its threads are, and grow when goroutines block in system calls.
func Threads(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseThreads(f)
}

func parseThreads(f interface{ Read([]byte) (int, error) }) (int, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, fmt.Errorf("malformed Threads in /proc status: %q", v)
			}
			return n, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no Threads in /proc status")
}

// OpenFiles is the number of file descriptors a process holds open
// (entries of /proc/PID/fd), its sockets included.
func OpenFiles(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	return len(entries), nil
}

// ResetPeak resets the process's VmHWM to its current RSS (writing 5 to
// /proc/PID/clear_refs), so the next ReadMemory shows the peak of what
// follows.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// Machine describes where a run happened.
type Machine struct {
	CPUModel  string `json:"cpu_model"`
	Cores     int    `json:"cores"`
	MemoryMiB int64  `json:"memory_mib"`
	Kernel    string `json:"kernel"`
	OS        string `json:"os"`
	GoVersion string `json:"go_version"`
	Node      string `json:"node,omitempty"`
}

// DescribeMachine reads the CPU model, cores, memory and kernel from /proc.
func DescribeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				if f := strings.Fields(line); len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					m.MemoryMiB = kb / 1024
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	return m
}
