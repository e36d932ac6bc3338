//go:build !race

package generator

import (
	"io"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

func TestSendDoesNotAllocate(t *testing.T) {
	variants := []struct {
		name string
		edit func(o *Options)
	}{
		{"json", nil},
		{"msgpack", func(o *Options) { o.Format = FormatMsgpack; o.BodySize = 512 }},
		{"duplicates", func(o *Options) { o.Duplicates = 0.5 }},
		{"padded", func(o *Options) { o.BodySize = 2048 }},
		{"shard", func(o *Options) { o.Shard = Shard{Index: 2, Of: 3} }},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			w := sendWorker(t, v.edit)
			n := uint64(0)
			for ; n < 100; n++ { // warm up: pools, connection, buffers
				w.send(n, time.Since(w.g.start))
			}
			allocs := testing.AllocsPerRun(500, func() {
				w.send(n, time.Since(w.g.start))
				n++
			})
			if allocs != 0 {
				t.Fatalf("send allocates %.2f times per request", allocs)
			}
			if w.st.sent != n || w.st.status[202] != n {
				t.Fatalf("sent %d, 202s %d, want %d", w.st.sent, w.st.status[202], n)
			}
		})
	}
}

// TestSendWithTraceAllocations reports the cost of Sent records: the trace
// writer interns each new event id, so its string table grows.
func TestSendWithTraceAllocations(t *testing.T) {
	tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	w := sendWorker(t, func(o *Options) { o.Trace = tw })
	n := uint64(0)
	for ; n < 100; n++ {
		w.send(n, time.Since(w.g.start))
	}
	allocs := testing.AllocsPerRun(2000, func() {
		w.send(n, time.Since(w.g.start))
		n++
	})
	t.Logf("send with a trace: %.3f allocations per request (string table growth)", allocs)
	if allocs > 1 {
		t.Fatalf("send with a trace allocates %.2f times per request", allocs)
	}
}
