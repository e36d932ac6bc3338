//go:build !linux

package generator

import (
	"errors"
	"time"
)

// preciseTimer is only implemented on Linux (timerfd); elsewhere the Go
// timer does all the waiting.
type preciseTimer struct{}

func newPreciseTimer() (*preciseTimer, error) {
	return nil, errors.New("no precise timer on this system")
}

func (t *preciseTimer) sleep(time.Duration) bool { return false }

func (t *preciseTimer) startTicking(time.Duration) bool { return false }

func (t *preciseTimer) waitTick() bool { return false }

func (t *preciseTimer) close() {}
