//go:build !race

package reports

import (
	"testing"

	"github.com/hookbench/hookbench/trace"
)

// Adding records of known endpoints and event types does not allocate.
func TestAddDoesNotAllocate(t *testing.T) {
	r, err := New(NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	recs := []trace.Record{
		header("alloc", testStart),
		sent("a1", "order.created", 10*ms, 10*ms, ms, 202),
		attempt("a1", "/orders", "order.created", 1, 15*ms, 200),
		sent("a2", "order.created", 11*ms, 11*ms, ms, 202),
		attempt("a2", "/orders", "order.created", 1, 16*ms, 200),
	}
	r.AddBatch(recs) // creates groups, pages, tables
	s, a := recs[1], recs[2]
	var i int64
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		s.Sent.EventID, a.Attempt.EventID = "a1", "a1" // same key: no table growth
		s.Sent.SentNs, a.Attempt.ArrivalNs = 20*ms+i, 25*ms+i
		r.Add(&s)
		r.Add(&a)
	})
	if allocs != 0 {
		t.Fatalf("Add allocates %.1f times per Sent+Attempt", allocs)
	}
	batch := recs[1:]
	allocs = testing.AllocsPerRun(1000, func() { r.AddBatch(batch) })
	if allocs != 0 {
		t.Fatalf("AddBatch allocates %.1f times", allocs)
	}
}
