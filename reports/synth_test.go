package reports

import (
	"container/heap"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// synthOptions shape a synthetic load-test trace.
type synthOptions struct {
	Attempts int     // stop after this many attempts
	Rate     float64 // events per second
	Seed     uint64
	FailPct  int // percent of attempts answered 503 (then retried 1 s later)
}

// pending is a record waiting for its write time.
type pending struct {
	at  int64
	rec trace.Record
}

type pendingHeap []pending

func (h pendingHeap) Len() int           { return len(h) }
func (h pendingHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h pendingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)        { *h = append(*h, x.(pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// writeSynthTrace writes a trace of an open-loop load test: events at a
// fixed rate, each delivered to one of three endpoints, a share of
// attempts failing and retried, records in the order a real run writes
// them (completion time). It returns the number of records written.
// Memory is bounded by the records in flight (about Rate x 1 s).
func writeSynthTrace(tb testing.TB, w io.Writer, o synthOptions) int {
	tb.Helper()
	h := trace.Header{Version: trace.FormatVersion, RunID: "synth-" + strconv.FormatUint(o.Seed, 10), StartWall: testStart,
		Args: []string{"hookbench", "run", "synthetic.yaml"}, Hookbench: "test"}
	tw, err := trace.NewWriter(w, h)
	if err != nil {
		tb.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(o.Seed, 7))
	eps := []string{"/orders", "/billing", "/users"}
	types := []string{"order.created", "order.paid", "invoice.sent", "user.deleted"}
	var q pendingHeap
	records, attempts := 0, 0
	write := func(p *pending) {
		var err error
		switch p.rec.Kind {
		case trace.KindSent:
			err = tw.WriteSent(&p.rec.Sent)
		case trace.KindAttempt:
			err = tw.WriteAttempt(&p.rec.Attempt)
		case trace.KindMark:
			err = tw.WriteMark(&p.rec.Mark)
		}
		if err != nil {
			tb.Fatal(err)
		}
		records++
	}
	_ = tw.WriteMark(&trace.Mark{AtNs: 0, Type: "phase", Name: "load"})
	interval := float64(time.Second) / o.Rate
	for i := 0; attempts < o.Attempts; i++ {
		intended := int64(float64(i) * interval)
		for q.Len() > 0 && q[0].at <= intended {
			p := heap.Pop(&q).(pending)
			write(&p)
		}
		id := "hb" + strconv.Itoa(i)
		typ := types[rnd.IntN(len(types))]
		sentAt := intended + rnd.Int64N(50_000)
		lat := int64(rnd.ExpFloat64()*2e6) + 200_000
		heap.Push(&q, pending{sentAt + lat, trace.Record{Kind: trace.KindSent, Sent: trace.Sent{
			EventID: id, Type: typ, IntendedNs: intended, SentNs: sentAt, LatencyNs: lat, Status: 202}}})
		ep := eps[rnd.IntN(len(eps))]
		at := sentAt + int64(rnd.ExpFloat64()*6e6) + 300_000
		for nth := uint32(1); attempts < o.Attempts; nth++ {
			status := 200
			if nth < 4 && rnd.IntN(100) < o.FailPct {
				status = 503
			}
			heap.Push(&q, pending{at, trace.Record{Kind: trace.KindAttempt, Attempt: trace.Attempt{
				Endpoint: ep, MsgID: "msg_" + id, EventID: id, EventType: typ, Nth: nth, ArrivalNs: at,
				HandleNs: 40_000, Status: status, Sig: trace.SigValid, Size: 240, BodyHash: rnd.Uint64()}}})
			attempts++
			if status == 200 {
				break
			}
			at += time.Second.Nanoseconds() + rnd.Int64N(int64(100*time.Millisecond))
		}
	}
	for q.Len() > 0 {
		p := heap.Pop(&q).(pending)
		write(&p)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return records + 1
}

// TestWriteLargeTrace writes a synthetic trace for hand measurements:
//
//	HOOKBENCH_SYNTH=/tmp/10m.hbt HOOKBENCH_SYNTH_N=10000000 go test -run TestWriteLargeTrace ./reports
func TestWriteLargeTrace(t *testing.T) {
	path := os.Getenv("HOOKBENCH_SYNTH")
	if path == "" {
		t.Skip("set HOOKBENCH_SYNTH=path (and HOOKBENCH_SYNTH_N) to write a synthetic trace")
	}
	n, err := strconv.Atoi(os.Getenv("HOOKBENCH_SYNTH_N"))
	if err != nil || n <= 0 {
		n = 1_000_000
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := writeSynthTrace(t, f, synthOptions{Attempts: n, Rate: 20000, Seed: 1, FailPct: 5})
	t.Logf("wrote %s: %d attempts, %d records", path, n, recs)
}
