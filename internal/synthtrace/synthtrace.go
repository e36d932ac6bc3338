// Package synthtrace writes large synthetic traces of an open-loop load test,
// for the report benchmarks and bench/report.sh: one generator, so the
// benchmark in the tests and the one in bench/ measure the same trace.
package synthtrace

import (
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// Options shape a synthetic trace.
type Options struct {
	Attempts  int     // stop after this many attempts
	Rate      float64 // events per second
	Seed      uint64
	FailPct   int       // percent of attempts answered 503 (then retried 1 s later)
	Start     time.Time // the header's StartWall
	Hookbench string    // the header's version string
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

// Write writes a trace of an open-loop load test to w: events at a fixed
// rate, each delivered to one of three endpoints, a share of attempts
// failing and retried, records in the order a real run writes them
// (completion time). It returns the number of records written, the header
// included (as the decoder returns it). Memory is bounded by the records in
// flight (about Rate x 1 s). The same Options write the same bytes.
func Write(w io.Writer, o Options) (int, error) {
	h := trace.Header{Version: trace.FormatVersion, RunID: "synth-" + strconv.FormatUint(o.Seed, 10), StartWall: o.Start,
		Args: []string{"hookbench", "run", "synthetic.yaml"}, Hookbench: o.Hookbench}
	tw, err := trace.NewWriter(w, h)
	if err != nil {
		return 0, fmt.Errorf("write trace header: %w", err)
	}
	rnd := rand.New(rand.NewPCG(o.Seed, 7))
	eps := []string{"/orders", "/billing", "/users"}
	types := []string{"order.created", "order.paid", "invoice.sent", "user.deleted"}
	var q pendingHeap
	records, attempts := 0, 0
	put := func(p *pending) error {
		var err error
		switch p.rec.Kind {
		case trace.KindSent:
			err = tw.WriteSent(&p.rec.Sent)
		case trace.KindAttempt:
			err = tw.WriteAttempt(&p.rec.Attempt)
		}
		records++
		return err
	}
	if err := tw.WriteMark(&trace.Mark{AtNs: 0, Type: trace.PhaseMark, Name: "load"}); err != nil {
		return 0, fmt.Errorf("write trace: %w", err)
	}
	records++
	interval := float64(time.Second) / o.Rate
	for i := 0; attempts < o.Attempts; i++ {
		intended := int64(float64(i) * interval)
		for q.Len() > 0 && q[0].at <= intended {
			p := heap.Pop(&q).(pending)
			if err := put(&p); err != nil {
				return 0, fmt.Errorf("write trace: %w", err)
			}
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
		if err := put(&p); err != nil {
			return 0, fmt.Errorf("write trace: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, fmt.Errorf("close trace: %w", err)
	}
	return records + 1, nil
}
