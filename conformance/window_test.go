package conformance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

const ms100 = 100 * time.Millisecond

// windowTestPolicy is testPolicy without a count: 100 and 400 ms (±20 %)
// over and over, for as long as a 1 s retry window lasts.
func windowTestPolicy(p *policy.Policy) {
	p.MaxAttempts = policy.Unlimited
	p.RetryWindow = time.Second
	p.Backoff.Schedule = []time.Duration{ms100, 4 * ms100}
	p.Backoff.Repeat = true
}

// failing builds the backoff fragment (ending at endMs) with one always
// failing event per attempt list.
func failing(endMs int64, events ...[]int64) *trace.Trace {
	b := newTB().frag(FragBackoff, Fragment{}, 0, endMs)
	for i, ts := range events {
		id := fmt.Sprintf("backoff/%d", i)
		b.sent(id, 0).seq("/f/"+FragBackoff, id, ts, []int{500})
	}
	return b.trace()
}

func TestCheckMaxAttemptsRetryWindow(t *testing.T) {
	// Nominal attempts at 2, 102, 502, 602, 1002 ms; retry 5 (another
	// 100 ms) would pass the window, which closes at 1002.
	full := []int64{2, 102, 502, 602, 1002}
	runCases(t, "2.7", []checkCase{
		{name: "kept retrying until the window closed", build: func() *trace.Trace { return failing(5000, full) }, policy: windowTestPolicy, want: Pass},
		// After 602 ms, retry 4 may come as late as 1082 ms: the window
		// may close first, so the provider may stop there.
		{name: "stopped where the next retry may fall past the window", build: func() *trace.Trace { return failing(5000, full[:4]) }, policy: windowTestPolicy, want: Pass},
		{name: "events of different counts", build: func() *trace.Trace { return failing(5000, full, full[:4], []int64{2, 120, 560, 640, 1100}) },
			policy: windowTestPolicy, want: Pass},
		{name: "stopped early", build: func() *trace.Trace { return failing(5000, full, full[:3]) }, policy: windowTestPolicy, want: Fail},
		{name: "never retried", build: func() *trace.Trace { return failing(5000, full[:1]) }, policy: windowTestPolicy, want: Fail},
		{name: "retried after the window", build: func() *trace.Trace { return failing(5000, append(full, 1102, 1502)) }, policy: windowTestPolicy, want: Fail},
		{name: "a late last retry is no breach", build: func() *trace.Trace { return failing(5000, []int64{2, 102, 502, 602, 1150}) }, policy: windowTestPolicy, want: Pass},
		{name: "still retrying when the fragment ended", build: func() *trace.Trace { return failing(700, full[:3]) },
			policy: func(p *policy.Policy) { windowTestPolicy(p); p.RetryWindow = time.Hour }, want: Pass},
		{name: "fragment ended before the first retry was due", build: func() *trace.Trace { return failing(50, full[:1]) }, policy: windowTestPolicy, want: Skip},
		{name: "count reached inside the window", build: func() *trace.Trace { return failing(5000, full[:3]) },
			policy: func(p *policy.Policy) { windowTestPolicy(p); p.MaxAttempts = 3 }, want: Pass},
		{name: "count exceeded inside the window", build: func() *trace.Trace { return failing(5000, full) },
			policy: func(p *policy.Policy) { windowTestPolicy(p); p.MaxAttempts = 3 }, want: Fail},
		// A window of its own makes a count-limited policy stop earlier.
		{name: "window closes before the count", build: func() *trace.Trace { return failing(5000, full[:3]) },
			policy: func(p *policy.Policy) { p.RetryWindow = 600 * time.Millisecond }, want: Pass},
	})
}

func TestCheckMaxAttemptsWindowEvidence(t *testing.T) {
	p := testPolicy()
	windowTestPolicy(&p)
	r := runOne(t, "2.7", failing(5000, []int64{2, 102, 502}), p)
	if r.Verdict != Fail || len(r.Evidence) == 0 || !strings.Contains(r.Evidence[0].Expected, "retry window") || !strings.Contains(r.Evidence[0].Observed, "before the retry window closed") {
		t.Fatalf("stopped early: %s %s%s", r.Verdict, r.Summary, fmtEvidence(r.Evidence))
	}
	r = runOne(t, "2.7", failing(5000, []int64{2, 102, 502, 602, 1002, 1102, 1502}), p)
	if r.Verdict != Fail || len(r.Evidence) == 0 || !strings.Contains(r.Evidence[0].Observed, "attempt 7 came 1.5s after the first") {
		t.Fatalf("past the window: %s %s%s", r.Verdict, r.Summary, fmtEvidence(r.Evidence))
	}
}

func TestRetriedAfterRetryWindow(t *testing.T) {
	// A 503 at 950 ms into a 1 s window owes no retry: it may fall past it.
	late := func() *trace.Trace { return oneEvent(FragRetry5xx, 5000, []int64{5, 955}, []int{503}) }
	runCases(t, "2.1", []checkCase{
		{name: "no retry owed past the window", build: late, policy: func(p *policy.Policy) { windowTestPolicy(p); p.RetryWindow = 950 * time.Millisecond }, want: Pass},
		{name: "a retry owed inside the window", build: func() *trace.Trace { return oneEvent(FragRetry5xx, 5000, []int64{5}, []int{503}) }, policy: windowTestPolicy, want: Fail},
	})
}

func TestCheckRetryWindowUnlimited(t *testing.T) {
	// Spans of the first four attempts (the fewest any event made): 100,
	// 400, then 100 ms again with repeat.
	gap := func(i, k int) int64 { return []int64{100, 400, 100, 400}[k] * int64(85+4*i) / 100 }
	mixed := func(gap func(i, k int) int64) func() *trace.Trace {
		return func() *trace.Trace {
			var evs [][]int64
			for i := range 8 {
				ts := []int64{2}
				for k := range 3 + i%2 {
					ts = append(ts, ts[len(ts)-1]+gap(i, k))
				}
				evs = append(evs, ts)
			}
			return failing(5000, evs...)
		}
	}
	runCases(t, "3.5", []checkCase{
		{name: "spans the repeating schedule", build: mixed(gap), policy: windowTestPolicy, want: Pass},
		{name: "constant backoff is short", build: mixed(func(i, k int) int64 { return 100 }), policy: windowTestPolicy, want: Fail},
		{name: "nothing retried", build: func() *trace.Trace { return failing(5000, []int64{2}, []int64{3}) }, policy: windowTestPolicy, want: Skip},
	})
}

func TestCheckRetryAfterCappedRetryWindow(t *testing.T) {
	// The capped wait (2 s) ends after a 1 s retry window: stopping is right.
	never := func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, -1, 10_000) }
	runCases(t, "4.4", []checkCase{
		{name: "wait past the window", build: never, policy: windowTestPolicy, want: Skip},
		{name: "wait inside the window", build: never, policy: func(p *policy.Policy) { windowTestPolicy(p); p.RetryWindow = time.Hour }, want: Fail},
	})
}
