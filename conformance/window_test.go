package conformance

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

const ms100 = 100 * time.Millisecond

func TestPolicyValidateRetryWindow(t *testing.T) {
	t.Parallel()
	repeating := Backoff{Kind: "schedule", Schedule: []time.Duration{ms100, 4 * ms100}, Repeat: true}
	cases := []struct {
		name string
		p    Policy
		want string // the field the error names first, "" = valid
	}{
		{"unlimited within a window", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: repeating}, ""},
		{"unlimited exponential", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: Backoff{Kind: "exponential", Base: time.Second, Factor: 2}}, ""},
		{"count and window", Policy{MaxAttempts: 5, RetryWindow: time.Hour, Backoff: repeating}, ""},
		{"fixed interval", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{time.Minute}, Repeat: true}}, ""},
		{"unlimited without a window", Policy{MaxAttempts: Unlimited, Backoff: repeating}, "max_attempts"},
		{"the zero policy", Policy{}, "max_attempts"},
		{"negative count", Policy{MaxAttempts: -1, RetryWindow: time.Hour, Backoff: repeating}, "max_attempts"},
		{"negative window", Policy{MaxAttempts: 3, RetryWindow: -time.Second, Backoff: repeating}, "retry_window"},
		{"unlimited schedule that ends", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{ms100}}}, "max_attempts"},
		{"repeat on exponential", Policy{MaxAttempts: 3, Backoff: Backoff{Kind: "exponential", Base: time.Second, Factor: 2, Repeat: true}}, "backoff.repeat"},
		{"repeat of an empty schedule", Policy{MaxAttempts: 3, Backoff: Backoff{Kind: "schedule", Repeat: true}}, "backoff.repeat"},
		{"repeat of zero delays", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{0, 0}, Repeat: true}}, "backoff.repeat"},
		{"repeat the last delay", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{0, time.Minute}, Repeat: true, RepeatFrom: 2}}, ""},
		{"repeat a zero last delay", Policy{MaxAttempts: Unlimited, RetryWindow: time.Hour, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{time.Minute, 0}, Repeat: true, RepeatFrom: 2}}, "backoff.repeat"},
		{"repeat_from past the schedule", Policy{MaxAttempts: 3, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{ms100}, Repeat: true, RepeatFrom: 2}}, "backoff.repeat_from"},
		{"repeat_from without repeat", Policy{MaxAttempts: 3, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{ms100, ms100}, RepeatFrom: 2}}, "backoff.repeat_from"},
		{"negative repeat_from", Policy{MaxAttempts: 3, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{ms100}, Repeat: true, RepeatFrom: -1}}, "backoff.repeat_from"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.p.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("valid policy rejected: %v", err)
			case c.want == "":
			case err == nil:
				t.Fatalf("no error, want one naming %s", c.want)
			case !strings.HasPrefix(err.Error(), "policy: "+c.want+" "):
				t.Errorf("error %q does not name %s first", err, c.want)
			}
		})
	}
}

func TestNominalRepeat(t *testing.T) {
	t.Parallel()
	b := Backoff{Kind: "schedule", Schedule: []time.Duration{ms100, 2 * ms100, 3 * ms100}, Jitter: "proportional", JitterFrac: 0.2}
	for n := 1; n <= 7; n++ {
		_, ok := b.Nominal(n)
		if want := n <= 3; ok != want {
			t.Errorf("no repeat: Nominal(%d) ok %v, want %v", n, ok, want)
		}
	}
	b.Repeat = true
	for n, want := range map[int]time.Duration{1: ms100, 3: 3 * ms100, 4: ms100, 5: 2 * ms100, 6: 3 * ms100, 7: ms100, 301: ms100} {
		if got, ok := b.Nominal(n); !ok || got != want {
			t.Errorf("repeat: Nominal(%d) = %v %v, want %v", n, got, ok, want)
		}
	}
	if _, ok := b.Nominal(0); ok {
		t.Error("Nominal(0) defined")
	}
	// Starting over at the second delay; at the last: that delay for ever.
	for from, want := range map[int][]time.Duration{
		2: {ms100, 2 * ms100, 3 * ms100, 2 * ms100, 3 * ms100, 2 * ms100},
		3: {ms100, 2 * ms100, 3 * ms100, 3 * ms100, 3 * ms100, 3 * ms100},
	} {
		b.RepeatFrom = from
		for n, w := range want {
			if got, ok := b.Nominal(n + 1); !ok || got != w {
				t.Errorf("repeat_from %d: Nominal(%d) = %v %v, want %v", from, n+1, got, ok, w)
			}
		}
	}
	b.RepeatFrom = 0
	// A wrapped retry keeps the jitter band of its delay.
	d, _ := b.Nominal(5)
	if lo, hi := b.Band(d); lo != 160*time.Millisecond || hi != 240*time.Millisecond {
		t.Errorf("Band(retry 5) = %v..%v, want 160ms..240ms", lo, hi)
	}
}

func TestNominalAttempts(t *testing.T) {
	t.Parallel()
	sched := func(repeat bool, ds ...time.Duration) Backoff {
		return Backoff{Kind: "schedule", Schedule: ds, Repeat: repeat}
	}
	cases := []struct {
		name string
		p    Policy
		want int
	}{
		{"count", Policy{MaxAttempts: 3, Backoff: sched(false, ms100, ms100, ms100)}, 3},
		{"schedule shorter than the count", Policy{MaxAttempts: 9, Backoff: sched(false, ms100)}, 2},
		// Retries at 100, 500, 600, 1000 ms; the next, at 1400, is past 1 s.
		{"window", Policy{MaxAttempts: Unlimited, RetryWindow: time.Second, Backoff: sched(true, ms100, 4*ms100)}, 5},
		{"window cuts the count", Policy{MaxAttempts: 50, RetryWindow: time.Second, Backoff: sched(true, ms100)}, 11},
		{"count cuts the window", Policy{MaxAttempts: 4, RetryWindow: time.Hour, Backoff: sched(true, ms100)}, 4},
		{"bounded", Policy{MaxAttempts: Unlimited, RetryWindow: 24 * time.Hour, Backoff: sched(true, time.Second)}, maxNominalAttempts},
	}
	for _, c := range cases {
		if got := c.p.NominalAttempts(); got != c.want {
			t.Errorf("%s: NominalAttempts = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestPolicyWindowScaledAndSummary(t *testing.T) {
	t.Parallel()
	p := Policy{MaxAttempts: Unlimited, RetryWindow: 24 * time.Hour, Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{time.Hour}, Repeat: true}}
	q := p.Scaled(0.001)
	if q.RetryWindow != 86400*time.Millisecond || !q.Backoff.Repeat {
		t.Errorf("scaled: window %v repeat %v", q.RetryWindow, q.Backoff.Repeat)
	}
	s := p.Summary()
	for _, want := range []string{"unlimited attempts within 24h0m0s", "after 1h0m0s (repeating)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
	p.Backoff = Backoff{Kind: "schedule", Schedule: []time.Duration{time.Minute, time.Hour}, Repeat: true, RepeatFrom: 2}
	if s, want := p.Summary(), "after 1m0s 1h0m0s (repeating from 1h0m0s)"; !strings.Contains(s, want) {
		t.Errorf("summary %q lacks %q", s, want)
	}
	p.Backoff.RepeatFrom = 9 // invalid: no panic
	_ = p.Summary()
}

// windowTestPolicy is testPolicy without a count: 100 and 400 ms (±20 %)
// over and over, for as long as a 1 s retry window lasts.
func windowTestPolicy(p *Policy) {
	p.MaxAttempts = Unlimited
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
			policy: func(p *Policy) { windowTestPolicy(p); p.RetryWindow = time.Hour }, want: Pass},
		{name: "fragment ended before the first retry was due", build: func() *trace.Trace { return failing(50, full[:1]) }, policy: windowTestPolicy, want: Skip},
		{name: "count reached inside the window", build: func() *trace.Trace { return failing(5000, full[:3]) },
			policy: func(p *Policy) { windowTestPolicy(p); p.MaxAttempts = 3 }, want: Pass},
		{name: "count exceeded inside the window", build: func() *trace.Trace { return failing(5000, full) },
			policy: func(p *Policy) { windowTestPolicy(p); p.MaxAttempts = 3 }, want: Fail},
		// A window of its own makes a count-limited policy stop earlier.
		{name: "window closes before the count", build: func() *trace.Trace { return failing(5000, full[:3]) },
			policy: func(p *Policy) { p.RetryWindow = 600 * time.Millisecond }, want: Pass},
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
		{name: "no retry owed past the window", build: late, policy: func(p *Policy) { windowTestPolicy(p); p.RetryWindow = 950 * time.Millisecond }, want: Pass},
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
		{name: "wait inside the window", build: never, policy: func(p *Policy) { windowTestPolicy(p); p.RetryWindow = time.Hour }, want: Fail},
	})
}

func TestNominalAttemptsUncapped(t *testing.T) {
	t.Parallel()
	// An uncapped doubling outgrows any window: the count stays small and
	// no delay wraps round to a negative one.
	p := Policy{MaxAttempts: Unlimited, RetryWindow: math.MaxInt64, Backoff: Backoff{Kind: "exponential", Base: time.Second, Factor: 2}}
	if n := p.NominalAttempts(); n < 30 || n > 64 {
		t.Errorf("NominalAttempts = %d, want the ~34 retries that fit in 292 years", n)
	}
	for n := 1; n < 200; n += 7 {
		if d, ok := p.Backoff.Nominal(n); !ok || d <= 0 {
			t.Fatalf("Nominal(%d) = %v %v", n, d, ok)
		}
	}
}
