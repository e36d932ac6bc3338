package provider

import (
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
)

// windowSchedule is an unlimited policy: a jitter-free repeating schedule
// for as long as the retry window lasts.
func windowSchedule(window time.Duration, delays ...time.Duration) func(o *Options) {
	return func(o *Options) {
		o.Policy.MaxAttempts = policy.Unlimited
		o.Policy.RetryWindow = window
		o.Policy.Backoff = policy.Backoff{Kind: "schedule", Schedule: delays, Jitter: "none", Repeat: true}
	}
}

// attemptsUntilStop runs one event against an always-failing endpoint and
// counts its attempts until the provider stops (max+1 when it has not
// stopped by then).
func (h *harness) attemptsUntilStop(max int) int {
	h.tb.Helper()
	h.publish("t", `{}`, "")
	for n := 1; n <= max; n++ {
		r := h.attempt()
		if r.log.Next == 0 {
			return n
		}
		h.retryNow(r)
	}
	return max + 1
}

func TestRetryWindow(t *testing.T) {
	t.Parallel()
	const s = time.Second
	cases := []struct {
		name   string
		opts   func(o *Options)
		faults []string
		want   []time.Duration // the delays before each retry, until it stops
	}{
		// Attempts at 0 1 3 4 6 7 9 10 s: the next, at 11 s, is past 10 s.
		{"unlimited repeating", windowSchedule(10*s, s, 2*s), nil, []time.Duration{s, 2 * s, s, 2 * s, s, 2 * s, s}},
		{"fixed interval", windowSchedule(3*s, s), nil, []time.Duration{s, s, s}},
		// 1 s, then 3 s for ever: attempts at 0 1 4 7 10 s.
		{"repeat the last delay", func(o *Options) {
			windowSchedule(10*s, s, 3*s)(o)
			o.Policy.Backoff.RepeatFrom = 2
		}, nil, []time.Duration{s, 3 * s, 3 * s, 3 * s}},
		// A count that runs out before the window does.
		{"count first", func(o *Options) {
			windowSchedule(10*s, s)(o)
			o.Policy.MaxAttempts = 3
		}, nil, []time.Duration{s, s}},
		// A schedule without repeat ends where it ends, window or not.
		{"schedule first", func(o *Options) {
			fixedSchedule(10, s, s)(o)
			o.Policy.RetryWindow = time.Hour
		}, nil, []time.Duration{s, s}},
		{"window cuts a schedule", func(o *Options) {
			fixedSchedule(10, s, 2*s, 4*s)(o)
			o.Policy.RetryWindow = 4 * s
		}, nil, []time.Duration{s, 2 * s}},
		// Half of the 8 attempts the window has room for.
		{"give-up-early", windowSchedule(10*s, s, 2*s), []string{"give-up-early"}, []time.Duration{s, 2 * s, s}},
		{"no-retry", windowSchedule(10*s, s, 2*s), []string{"no-retry"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{behave: statusSeq(503), opts: func(o *Options) {
				c.opts(o)
				o.Faults = c.faults
			}})
			if got := h.delays(20); !equalDurations(got, c.want) {
				t.Errorf("delays %v, want %v", got, c.want)
			}
		})
	}
}

func TestAttemptLimitUnlimited(t *testing.T) {
	pol := policy.Policy{MaxAttempts: policy.Unlimited, RetryWindow: time.Hour,
		Backoff: policy.Backoff{Kind: "exponential", Base: time.Second, Factor: 2, Cap: time.Minute}}
	if got := attemptLimit(&pol, 0); got < 1<<30 {
		t.Errorf("unlimited: limit %d, want no count", got)
	}
	// 1+2+4+8+16+32 s, then a minute at a time: 6 + 58 retries fit in the hour.
	if got, want := attemptLimit(&pol, 1<<fGiveUpEarly), pol.NominalAttempts()/2; got != want || want < 2 {
		t.Errorf("give-up-early: limit %d, want %d", got, want)
	}
}
