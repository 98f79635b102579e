package app

import (
	"bytes"
	"sync"
)

// logLines keeps the last lines written to it, for the status window.
type logLines struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  []byte
}

func newLogLines(max int) *logLines { return &logLines{max: max} }

// Write implements io.Writer; it keeps complete lines.
func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.part[:i]))
		l.part = l.part[i+1:]
	}
	if over := len(l.lines) - l.max; over > 0 {
		l.lines = append(l.lines[:0], l.lines[over:]...)
	}
	return len(p), nil
}

// Lines returns a copy of the kept lines, oldest first.
func (l *logLines) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
