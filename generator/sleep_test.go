package generator

import (
	"testing"
	"time"
)

func TestPreciseTimerSleeps(t *testing.T) {
	pt, err := newPreciseTimer()
	if err != nil {
		t.Skip(err)
	}
	defer pt.close()
	for _, d := range []time.Duration{0, time.Microsecond, 200 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		if !pt.sleep(d) {
			t.Fatalf("sleep(%v) failed", d)
		}
		// Only the lower bound is a logic property; how late it wakes is
		// measured by the benchmark.
		if got := time.Since(start); got < d {
			t.Fatalf("sleep(%v) returned after %v", d, got)
		}
	}
	pt.close()
	if pt.sleep(time.Millisecond) {
		t.Fatal("sleep on a closed timer reported success")
	}
}
