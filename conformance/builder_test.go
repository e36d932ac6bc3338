package conformance

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// tb builds small synthetic traces for check tests. Times are in ms.
type tb struct {
	tr trace.Trace
}

func newTB() *tb { return &tb{} }

const msNs = int64(time.Millisecond)

// frag opens a fragment at startMs (and closes it at endMs when > 0).
func (b *tb) frag(id string, f Fragment, startMs, endMs int64) *tb {
	if f.EventPrefix == "" {
		f.EventPrefix = id + "/"
	}
	if len(f.Endpoints) == 0 {
		f.Endpoints = []string{"/f/" + id}
	}
	d, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	b.tr.Marks = append(b.tr.Marks, trace.Mark{AtNs: startMs * msNs, Type: trace.FragmentMark, Name: id, Detail: string(d)})
	if endMs > 0 {
		b.tr.Marks = append(b.tr.Marks, trace.Mark{AtNs: endMs * msNs, Type: FragmentEndMark, Name: id})
	}
	return b
}

func (b *tb) mark(atMs int64, typ, name string) *tb {
	b.tr.Marks = append(b.tr.Marks, trace.Mark{AtNs: atMs * msNs, Type: typ, Name: name})
	return b
}

// sent records an accepted trigger at atMs.
func (b *tb) sent(id string, atMs int64, mods ...func(*trace.Sent)) *tb {
	s := trace.Sent{EventID: id, IntendedNs: atMs * msNs, SentNs: atMs * msNs, LatencyNs: msNs, Status: 202, ProviderID: "evt_" + id}
	for _, m := range mods {
		m(&s)
	}
	b.tr.Sent = append(b.tr.Sent, s)
	return b
}

// att records an attempt of event ev (msg id msg) at endpoint ep at atMs.
func (b *tb) att(ep, ev, msg string, atMs int64, status int, mods ...func(*trace.Attempt)) *tb {
	a := trace.Attempt{Endpoint: ep, EventID: ev, MsgID: msg, ArrivalNs: atMs * msNs, HandleNs: msNs / 10, Status: status,
		Sig: trace.SigValid, Size: 20, BodyHash: 0xabc, Flags: trace.FlagTimestamp}
	for _, m := range mods {
		m(&a)
	}
	b.tr.Attempts = append(b.tr.Attempts, a)
	return b
}

// seq records attempts of one event at the given times with the given statuses.
func (b *tb) seq(ep, ev string, times []int64, statuses []int, mods ...func(*trace.Attempt)) *tb {
	for i, t := range times {
		b.att(ep, ev, "msg_"+ev, t, statuses[min(i, len(statuses)-1)], mods...)
	}
	return b
}

func (b *tb) trace() *trace.Trace { t := b.tr; return &t }

// Attempt modifiers.
func handle(msv int64) func(*trace.Attempt) {
	return func(a *trace.Attempt) { a.HandleNs = msv * msNs }
}
func flags(f uint8) func(*trace.Attempt) { return func(a *trace.Attempt) { a.Flags |= f } }
func sig(s trace.SigResult) func(*trace.Attempt) {
	return func(a *trace.Attempt) { a.Sig = s }
}
func skew(msv int64) func(*trace.Attempt) { return func(a *trace.Attempt) { a.SkewMs = msv } }
func retryAfter(msv int64) func(*trace.Attempt) {
	return func(a *trace.Attempt) { a.RetryAfter = msv }
}
func body(s string) func(*trace.Attempt) {
	return func(a *trace.Attempt) { a.Body = []byte(s); a.Size = len(s) }
}
func hash(h uint64) func(*trace.Attempt) { return func(a *trace.Attempt) { a.BodyHash = h } }
func noID() func(*trace.Attempt)         { return func(a *trace.Attempt) { a.EventID, a.MsgID = "", "" } }

// testPolicy is a small, fast policy: 4 attempts, 100/400/1600 ms ±20 %.
func testPolicy() policy.Policy {
	return policy.Policy{MaxAttempts: 4,
		Backoff:           policy.Backoff{Kind: "schedule", Schedule: []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond}, Jitter: "proportional", JitterFrac: 0.2},
		Timeout:           200 * time.Millisecond,
		Scheme:            "standard",
		Tolerance:         300 * time.Second,
		Gone:              "disable",
		Redirects:         "fail",
		RetryAfter:        "honor",
		RetryAfterMax:     2 * time.Second,
		IdempotencyHeader: "Idempotency-Key",
		Persistent:        true,
		LatencyP50:        50 * time.Millisecond,
		LatencyP99:        200 * time.Millisecond,
	}
}

// runOne evaluates a single check.
func runOne(t testing.TB, id string, tr *trace.Trace, p policy.Policy) Result {
	t.Helper()
	rs, err := Evaluate(tr, &p, Options{Only: []string{id}, Slack: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("evaluate %s: %v", id, err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("check %s not in results", id)
	return Result{}
}

// checkCase is one row of a check's table test.
type checkCase struct {
	name   string
	build  func() *trace.Trace
	policy func(*policy.Policy)
	want   Verdict
}

func runCases(t *testing.T, id string, cases []checkCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(id+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			p := testPolicy()
			if c.policy != nil {
				c.policy(&p)
			}
			tr := c.build()
			r := runOne(t, id, tr, p)
			countsAgree(t, tr, p)
			if r.Verdict != c.want {
				t.Fatalf("verdict %s, want %s: %s\nevidence: %s", r.Verdict, c.want, r.Summary, fmtEvidence(r.Evidence))
			}
			if r.Verdict == Fail && len(r.Evidence) == 0 && r.Summary == "" {
				t.Fatalf("a FAIL must say why")
			}
		})
	}
}

// countsAgree runs every check over a trace and fails the test when a
// count a summary quotes disagrees with the trace (see CheckCounts).
func countsAgree(t testing.TB, tr *trace.Trace, p policy.Policy) {
	t.Helper()
	rs, err := Evaluate(tr, &p, Options{Slack: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if err := CheckCounts(tr, rs); err != nil {
		t.Errorf("counts disagree with the trace:\n%v", err)
	}
}

func fmtEvidence(es []Evidence) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("\n  %+v", e)
	}
	return s
}

// backoffTrace builds the backoff fragment: n events, all failing, with
// gaps[k] (ms) before retry k+1 of event i given by gap(i, k).
func backoffTrace(n, attempts int, gap func(i, k int) int64, mods ...func(*trace.Attempt)) *trace.Trace {
	b := newTB().frag(FragBackoff, Fragment{}, 0, 0)
	for i := range n {
		id := fmt.Sprintf("backoff/%d", i)
		b.sent(id, int64(i))
		t := int64(i) + 2
		ts := []int64{t}
		for k := range attempts - 1 {
			t += gap(i, k) // handle time 0.1 ms is below the ms resolution
			ts = append(ts, t)
		}
		b.seq("/f/backoff", id, ts, []int{500}, mods...)
	}
	return b.trace()
}
