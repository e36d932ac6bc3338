// Package ratelog rate-limits log lines that a peer can provoke (one per
// malformed connection), so that a flood of bad requests cannot flood the
// log.
package ratelog

import (
	"strconv"
	"sync"
	"time"
)

// DefaultEvery is the least time between two lines a Logger lets through.
const DefaultEvery = time.Second

// Logger passes at most one line per Every to Logf; the lines dropped in
// between are counted and the count is appended to the next line that
// passes, as " (N more suppressed)". Safe for concurrent use.
type Logger struct {
	// Logf receives the lines let through.
	Logf func(format string, args ...any)
	// Every is the least time between two lines; 0 means DefaultEvery.
	Every time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu         sync.Mutex // guards last and suppressed
	last       time.Time
	suppressed int
}

// Printf logs a line unless one was logged less than Every ago.
func (l *Logger) Printf(format string, args ...any) {
	if l == nil || l.Logf == nil {
		return
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	every := l.Every
	if every <= 0 {
		every = DefaultEvery
	}
	t := now()
	l.mu.Lock()
	if !l.last.IsZero() && t.Sub(l.last) < every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.last, l.suppressed = t, 0
	l.mu.Unlock()
	if n > 0 {
		format += " (" + strconv.Itoa(n) + " more suppressed)"
	}
	l.Logf(format, args...)
}

// Suppressed returns how many lines are waiting to be counted in the next
// line let through.
func (l *Logger) Suppressed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.suppressed
}
