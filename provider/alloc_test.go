//go:build !race

package provider

import (
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// The per-attempt decisions allocate nothing.
func TestAttemptDecisionsDoNotAllocate(t *testing.T) {
	pol := DefaultPolicy()
	now := time.Now()
	ra := []byte("120")
	n := testing.AllocsPerRun(1000, func() {
		d, _ := ParseRetryAfter(ra, now)
		out := classify(&pol, 503, trace.ErrNone, 0)
		if out == oRetry {
			delay, _ := retryDelay(&pol, 2, 0, 0.5)
			_ = honorRetryAfter(&pol, 503, d, true, delay, 0)
		}
	})
	if n != 0 {
		t.Errorf("%v allocs per attempt decision, want 0", n)
	}
}
