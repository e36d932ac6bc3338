package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

var nominalMs = []int64{100, 400, 1600, 1600}

// jittered spreads event i's delays evenly over ±15 % of nominal (inside the
// ±20 % band), the same factor for every retry of one event.
func jittered(n int) func(i, k int) int64 {
	return func(i, k int) int64 {
		f := 0.85 + 0.30*float64(i)/float64(n-1)
		return int64(float64(nominalMs[k]) * f)
	}
}

// scattered uses a different factor per retry, so delays are not
// correlated across retries.
func scattered(n int) func(i, k int) int64 {
	return func(i, k int) int64 {
		j := (i + 3*k) % n
		f := 0.85 + 0.30*float64(j)/float64(n-1)
		return int64(float64(nominalMs[k]) * f)
	}
}

// slower stretches a gap function by tenths/10.
func slower(tenths int64, gap func(i, k int) int64) func(i, k int) int64 {
	return func(i, k int) int64 { return gap(i, k) * tenths / 10 }
}

func noJitter(p *policy.Policy) { p.Backoff.Jitter = "none" }

func lockStep(i, k int) int64    { return nominalMs[k] }
func constant(i, k int) int64    { return 100 }
func tooEarly(i, k int) int64    { return nominalMs[k] / 2 }
func noRetriesAt(i, k int) int64 { return 0 }

func TestCheckBackoffBand(t *testing.T) {
	runCases(t, "3.1", []checkCase{
		{name: "jittered within band", build: func() *trace.Trace { return backoffTrace(8, 4, jittered(8)) }, want: Pass},
		{name: "uncorrelated jitter", build: func() *trace.Trace { return backoffTrace(8, 4, scattered(8)) }, want: Pass},
		{name: "no jitter is still in band", build: func() *trace.Trace { return backoffTrace(8, 4, lockStep) }, want: Pass},
		{name: "constant backoff", build: func() *trace.Trace { return backoffTrace(8, 4, constant) }, want: Fail},
		{name: "early", build: func() *trace.Trace { return backoffTrace(8, 4, tooEarly) }, want: Fail},
		{name: "mean off although each gap is in a full-jitter band", build: func() *trace.Trace {
			return backoffTrace(64, 4, func(i, k int) int64 { return nominalMs[k] / 20 })
		}, policy: func(p *policy.Policy) { p.Backoff.Jitter = "full" }, want: Fail},
		{name: "mean far below the full-jitter mean", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 { return nominalMs[k] / 20 })
		}, policy: func(p *policy.Policy) { p.Backoff.Jitter = "full" }, want: Fail},
		{name: "mean a little low, too few events to tell", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 { return nominalMs[k] / 4 })
		}, policy: func(p *policy.Policy) { p.Backoff.Jitter = "full" }, want: Pass},
		{name: "three times as slow as declared", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 { return 3 * nominalMs[k] })
		}, want: Fail},
		{name: "1.7 times as slow as declared", build: func() *trace.Trace { return backoffTrace(8, 4, slower(17, jittered(8))) }, want: Warn},
		{name: "1.1 times as slow: within the tolerance", build: func() *trace.Trace { return backoffTrace(8, 4, slower(11, jittered(8))) }, want: Pass},
		{name: "1.7 times as slow, no jitter declared", build: func() *trace.Trace { return backoffTrace(8, 4, slower(17, lockStep)) },
			policy: noJitter, want: Warn},
		{name: "no retries", build: func() *trace.Trace { return backoffTrace(8, 1, noRetriesAt) }, want: Skip},
		{name: "policy without retries", build: func() *trace.Trace { return backoffTrace(8, 1, noRetriesAt) },
			policy: func(p *policy.Policy) { p.MaxAttempts = 1 }, want: Info},
	})
}

func TestCheckBackoffGrows(t *testing.T) {
	runCases(t, "3.2", []checkCase{
		{name: "grows", build: func() *trace.Trace { return backoffTrace(8, 4, jittered(8)) }, want: Pass},
		{name: "constant", build: func() *trace.Trace { return backoffTrace(8, 4, constant) }, want: Fail},
		{name: "full jitter grows", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 { return []int64{100, 400, 3200}[k] * int64(2*i+1) / 16 })
		}, policy: func(p *policy.Policy) { p.Backoff.Jitter = "full"; p.Backoff.Schedule[2] *= 2 }, want: Pass},
		{name: "full jitter constant", build: func() *trace.Trace { return backoffTrace(8, 4, constant) },
			policy: func(p *policy.Policy) { p.Backoff.Jitter = "full"; p.Backoff.Schedule[2] *= 2 }, want: Fail},
		{name: "full jitter: growth too small to be certain", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 { return nominalMs[k] * int64(2*i+1) / 16 })
		}, policy: func(p *policy.Policy) {
			p.Backoff.Jitter = "full"
			p.Backoff.Schedule[2] = p.Backoff.Schedule[0] * 2
			p.Backoff.Schedule[1] = p.Backoff.Schedule[0] * 2
		}, want: Skip},
		{name: "slower than declared", build: func() *trace.Trace { return backoffTrace(8, 4, jittered(8)) },
			policy: func(p *policy.Policy) { p.Backoff.Schedule[2] *= 10 }, want: Fail},
		{name: "too few events", build: func() *trace.Trace { return backoffTrace(2, 4, jittered(2)) }, want: Skip},
	})
}

func TestCheckJitterObserved(t *testing.T) {
	runCases(t, "3.3", []checkCase{
		{name: "jittered", build: func() *trace.Trace { return backoffTrace(8, 4, jittered(8)) }, want: Pass},
		{name: "lock-step", build: func() *trace.Trace { return backoffTrace(8, 4, lockStep) }, want: Fail},
		{name: "policy declares none", build: func() *trace.Trace { return backoffTrace(8, 4, lockStep) },
			policy: func(p *policy.Policy) { p.Backoff.Jitter = "none" }, want: Warn},
		{name: "no jitter declared, never retried", build: func() *trace.Trace { return backoffTrace(8, 1, noRetriesAt) },
			policy: noJitter, want: Skip},
		{name: "no jitter and no retries declared", build: func() *trace.Trace { return backoffTrace(8, 1, noRetriesAt) },
			policy: func(p *policy.Policy) { noJitter(p); p.MaxAttempts = 1 }, want: Info},
		{name: "band too narrow to see", build: func() *trace.Trace { return backoffTrace(8, 2, lockStep) },
			policy: func(p *policy.Policy) { p.Backoff.JitterFrac = 0.01 }, want: Skip},
	})
}

func TestCheckNoLockStep(t *testing.T) {
	runCases(t, "3.4", []checkCase{
		{name: "spread", build: func() *trace.Trace { return backoffTrace(8, 4, jittered(8)) }, want: Pass},
		{name: "storm", build: func() *trace.Trace { return backoffTrace(8, 4, lockStep) }, want: Fail},
		// No jitter declared: lock-step is what the policy promises, and
		// a retry storm all the same (a SHOULD).
		{name: "storm, no jitter declared", build: func() *trace.Trace { return backoffTrace(8, 4, lockStep) },
			policy: noJitter, want: Warn},
		{name: "storm within timing noise, no jitter declared", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 { return nominalMs[k] + int64(i%3)*4 })
		}, policy: noJitter, want: Warn},
		{name: "spread although no jitter declared", build: func() *trace.Trace { return backoffTrace(8, 4, scattered(8)) },
			policy: noJitter, want: Pass},
		{name: "one retry number bunched, no jitter declared", build: func() *trace.Trace {
			return backoffTrace(8, 4, func(i, k int) int64 {
				if k == 2 {
					return nominalMs[k]
				}
				return scattered(8)(i, k)
			})
		}, policy: noJitter, want: Pass},
	})
}

func TestCheckRetryWindow(t *testing.T) {
	runCases(t, "3.5", []checkCase{
		{name: "spans the schedule", build: func() *trace.Trace { return backoffTrace(8, 4, jittered(8)) }, want: Pass},
		{name: "constant backoff is short", build: func() *trace.Trace { return backoffTrace(8, 4, constant) }, want: Fail},
		{name: "1.7 times as slow as declared", build: func() *trace.Trace { return backoffTrace(8, 4, slower(17, jittered(8))) }, want: Warn},
		{name: "three times as slow as declared", build: func() *trace.Trace { return backoffTrace(8, 4, slower(30, jittered(8))) }, want: Fail},
		{name: "1.1 times as slow: within the tolerance", build: func() *trace.Trace { return backoffTrace(8, 4, slower(11, jittered(8))) }, want: Pass},
		{name: "nobody used every attempt", build: func() *trace.Trace { return backoffTrace(8, 2, jittered(8)) }, want: Skip},
		{name: "far more attempts than declared, declared ones on schedule", build: func() *trace.Trace { return manyAttempts(38, onSchedule) },
			policy: noJitter, want: Pass},
		{name: "far more attempts than declared, all at once", build: func() *trace.Trace { return manyAttempts(38, func(int) int64 { return 1 }) }, want: Fail},
		{name: "policy inconsistent", build: func() *trace.Trace { return backoffTrace(8, 5, jittered(8)) },
			policy: func(p *policy.Policy) { p.MaxAttempts = 5 }, want: Fail}, // 5 attempts need 4 delays; the schedule has 3
	})
}

func TestBackoffLagTolerance(t *testing.T) {
	// Every event reached the sink 1.1 s after its trigger (a loaded
	// machine); retry 1 came a second late as well: not a schedule breach.
	build := func(firstAt int64) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragBackoff, Fragment{}, 0, 0)
			for i := range 8 {
				id := "backoff/" + string(rune('a'+i))
				b.sent(id, 0)
				g := jittered(8)
				ts := []int64{firstAt, firstAt + 1000 + g(i, 0)}
				b.seq("/f/backoff", id, ts, []int{500})
			}
			return b.trace()
		}
	}
	runCases(t, "3.1", []checkCase{
		{name: "lagging provider", build: build(1100), want: Pass},
		{name: "prompt provider, late retry", build: build(2), want: Fail},
	})
}

func TestJitterJudgedOnObservedDelays(t *testing.T) {
	// Constant backoff (every retry 100 ms ±15 %) breaks the schedule (3.1,
	// 3.2) but keeps jitter on what it does: 3.3 and 3.4 cannot fault it.
	for _, id := range []string{"3.3", "3.4"} {
		runCases(t, id, []checkCase{
			{name: "constant backoff, jittered", build: func() *trace.Trace {
				return backoffTrace(8, 4, func(i, k int) int64 { return int64(85 + 30*i/7) })
			}, want: Skip},
		})
	}
}

func TestOneBunchedRetryIsNotLockStep(t *testing.T) {
	// A machine stall releases every event's retry 3 at once; retry 2 shows
	// the jitter. Lock-step must show on two retry numbers to fail.
	nominal := []int64{100, 800, 3200}
	wide := func(p *policy.Policy) {
		p.Backoff.Schedule = []time.Duration{100 * time.Millisecond, 800 * time.Millisecond, 3200 * time.Millisecond}
	}
	jit := func(i, k int) int64 { return int64(float64(nominal[k]) * (0.85 + 0.30*float64(i)/7)) }
	sameGap := func(i, k int) int64 {
		if k == 2 {
			return 3200
		}
		return jit(i, k)
	}
	allSame := func(i, k int) int64 { return nominal[k] }
	runCases(t, "3.3", []checkCase{
		{name: "retry 3 bunched", build: func() *trace.Trace { return backoffTrace(8, 4, sameGap) }, policy: wide, want: Pass},
		{name: "every retry bunched", build: func() *trace.Trace { return backoffTrace(8, 4, allSame) }, policy: wide, want: Fail},
	})
	runCases(t, "3.4", []checkCase{
		{name: "retry 3 bunched", build: func() *trace.Trace { return backoffTrace(8, 4, sameGap) }, policy: wide, want: Pass},
		{name: "every retry bunched", build: func() *trace.Trace { return backoffTrace(8, 4, allSame) }, policy: wide, want: Fail},
	})
}

func TestLatenessSaysHowLate(t *testing.T) {
	p := testPolicy()
	noJitter(&p)
	for _, c := range []struct {
		id, want string
		tenths   int64
		verdict  Verdict
	}{
		{"3.1", "1.7× later than declared", 17, Warn},
		{"3.5", "1.7× later than declared", 17, Warn},
		{"3.1", "3.0× later than declared", 30, Fail},
	} {
		r := runOne(t, c.id, backoffTrace(8, 4, slower(c.tenths, lockStep)), p)
		if r.Verdict != c.verdict || !strings.Contains(r.Summary, c.want) || strings.Contains(r.Summary, "as declared") {
			t.Errorf("%s at %d/10: %s %q, want %s saying %q", c.id, c.tenths, r.Verdict, r.Summary, c.verdict, c.want)
		}
		if len(r.Evidence) == 0 || !strings.Contains(r.Evidence[0].Observed, "late:") {
			t.Errorf("%s at %d/10: evidence %s does not say late", c.id, c.tenths, fmtEvidence(r.Evidence))
		}
	}
}

func TestLockStepEvidenceShowsSpread(t *testing.T) {
	p := testPolicy()
	noJitter(&p)
	r := runOne(t, "3.4", backoffTrace(8, 4, func(i, k int) int64 { return nominalMs[k] + int64(i%3)*4 }), p)
	if r.Verdict != Warn || len(r.Evidence) == 0 {
		t.Fatalf("verdict %s, want WARN with evidence: %s", r.Verdict, r.Summary)
	}
	if !strings.Contains(r.Evidence[0].Observed, "spread 8ms") || !strings.Contains(r.Summary, "declares no jitter") {
		t.Errorf("summary %q, evidence %s: want the spread and the reason", r.Summary, fmtEvidence(r.Evidence))
	}
}
