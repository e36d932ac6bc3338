package suite

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
)

func TestRetryAfterAsk(t *testing.T) {
	t.Parallel()
	const s = time.Second
	schedule := func(scale float64, jitter policy.Jitter, ds ...time.Duration) policy.Policy {
		p := policy.Policy{MaxAttempts: len(ds) + 1, RetryAfter: "honor", RetryAfterMax: time.Hour, TimeScale: scale,
			Backoff: policy.Backoff{Kind: "schedule", Schedule: ds, Jitter: jitter}}
		if jitter == "proportional" {
			p.Backoff.JitterFrac = 0.2
		}
		return p
	}
	for _, tc := range []struct {
		name      string
		p         policy.Policy
		maxFrag   time.Duration
		ask, date time.Duration
		skip      bool
	}{
		// 3 × 2 s: a provider ignoring the header retries 4 s early.
		{name: "real time, 2 s first retry", p: schedule(0, "none", 2*s, 4*s, 6*s), ask: 6 * s, date: 7 * s},
		// The floor: a provider declaring 100 ms may retry after seconds.
		{name: "real time, short schedule", p: schedule(0, "none", 100*time.Millisecond), ask: 5 * s, date: 6 * s},
		{name: "immediate first retry", p: schedule(1, "none", 0, 5*s), ask: 5 * s, date: 6 * s},
		// 3 × 6 s (the top of 5 s ± 20 %).
		{name: "jittered first retry", p: schedule(1, "proportional", 5*s, 5*time.Minute), ask: 18 * s, date: 19 * s},
		// The reference at 0.001: a 6 ms first retry; a second is plenty.
		{name: "scaled reference", p: func() policy.Policy {
			p := schedule(0.001, "proportional", 5*time.Millisecond, 300*time.Millisecond)
			p.RetryAfterMax = 3600 * time.Millisecond
			return p
		}(), ask: s, date: 2 * s},
		{name: "capped at retry_after_max", p: func() policy.Policy {
			p := schedule(0, "none", 2*s)
			p.RetryAfterMax = 4 * s
			return p
		}(), ask: 4 * s, date: 5 * s},
		// A minute-long first retry cannot be outwaited in a fragment.
		{name: "longer than a fragment may wait", p: schedule(0, "none", time.Minute), ask: 22 * s, date: 23 * s, skip: true},
		{name: "small max wait", p: schedule(0, "none", 2*s), maxFrag: 10 * s, ask: 5 * s, date: 6 * s},
		{name: "max wait too small to tell", p: schedule(0, "none", 2*s), maxFrag: 4 * s, ask: 2 * s, date: 3 * s, skip: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions()
			if tc.maxFrag > 0 {
				o.MaxFragment = tc.maxFrag
			}
			e := &env{o: &o, p: tc.p, slack: conformance.DefaultSlack}
			if got := e.retryAfterAsk(); got != tc.ask {
				t.Errorf("ask %v, want %v", got, tc.ask)
			}
			for _, fp := range []*fragmentPlan{retryAfterPlan(conformance.FragRA429, 429, false), retryAfterPlan(conformance.FragRADate, 503, true)} {
				date := strings.Contains(fp.ID, "date")
				rule := fp.Endpoints[0].Rules(e)[0]
				want := tc.ask
				if date {
					want = tc.date
				}
				secs := strings.TrimSuffix(rule[strings.LastIndex(rule, "=")+1:], "s")
				secs = strings.TrimPrefix(secs, "date:")
				if d, err := time.ParseDuration(secs + "s"); err != nil || d != want || date != strings.Contains(rule, "date:") {
					t.Errorf("%s: rule %q, want a Retry-After of %v", fp.ID, rule, want)
				}
				if why := fp.Needs(e); (why != "") != tc.skip {
					t.Errorf("%s: needs %q, want skip %v", fp.ID, why, tc.skip)
				}
			}
		})
	}
}
