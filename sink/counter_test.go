package sink

import (
	"runtime"
	"strconv"
	"testing"
)

// key spreads i over the shards as an id hash would.
func key(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }

func TestNthCounterWindow(t *testing.T) {
	t.Parallel()
	const window = 1000
	tests := []struct {
		name    string
		between int    // distinct new ids arriving between two arrivals of id 0
		want    uint32 // Nth of the second arrival of id 0
	}{
		{"back to back", 0, 2},
		{"inside the window", window - 1, 2},
		{"well past the window", 3 * window, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Every start phase of the generations: the window holds
			// whatever the counter saw before.
			for pre := 0; pre < window; pre += 97 {
				c := newNthCounter(window)
				for i := range pre {
					c.inc(key(1_000_000 + i))
				}
				if n := c.inc(key(0)); n != 1 {
					t.Fatalf("first arrival: %d", n)
				}
				for i := range tt.between {
					c.inc(key(1 + i))
				}
				if n := c.inc(key(0)); n != tt.want {
					t.Fatalf("pre %d: second arrival counted %d, want %d", pre, n, tt.want)
				}
			}
		})
	}
}

func TestNthCounterRepeatsKeepAnId(t *testing.T) {
	t.Parallel()
	const window = 100
	c := newNthCounter(window)
	// An id seen again every window/2 new ids is never forgotten.
	for round := 1; round <= 20; round++ {
		if n := c.inc(key(0)); n != uint32(round) {
			t.Fatalf("round %d: Nth %d", round, n)
		}
		for i := range window / 2 {
			c.inc(key(round*window + i + 1))
		}
	}
}

func TestNthCounterBounded(t *testing.T) {
	t.Parallel()
	const window = 1000
	c := newNthCounter(window)
	for i := range 50 * window {
		c.inc(key(i))
		if h := c.held(); h > 2*window {
			t.Fatalf("after %d ids the counter holds %d, more than 2*window", i+1, h)
		}
	}
}

func TestNthCounterSaturates(t *testing.T) {
	t.Parallel()
	c := newNthCounter(10)
	sh := &c.shards[key(1)%counterShards]
	c.inc(key(1))
	sh.cur[key(1)] = ^uint32(0) - 1
	for range 3 {
		if n := c.inc(key(1)); n != ^uint32(0) {
			t.Fatalf("Nth %d, want saturation", n)
		}
	}
}

// BenchmarkNthCounterBytesPerID measures the memory held per distinct id
// once the counter is full (two generations of window ids): the figure
// behind DefaultDedupWindow's cost. Report: bytes/id.
func BenchmarkNthCounterBytesPerID(b *testing.B) {
	for _, window := range []int{1 << 16, 1 << 20} {
		b.Run("window="+strconv.Itoa(window), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				c := newNthCounter(window)
				// 2*window - 1 ids: both generations full, no rotation yet
				for i := range 2*window - 1 {
					c.inc(key(i))
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(c.held()), "bytes/id")
				runtime.KeepAlive(c)
				b.StartTimer()
			}
		})
	}
}
