package reports

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

const (
	ms = int64(time.Millisecond)
	s  = int64(time.Second)
)

// testStart is the StartWall of test traces.
var testStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func header(runID string, start time.Time) trace.Record {
	return trace.Record{Kind: trace.KindHeader, Header: trace.Header{
		Version: trace.FormatVersion, RunID: runID, StartWall: start, Args: []string{"hookbench", "run", "x.yaml"}, Hookbench: "test",
	}}
}

func sent(id, typ string, intended, sentAt, latency int64, status int) trace.Record {
	return trace.Record{Kind: trace.KindSent, Sent: trace.Sent{
		EventID: id, Type: typ, IntendedNs: intended, SentNs: sentAt, LatencyNs: latency, Status: status,
	}}
}

func attempt(id, endpoint, typ string, nth uint32, at int64, status int) trace.Record {
	return trace.Record{Kind: trace.KindAttempt, Attempt: trace.Attempt{
		Endpoint: endpoint, MsgID: "msg_" + id, EventID: id, EventType: typ, Nth: nth, ArrivalNs: at,
		HandleNs: ms / 2, Status: status, Sig: trace.SigValid, Size: 120,
	}}
}

func mark(at int64, typ, name, detail string) trace.Record {
	return trace.Record{Kind: trace.KindMark, Mark: trace.Mark{AtNs: at, Type: typ, Name: name, Detail: detail}}
}

// encodeTrace writes records (the first must be a header) as a trace file.
func encodeTrace(tb testing.TB, recs []trace.Record) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := trace.NewWriter(&buf, recs[0].Header)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 1; i < len(recs); i++ {
		rec := &recs[i]
		switch rec.Kind {
		case trace.KindSent:
			err = w.WriteSent(&rec.Sent)
		case trace.KindAttempt:
			err = w.WriteAttempt(&rec.Attempt)
		case trace.KindMark:
			err = w.WriteMark(&rec.Mark)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// build feeds traces (each a record list) through Feed and closes.
func build(tb testing.TB, opts Options, traces ...[]trace.Record) *Summary {
	tb.Helper()
	r, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	var srcs []Source
	for i, recs := range traces {
		srcs = append(srcs, Source{Name: "t" + string(rune('0'+i)) + ".hbt", R: bytes.NewReader(encodeTrace(tb, recs))})
	}
	if err := Feed(context.Background(), r, srcs...); err != nil {
		tb.Fatal(err)
	}
	sum, err := r.Close()
	if err != nil {
		tb.Fatal(err)
	}
	return sum
}

func testOptions() Options {
	o := NewOptions()
	o.Version = "test"
	return o
}

// sampleRun is a small run exercising every measurement: retries, an
// attempt that precedes its Sent, fan-out, an undelivered event, an
// unknown event, a failed trigger, phases and behaviour changes.
func sampleRun() []trace.Record {
	return []trace.Record{
		header("run-sample", testStart),
		mark(0, "phase", "warmup", ""),
		mark(0, "endpoint", "/orders", `{"path":"/orders"}`),
		// ev1: 503 then 200 one second later at /orders.
		sent("ev1", "order.created", 1000*ms, 1001*ms, 2*ms, 202),
		attempt("ev1", "/orders", "order.created", 1, 1010*ms, 503),
		mark(1500*ms, "behavior", "/orders", "status=503 attempt=1"),
		// ev2: delivered before its Sent record was written.
		attempt("ev2", "/orders", "order.created", 1, 1600*ms, 200),
		sent("ev2", "order.created", 1590*ms, 1591*ms, 20*ms, 202),
		attempt("ev1", "/orders", "order.created", 2, 2010*ms, 200),
		mark(2100*ms, "phase", "load", "rate=10/s"),
		// ev3: fan-out to two endpoints.
		sent("ev3", "invoice.paid", 2200*ms, 2200*ms, 1*ms, 202),
		attempt("ev3", "/orders", "invoice.paid", 1, 2230*ms, 200),
		attempt("ev3", "/billing", "invoice.paid", 1, 2250*ms, 200),
		// ev4: accepted, never delivered.
		sent("ev4", "order.created", 2300*ms, 2300*ms, 1*ms, 202),
		// ev5: trigger failed (500): no delivery expected.
		sent("ev5", "order.created", 2400*ms, 2450*ms, 3*ms, 500),
		// evX: delivered but never sent by this run.
		attempt("evX", "/billing", "invoice.paid", 1, 2500*ms, 410),
		mark(2600*ms, "phase", "drain", ""),
		// ev6: three attempts that all fail.
		sent("ev6", "invoice.paid", 2700*ms, 2700*ms, 1*ms, 202),
		attempt("ev6", "/billing", "invoice.paid", 1, 2800*ms, 500),
		attempt("ev6", "/billing", "invoice.paid", 2, 3300*ms, 500),
		attempt("ev6", "/billing", "invoice.paid", 3, 4300*ms, 0),
	}
}
