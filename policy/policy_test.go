package policy

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
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
			default:
				var pe *Error
				if !errors.As(err, &pe) || pe.Field != c.want {
					t.Errorf("error %q (%T) names field %v, want %s", err, err, pe, c.want)
				}
				if !strings.HasPrefix(err.Error(), "policy: "+c.want+" ") {
					t.Errorf("error %q does not name %s first", err, c.want)
				}
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
