package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
)

// tail completes a scenario whose policy block comes first.
const tail = "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n"

func TestParseRetryWindowPolicy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, policy string
		attempts     int
		window       time.Duration
		repeat       bool
		schedule     int
	}{
		{"unlimited within a day", "policy:\n  profile: svix\n  max_attempts: unlimited\n  retry_window: 24h\n  backoff: {kind: schedule, schedule: [1m, 5m, 30m], repeat: true, jitter: none}\n",
			policy.Unlimited, 24 * time.Hour, true, 3},
		{"zero is unlimited", "policy:\n  max_attempts: 0\n  retry_window: 74h\n  backoff: {kind: exponential, base: 1m, factor: 2, cap: 1h}\n",
			policy.Unlimited, 74 * time.Hour, false, 0},
		{"fixed interval", "policy: {max_attempts: unlimited, retry_window: 72h, backoff: {kind: schedule, schedule: [1h], repeat: true}}\n",
			policy.Unlimited, 72 * time.Hour, true, 1},
		{"then hourly", "policy: {max_attempts: unlimited, retry_window: 72h, backoff: {kind: schedule, schedule: [1m, 5m, 1h], repeat: true, repeat_from: 3}}\n",
			policy.Unlimited, 72 * time.Hour, true, 3},
		{"count and window", "policy:\n  max_attempts: 8\n  retry_window: 1h\n  backoff: {kind: schedule, schedule: [1m]}\n",
			8, time.Hour, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sc, err := Parse("p.yaml", []byte(c.policy+tail), nil)
			if err != nil {
				t.Fatal(err)
			}
			p := sc.Policy
			if p.MaxAttempts != c.attempts || p.RetryWindow != c.window || p.Backoff.Repeat != c.repeat || len(p.Backoff.Schedule) != c.schedule {
				t.Errorf("policy = %+v", p)
			}
		})
	}
}

func TestParseRetryWindowErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, policy string
		line         int
		field, msg   string
	}{
		{"unlimited without a window", "policy:\n  profile: svix\n  max_attempts: unlimited\n", 3, "policy.max_attempts", "needs a retry_window"},
		{"unlimited schedule that ends", "policy:\n  max_attempts: unlimited\n  retry_window: 1h\n  backoff: {kind: schedule, schedule: [1m]}\n", 2, "policy.max_attempts", "backoff.repeat"},
		{"negative count", "policy:\n  max_attempts: -2\n  backoff: {kind: schedule, schedule: [1m]}\n", 2, "policy.max_attempts", "unlimited (0)"},
		{"misspelt unlimited", "policy:\n  max_attempts: forever\n", 2, "policy.max_attempts", ""},
		{"negative window", "policy:\n  max_attempts: 3\n  retry_window: -1h\n  backoff: {kind: schedule, schedule: [1m]}\n", 3, "policy.retry_window", "negative"},
		{"repeat on exponential", "policy:\n  max_attempts: 3\n  backoff: {kind: exponential, base: 1s, factor: 2, repeat: true}\n", 3, "policy.backoff.repeat", "kind schedule"},
		{"repeat_from without repeat", "policy:\n  max_attempts: 3\n  backoff: {kind: schedule, schedule: [1m, 1h], repeat_from: 2}\n", 3, "policy.backoff.repeat_from", "repeat: true"},
		{"repeat of nothing", "policy:\n  max_attempts: 3\n  backoff: {kind: schedule, schedule: [0s], repeat: true}\n", 3, "policy.backoff.repeat", "positive delay"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(c.policy+tail), nil)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LoadError", err)
			}
			if le.Field != c.field || le.Line != c.line {
				t.Errorf("field %q line %d, want %q line %d (%v)", le.Field, le.Line, c.field, c.line, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not contain %q", err, c.msg)
			}
		})
	}
}

func TestStripeProfileRetriesForThreeDays(t *testing.T) {
	t.Parallel()
	p, err := policy.Profile(policy.ProfileStripe)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// 1 + 2 + ... + 512 min (about 17 h), then 12 h at a time: 15 attempts fit.
	if !p.Unlimited() || p.RetryWindow != 72*time.Hour || p.NominalAttempts() != 15 {
		t.Errorf("stripe: max_attempts %d, retry_window %s, %d nominal attempts", p.MaxAttempts, p.RetryWindow, p.NominalAttempts())
	}
}
