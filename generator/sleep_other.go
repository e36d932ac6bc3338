//go:build !linux

package generator

import "time"

// preciseTimer falls back to the Go timer where no timerfd is available.
type preciseTimer struct{ done chan struct{} }

func newPreciseTimer() (*preciseTimer, error) { return &preciseTimer{done: make(chan struct{})}, nil }

func (t *preciseTimer) sleep(d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-t.done:
		return false
	}
}

func (t *preciseTimer) close() { close(t.done) }
