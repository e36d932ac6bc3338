package scenarios

import (
	"sync"
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func sent(id, typ string, status int) *trace.Record {
	return &trace.Record{Kind: trace.KindSent, Sent: trace.Sent{EventID: id, Type: typ, Status: status}}
}

func attempt(ep, id string, status int, flags uint8) *trace.Record {
	return &trace.Record{Kind: trace.KindAttempt, Attempt: trace.Attempt{Endpoint: ep, EventID: id, Status: status, Flags: flags}}
}

func TestTracker(t *testing.T) {
	t.Parallel()
	pol := policy.Policy{MaxAttempts: 3, Gone: "disable"}
	eps := []EndpointSpec{{Path: "/a"}, {Path: "/b", EventTypes: []string{"x"}}}
	tr := newTracker(pol, eps, false)
	steps := []struct {
		rec         *trace.Record
		outstanding uint64
	}{
		{sent("e1", "x", 202), 2},                        // /a and /b
		{attempt("/a", "e1", 200, 0), 1},                 // delivered at /a
		{attempt("/b", "e1", 503, 0), 1},                 // retry expected
		{attempt("/b", "e1", 200, trace.FlagAborted), 1}, // ack-lost: not delivered
		{attempt("/b", "e1", 503, 0), 0},                 // third attempt: out of attempts
		{sent("e2", "y", 202), 1},                        // /a only (type filter)
		{attempt("/a", "e2", 400, 0), 0},                 // 4xx: not retried
		{sent("e3", "y", 500), 0},                        // rejected trigger
		{sent("e4", "y", 202), 1},                        //
		{sent("e4", "y", 202), 1},                        // sent record of a retrigger without DuplicateOf is idempotent
		{attempt("/a", "e5", 200, 0), 1},                 // delivery before its Sent record
		{sent("e5", "y", 202), 1},                        // e5 already done
		{attempt("/a", "e4", 429, 0), 1},                 // 429 is retried
		{attempt("/a", "e4", 204, 0), 0},                 //
		{&trace.Record{Kind: trace.KindSent, Sent: trace.Sent{EventID: "e6", Type: "y", Status: 202, DuplicateOf: "e4"}}, 0},
	}
	for i, st := range steps {
		tr.add(st.rec)
		if got := tr.snapshot().Outstanding; got != st.outstanding {
			t.Fatalf("step %d (%+v): outstanding %d, want %d", i, st.rec, got, st.outstanding)
		}
	}
	p := tr.snapshot()
	if p.Sent != 7 || p.Rejected != 1 || p.Deliveries != 8 || p.Delivered != 3 || p.Failures != 5 {
		t.Errorf("progress %+v", p)
	}
	if len(tr.events) != 0 {
		t.Errorf("%d events kept after every one finished", len(tr.events))
	}
	// 410 under "disable" ends every later event at that endpoint.
	tr.add(sent("g1", "y", 202))
	tr.add(attempt("/a", "g1", 410, 0))
	tr.add(sent("g2", "y", 202))
	if got := tr.snapshot().Outstanding; got != 0 {
		t.Errorf("after 410: outstanding %d", got)
	}
}

func TestTrackerByCount(t *testing.T) {
	t.Parallel()
	tr := newTracker(policy.Policy{MaxAttempts: 1}, []EndpointSpec{{Path: "/hook"}}, true)
	for _, id := range []string{"a", "b", "c"} {
		tr.add(sent(id, "t", 200))
	}
	tr.add(attempt("/hook", "", 200, 0))
	tr.add(attempt("/hook", "", 500, 0))
	if p := tr.snapshot(); p.Outstanding != 2 || !p.ByCount || p.Delivered != 1 {
		t.Errorf("progress %+v", p)
	}
	tr.add(attempt("/hook", "", 200, 0))
	tr.add(attempt("/hook", "", 200, 0))
	tr.add(attempt("/hook", "", 200, 0)) // more than expected: not negative
	if p := tr.snapshot(); p.Outstanding != 0 {
		t.Errorf("progress %+v", p)
	}
}

// TestTrackerFromTrace drives the tracker through the tee, from records a
// trace.Writer encodes, as a run does.
func TestTrackerFromTrace(t *testing.T) {
	t.Parallel()
	tee := newTeeBuffer()
	tr := newTracker(policy.Policy{MaxAttempts: 5}, []EndpointSpec{{Path: "/a"}}, false)
	var wg sync.WaitGroup
	wg.Add(1)
	var consumeErr error
	go func() {
		defer wg.Done()
		consumeErr = tr.consume(tee)
	}()
	w, err := trace.NewWriter(tee, trace.NewHeader(nil, "test"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		id := "ev" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		w.WriteSent(&trace.Sent{EventID: id, Status: 202})
		if i%2 == 0 {
			w.WriteAttempt(&trace.Attempt{Endpoint: "/a", EventID: id, Status: 200, Nth: 1})
		}
	}
	w.WriteMark(&trace.Mark{Type: "phase", Name: "x"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tee.Close()
	wg.Wait()
	if consumeErr != nil {
		t.Fatal(consumeErr)
	}
	p := tr.snapshot()
	if p.Sent != 500 || p.Accepted != 500 || p.Delivered != 250 || p.Outstanding != 250 {
		t.Errorf("progress %+v", p)
	}
}
