package conformance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// summaryCase is a check run whose summary must say what the trace shows:
// the verdict, words it must contain and words it must not.
type summaryCase struct {
	name   string
	id     string
	build  func() *trace.Trace
	policy func(*policy.Policy)
	want   Verdict
	says   []string
	never  []string
}

// manyAttempts is the backoff fragment with 8 events that made between
// lo and lo+7 attempts each, retried after gap(k) (k from 0).
func manyAttempts(lo int, gap func(k int) int64) *trace.Trace {
	b := newTB().frag(FragBackoff, Fragment{}, 0, 0)
	for i := range 8 {
		id := fmt.Sprintf("backoff/%d", i)
		b.sent(id, int64(i))
		t := int64(i) + 2
		ts := []int64{t}
		for k := range lo + i - 1 {
			t += gap(k)
			ts = append(ts, t)
		}
		b.seq("/f/backoff", id, ts, []int{500})
	}
	return b.trace()
}

// onSchedule follows testPolicy's schedule, with a little spread per call.
func onSchedule(k int) int64 { return nominalMs[min(k, len(nominalMs)-1)] }

// fidelityNoIDs is the fidelity fragment delivering bodies in which the
// sink found no harness event id (statuses 500 then 200 per body).
func fidelityNoIDs(bodies ...string) func() *trace.Trace {
	return func() *trace.Trace {
		b := newTB().frag(FragFidelity, Fragment{Payloads: []Payload{{EventID: "fidelity/1", Body: tricky}}}, 0, 0).sent("fidelity/1", 0)
		for i, s := range bodies {
			st := 500
			if i == len(bodies)-1 {
				st = 200
			}
			b.att("/f/fidelity", "", "msg_1", int64(5+i*100), st, body(s), func(a *trace.Attempt) { a.EventID = "" })
		}
		return b.trace()
	}
}

func TestSummariesSayWhatTheTraceShows(t *testing.T) {
	escaped := `{"Type":"Notification","Message":` + fmt.Sprintf("%q", tricky) + `}`
	cases := []summaryCase{
		// A provider retrying far more than declared: 3.5 says so and
		// still judges the declared attempts.
		{name: "more attempts than declared, declared part on schedule", id: "3.5",
			build: func() *trace.Trace { return manyAttempts(38, onSchedule) }, policy: func(p *policy.Policy) { p.Backoff.Jitter = "none" },
			want: Pass, says: []string{"every event made 38–45 attempts, more than the declared 4; see 2.7"}, never: []string{"no event used all"}},
		{name: "more attempts than declared, all at once", id: "3.5",
			build: func() *trace.Trace { return manyAttempts(38, func(int) int64 { return 1 }) },
			want:  Fail, says: []string{"every event made 38–45 attempts, more than the declared 4", "8 of 8 retry windows broke the rule"}},
		{name: "fewer attempts than declared", id: "3.5", build: func() *trace.Trace { return manyAttempts(2, onSchedule) },
			policy: func(p *policy.Policy) { p.MaxAttempts = 12 }, want: Skip, says: []string{"every event made 2–9 attempts, fewer than the declared 12; see 2.7"}},
		{name: "2.7 sees the extra attempts", id: "2.7", build: func() *trace.Trace { return manyAttempts(38, onSchedule) },
			want: Fail, says: []string{"8 of 8 permanently failing events broke the rule"}},

		// Jitter needs retries: none made, or none declared, is not a
		// jitter WARN.
		{name: "no jitter declared, provider never retries", id: "3.3", build: func() *trace.Trace { return backoffTrace(8, 1, noRetriesAt) },
			policy: noJitter, want: Skip, says: []string{"no retries observed for 8 failing event(s) (see 2.x)"}},
		{name: "no jitter and no retries declared", id: "3.3", build: func() *trace.Trace { return backoffTrace(8, 1, noRetriesAt) },
			policy: func(p *policy.Policy) { noJitter(p); p.MaxAttempts = 1 }, want: Info, says: []string{"declares no retries"}},
		{name: "no jitter declared, retries in lock-step", id: "3.3", build: func() *trace.Trace { return backoffTrace(8, 4, lockStep) },
			policy: noJitter, want: Warn, says: []string{"declares no jitter", "8 failing events retried"}},

		// Bodies kept but not matched by id: judged, not "kept no bodies".
		{name: "bodies kept, no harness id", id: "9.1", build: fidelityNoIDs(tricky),
			want: Pass, says: []string{"1 first deliveries"}, never: []string{"kept no bodies"}},
		{name: "payload as a JSON string in an envelope", id: "9.1", build: fidelityNoIDs(escaped), want: Pass},
		{name: "bodies kept, no harness id, payload lost", id: "9.1", build: fidelityNoIDs(`{"a":{"big":12345678901234567000}}`),
			want: Fail, says: []string{"1 of 1 first deliveries broke the rule"}},
		{name: "retries kept without ids", id: "9.2", build: fidelityNoIDs(tricky, tricky), want: Pass, says: []string{"1 retried deliveries"}},
		{name: "no retry is not a missing body", id: "9.2", build: fidelityNoIDs(tricky),
			want: Skip, says: []string{"no event was retried"}, never: []string{"bodies"}},
		{name: "sizes without bodies", id: "9.1", build: func() *trace.Trace {
			return newTB().frag(FragFidelity, Fragment{Payloads: []Payload{{EventID: "fidelity/1", Body: tricky}}}, 0, 0).sent("fidelity/1", 0).
				att("/f/fidelity", "fidelity/1", "m", 5, 200).trace()
		}, want: Skip, says: []string{"recorded sizes but not bodies for the 1 first deliveries"}},

		// Both events arrived; the provider reused one message id.
		{name: "both arrived under one message id", id: "1.1", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).sent("deliver/b", 1).
				att("/f/deliver", "", "msg_same", 5, 200, noID(), func(a *trace.Attempt) { a.MsgID, a.BodyHash = "msg_same", 1 }).
				att("/f/deliver", "", "msg_same", 6, 200, noID(), func(a *trace.Attempt) { a.MsgID, a.BodyHash = "msg_same", 2 }).trace()
		}, want: Pass, says: []string{"2 event deliveries"}, never: []string{"broke the rule"}},
		{name: "one event delivered twice is one", id: "1.1", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).sent("deliver/b", 1).
				att("/f/deliver", "", "msg_a", 5, 200, noID(), func(a *trace.Attempt) { a.MsgID = "msg_a" }).
				att("/f/deliver", "", "msg_a", 6, 200, noID(), func(a *trace.Attempt) { a.MsgID = "msg_a" }).trace()
		}, want: Fail, says: []string{"1 of 2 event deliveries broke the rule"}},

		// One trigger, three anonymous attempts: one event broke the rule.
		{name: "deleted endpoint, attempts without ids", id: "8.3", build: func() *trace.Trace {
			return newTB().frag(FragDelete, Fragment{}, 0, 0).sent("delete/1", 0).
				att("/f/delete", "", "", 5, 500, noID()).att("/f/delete", "", "", 105, 500, noID()).att("/f/delete", "", "", 505, 200, noID()).trace()
		}, want: Fail, says: []string{"1 of 1 events triggered after the deletion broke the rule"}},

		// A full-jitter mean far off while each delay is in its band: an
		// aggregate, not one more delay.
		{name: "mean off, every delay in band", id: "3.1", build: func() *trace.Trace {
			return backoffTrace(64, 4, func(i, k int) int64 { return nominalMs[k] / 20 })
		}, policy: func(p *policy.Policy) { p.Backoff.Jitter = "full" }, want: Fail,
			says: []string{"192 retry delays, each within the rule, but retry 1: mean delay"}, never: []string{"of 192"}},

		// An attempt the provider cut well before its timeout: 5.3 fails
		// it, 5.1 does not call it cut at the timeout.
		{name: "cut early, read by 5.1", id: "5.1", build: hangAt(90), want: Pass,
			says: []string{"1 cut off before it: see 5.3"}, never: []string{"each cut off at the timeout"}},
		{name: "cut early, read by 5.3", id: "5.3", build: hangAt(90), want: Fail, says: []string{"1 of 2 attempts broke the rule"}},
		{name: "cut at the timeout, read by 5.1", id: "5.1", build: hangAt(205), want: Pass, says: []string{"each cut off at the timeout"}},
		{name: "cut at the timeout, read by 5.3", id: "5.3", build: hangAt(205), want: Pass},
	}
	for _, c := range cases {
		t.Run(c.id+"/"+c.name, func(t *testing.T) {
			p := testPolicy()
			if c.policy != nil {
				c.policy(&p)
			}
			tr := c.build()
			r := runOne(t, c.id, tr, p)
			if r.Verdict != c.want {
				t.Errorf("verdict %s, want %s: %s", r.Verdict, c.want, r.Summary)
			}
			for _, s := range c.says {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("summary %q does not say %q", r.Summary, s)
				}
			}
			for _, s := range c.never {
				if strings.Contains(r.Summary, s) {
					t.Errorf("summary %q says %q", r.Summary, s)
				}
			}
			countsAgree(t, tr, p)
		})
	}
}

// hangAt is the timeout fragment: the first attempt hangs until the
// provider hangs up after handleMs (policy timeout 200 ms), the retry is
// answered.
func hangAt(handleMs int64) func() *trace.Trace {
	return func() *trace.Trace {
		return newTB().frag(FragTimeout, Fragment{}, 0, 5000).frag(FragTimeoutOK, Fragment{}, 0, 5000).sent("timeout/1", 0).
			att("/f/timeout", "timeout/1", "m", 5, 0, handle(handleMs), flags(trace.FlagAborted|trace.FlagProviderGaveUp)).
			att("/f/timeout", "timeout/1", "m", 5+handleMs+100, 200).trace()
	}
}

// CheckCounts rejects results whose counts disagree with the trace: the
// ways a check could mix units.
func TestCheckCountsCatchesMixedUnits(t *testing.T) {
	// Two events, one attempt each, both delivered.
	tr := newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).sent("deliver/b", 1).
		att("/f/deliver", "deliver/a", "m_a", 5, 200).att("/f/deliver", "deliver/b", "m_b", 6, 200).trace()
	p := testPolicy()
	good, err := Evaluate(tr, &p, Options{Only: []string{"1.1", "1.2", "9.3"}, Slack: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCounts(tr, good); err != nil {
		t.Fatalf("consistent results rejected: %v", err)
	}
	res := func(id string, v Verdict, summary string, n Count) []Result {
		return []Result{{ID: id, Verdict: v, Summary: summary, Count: &n}}
	}
	for _, c := range []struct {
		name string
		rs   []Result
		says string
	}{
		{"more bad than counted", res("1.2", Fail, "3 of 2 deliveries broke the rule", Count{Bad: 3, Total: 2, Unit: UnitDeliveries}), "3 bad of only 2"},
		{"attempts counted as events", res("1.1", Fail, "1 of 5 event deliveries broke the rule", Count{Bad: 1, Total: 5, Unit: UnitExpected}), "the trace holds 2"},
		{"a subset claimed as all", res("1.2", Pass, "1 deliveries: none redelivered", Count{Total: 1, Unit: UnitDeliveries, All: true}), "said to be all"},
		{"summary quotes other numbers", res("1.2", Fail, "1 of 1 deliveries broke the rule", Count{Bad: 2, Total: 2, Unit: UnitDeliveries}), "does not quote"},
		{"a pass with a failure", res("9.3", Pass, "2 attempts: each named its event type", Count{Bad: 1, Total: 2, Unit: UnitAttempts}), "PASS with 1 bad"},
		{"a fail with nothing bad", res("9.3", Fail, "2 attempts", Count{Total: 2, Unit: UnitAttempts}), "FAIL with nothing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckCounts(tr, c.rs)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("CheckCounts = %v, want an error saying %q", err, c.says)
			}
		})
	}
}
