package provider

import "time"

// Clock is the provider's time source for scheduling: when attempts are
// due, timestamps in the delivery log, idempotency expiry. Tests pass a
// fake clock and advance it by hand; nothing in the provider sleeps.
// Network timeouts of single attempts use real time.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not happened; it reports whether
	// it did so.
	Stop() bool
}

// realClock is the wall clock.
type realClock struct{}

var _ Clock = realClock{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
