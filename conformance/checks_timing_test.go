package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// raTrace: the first attempt answers status with Retry-After raMs (as the
// sink sent it), the retry comes gapMs after it (none when gapMs < 0).
func raTrace(frag string, status int, raMs, gapMs, endMs int64) *trace.Trace {
	b := newTB().frag(frag, Fragment{}, 0, endMs).sent(frag+"/1", 0).att("/f/"+frag, frag+"/1", "m", 5, status, retryAfter(raMs))
	if gapMs >= 0 {
		b.att("/f/"+frag, frag+"/1", "m", 5+gapMs, 200)
	}
	return b.trace()
}

func TestCheckRetryAfter(t *testing.T) {
	for _, c := range []struct {
		id, frag string
		status   int
	}{{"4.1", FragRA429, 429}, {"4.2", FragRA503, 503}} {
		runCases(t, c.id, []checkCase{
			{name: "honoured", build: func() *trace.Trace { return raTrace(c.frag, c.status, 500, 520, 0) }, want: Pass},
			{name: "ignored", build: func() *trace.Trace { return raTrace(c.frag, c.status, 500, 100, 0) }, want: Fail},
			{name: "ignored, policy silent", build: func() *trace.Trace { return raTrace(c.frag, c.status, 500, 100, 0) },
				policy: func(p *policy.Policy) { p.RetryAfter = "" }, want: Warn},
			{name: "ignored as declared", build: func() *trace.Trace { return raTrace(c.frag, c.status, 500, 100, 0) },
				policy: func(p *policy.Policy) { p.RetryAfter = "ignore" }, want: Info},
			{name: "time scale does not shrink Retry-After", build: func() *trace.Trace { return raTrace(c.frag, c.status, 1000, 100, 0) },
				policy: func(p *policy.Policy) { p.TimeScale = 0.001 }, want: Fail},
			{name: "capped by retry_after_max", build: func() *trace.Trace { return raTrace(c.frag, c.status, 60_000, 2100, 0) }, want: Pass},
			{name: "not retried: see 2.x", build: func() *trace.Trace { return raTrace(c.frag, c.status, 500, -1, 0) }, want: Skip},
			// The policy's own first retry comes within 120 ms: a wait of
			// 100 ms asked is kept by a provider that ignores the header.
			{name: "asked no longer than the provider's own retry", build: func() *trace.Trace { return raTrace(c.frag, c.status, 100, 110, 0) }, want: Skip},
			{name: "retried before a short asked wait", build: func() *trace.Trace { return raTrace(c.frag, c.status, 100, 20, 0) }, want: Fail},
		})
	}
	runCases(t, "4.3", []checkCase{
		{name: "honoured", build: func() *trace.Trace { return raTrace(FragRADate, 503, 2000, 2000, 0) }, want: Pass},
		{name: "second resolution tolerated", build: func() *trace.Trace { return raTrace(FragRADate, 503, 2000, 1100, 0) }, want: Pass},
		{name: "ignored", build: func() *trace.Trace { return raTrace(FragRADate, 503, 2000, 100, 0) }, want: Fail},
		{name: "retried on the own schedule, a second early", build: func() *trace.Trace { return raTrace(FragRADate, 503, 2000, 900, 0) }, want: Fail},
	})
}

func TestRetryAfterEvidence(t *testing.T) {
	p := testPolicy()
	p.RetryAfterMax = time.Minute
	r := runOne(t, "4.1", raTrace(FragRA429, 429, 6000, 2000, 0), p)
	if r.Verdict != Fail || len(r.Evidence) != 1 {
		t.Fatalf("verdict %s with %d evidence, want FAIL with 1", r.Verdict, len(r.Evidence))
	}
	e := r.Evidence[0]
	for _, want := range []string{"Retry-After 6s", "no earlier than 6s"} {
		if !strings.Contains(e.Expected, want) {
			t.Errorf("expected %q does not say %q", e.Expected, want)
		}
	}
	if !strings.Contains(e.Observed, "retried after 2s, 4s before the asked wait") {
		t.Errorf("observed %q does not say when the retry came", e.Observed)
	}
	r = runOne(t, "4.1", raTrace(FragRA429, 429, 6000, 6010, 0), p)
	if r.Verdict != Pass || !strings.Contains(r.Summary, "asked 6s; retried after 6.01s") {
		t.Errorf("pass %s: %q does not say what was asked and seen", r.Verdict, r.Summary)
	}
}

func TestCheckRetryAfterCapped(t *testing.T) {
	// Retry-After 10^4 s against retry_after_max 2 s.
	runCases(t, "4.4", []checkCase{
		{name: "capped", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, 2000, 0) }, want: Pass},
		{name: "honoured beyond the cap", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, 5000, 0) }, want: Fail},
		{name: "capped 1.6 times later than declared", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, 3200, 0) }, want: Warn},
		{name: "capped a little late", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, 2600, 0) }, want: Pass},
		{name: "never retried", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, -1, 10_000) }, want: Fail},
		{name: "fragment too short", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, -1, 1000) }, want: Skip},
		{name: "no cap declared", build: func() *trace.Trace { return raTrace(FragRACap, 429, 10_000_000, 5000, 0) },
			policy: func(p *policy.Policy) { p.RetryAfterMax = 0 }, want: Skip},
		{name: "small Retry-After is not about the cap", build: func() *trace.Trace { return raTrace(FragRACap, 429, 500, 520, 0) }, want: Skip},
	})
}

func TestCheckTimeouts(t *testing.T) {
	// Policy timeout 200 ms; slack 10 ms → late limit 200+10+20 = 230 ms.
	hang := func(handleMs int64, gaveUp bool, retried bool) func() *trace.Trace {
		return func() *trace.Trace {
			f := []func(*trace.Attempt){handle(handleMs)}
			if gaveUp {
				f = append(f, flags(trace.FlagProviderGaveUp))
			} else {
				f = append(f, flags(trace.FlagAborted))
			}
			b := newTB().frag(FragTimeout, Fragment{}, 0, 5000).frag(FragTimeoutOK, Fragment{}, 0, 5000).sent("timeout/1", 0).
				att("/f/timeout", "timeout/1", "m", 5, 0, f...)
			if retried {
				b.att("/f/timeout", "timeout/1", "m", 5+handleMs+100, 200)
			}
			return b.trace()
		}
	}
	runCases(t, "5.1", []checkCase{
		{name: "cut at the timeout", build: hang(205, true, true), want: Pass},
		{name: "waited far longer", build: hang(2000, false, true), want: Fail},
		{name: "cut early: 5.3's to judge", build: hang(40, true, true), want: Pass},
		{name: "no timeout declared", build: hang(2000, false, true), policy: func(p *policy.Policy) { p.Timeout = 0 }, want: Skip},
	})
	runCases(t, "5.2", []checkCase{
		{name: "retried", build: hang(205, true, true), want: Pass},
		{name: "not retried", build: hang(205, true, false), want: Fail},
		{name: "provider never gave up", build: hang(2000, false, true), want: Skip},
	})
	okFrag := func(handleMs int64, gaveUp bool) func() *trace.Trace {
		return func() *trace.Trace {
			f := []func(*trace.Attempt){handle(handleMs)}
			st := 200
			if gaveUp {
				f, st = append(f, flags(trace.FlagProviderGaveUp)), 0
			}
			return newTB().frag(FragTimeout, Fragment{}, 0, 5000).frag(FragTimeoutOK, Fragment{}, 0, 5000).sent("timeout-ok/1", 0).
				att("/f/timeout-ok", "timeout-ok/1", "m", 5, st, f...).trace()
		}
	}
	runCases(t, "5.3", []checkCase{
		{name: "awaited", build: okFrag(70, false), want: Pass},
		{name: "cut early", build: okFrag(20, true), want: Fail},
		{name: "hang cut early", build: hang(40, true, true), want: Fail},
		{name: "hang cut on time", build: hang(205, true, true), want: Pass},
	})
}
