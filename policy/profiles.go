package policy

import (
	"fmt"
	"sort"
	"time"
)

// Built-in policy profile names: the delivery and retry policies real
// providers document (docs/rules.md §2 states the rules they are judged by).
const (
	ProfileStandardWebhooks = "standard-webhooks"
	ProfileSvix             = "svix"
	ProfileStripe           = "stripe"
	ProfileGitHub           = "github"
	ProfileShopify          = "shopify"
	ProfileSlack            = "slack"
)

// profiles is the registry of built-in policies: an explicit map literal of
// constructors, so each call returns a fresh Policy the caller may change.
func profiles() map[string]func() Policy {
	return map[string]func() Policy{
		// Standard Webhooks: 2xx is success; 410 disables; 3xx is a failure and
		// is not followed; timeout 15–30 s recommended (15 s here); retries
		// with jitter on the schedule the spec's reference implementations use
		// (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h);
		// Retry-After honoured; signed with webhook-* headers, 300 s tolerance.
		ProfileStandardWebhooks: StandardWebhooks,
		// Svix (open-source server): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
		// each ±20 %; 30 s timeout; Retry-After honoured (clamped to twice the
		// scheduled delay, which a fixed cap cannot express: left undeclared);
		// svix-* signature headers.
		ProfileSvix: func() Policy {
			return Policy{
				Profile:     ProfileSvix,
				MaxAttempts: 8,
				Backoff: Backoff{
					Kind:       Schedule,
					Schedule:   []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour},
					Jitter:     JitterProportional,
					JitterFrac: 0.2,
				},
				Timeout:           30 * time.Second,
				Scheme:            "svix",
				Tolerance:         300 * time.Second,
				Redirects:         "fail",
				RetryAfter:        "honor",
				IdempotencyHeader: "Idempotency-Key",
			}
		},
		// Stripe documents retries "up to three days with an exponential back
		// off" and publishes no count or formula: no count within a 72 h
		// window, base 1 min doubling to a 12 h cap. Stripe-Signature, 300 s
		// tolerance.
		ProfileStripe: func() Policy {
			return Policy{
				Profile:     ProfileStripe,
				MaxAttempts: Unlimited,
				RetryWindow: 72 * time.Hour,
				Backoff: Backoff{
					Kind:   Exponential,
					Base:   time.Minute,
					Factor: 2,
					Cap:    12 * time.Hour,
					Jitter: JitterFull,
				},
				Timeout:           30 * time.Second,
				Scheme:            "stripe",
				Tolerance:         300 * time.Second,
				Redirects:         "fail",
				IdempotencyHeader: "Idempotency-Key",
			}
		},
		// GitHub: no automatic retry (manual redelivery keeps
		// X-GitHub-Delivery); 10 s timeout; body-only HMAC-SHA256.
		ProfileGitHub: func() Policy {
			return Policy{
				Profile:     ProfileGitHub,
				MaxAttempts: 1,
				Backoff:     Backoff{Jitter: JitterNone},
				Timeout:     10 * time.Second,
				Scheme:      "github",
				Redirects:   "fail",
			}
		},
		// Shopify: 5 s timeout, 8 retries over 4 h (1 min doubling: 255 min in
		// all); body-only HMAC-SHA256 in base64.
		ProfileShopify: func() Policy {
			return Policy{
				Profile:     ProfileShopify,
				MaxAttempts: 9,
				Backoff: Backoff{
					Kind:   Exponential,
					Base:   time.Minute,
					Factor: 2,
					Cap:    4 * time.Hour,
					Jitter: JitterNone,
				},
				Timeout:   5 * time.Second,
				Scheme:    "shopify",
				Redirects: "fail",
			}
		},
		// Slack Events API: 3 s timeout; 3 retries: immediately, ~1 min,
		// ~5 min; v0 signature with a 300 s tolerance.
		ProfileSlack: func() Policy {
			return Policy{
				Profile:     ProfileSlack,
				MaxAttempts: 4,
				Backoff: Backoff{
					Kind:       Schedule,
					Schedule:   []time.Duration{0, time.Minute, 5 * time.Minute},
					Jitter:     JitterProportional,
					JitterFrac: 0.2,
				},
				Timeout:   3 * time.Second,
				Scheme:    "slack",
				Tolerance: 300 * time.Second,
				Redirects: "fail",
			}
		},
	}
}

// StandardWebhooksSchedule returns the delays before retries 1..9 that the
// Standard Webhooks reference implementations use (the first attempt goes
// out at once): 10 attempts in all.
func StandardWebhooksSchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
	}
}

// StandardWebhooks returns the Standard Webhooks policy: 2xx is success;
// 410 disables; a 3xx is a failure and is not followed; a 15 s timeout
// (the spec recommends 15–30 s); retries with ±20 % jitter on
// StandardWebhooksSchedule; Retry-After honoured; signed with webhook-*
// headers and a 300 s tolerance.
func StandardWebhooks() Policy {
	return Policy{
		Profile:     ProfileStandardWebhooks,
		MaxAttempts: 10,
		Backoff: Backoff{
			Kind:       Schedule,
			Schedule:   StandardWebhooksSchedule(),
			Jitter:     JitterProportional,
			JitterFrac: 0.2,
		},
		Timeout:           15 * time.Second,
		Scheme:            "standard",
		Tolerance:         300 * time.Second,
		Gone:              "disable",
		Redirects:         "fail",
		RetryAfter:        "honor",
		IdempotencyHeader: "Idempotency-Key",
	}
}

// ExponentialBackoff returns the exponential alternative to the Standard
// Webhooks schedule: 5 s doubling up to 24 h, with full jitter.
func ExponentialBackoff() Backoff {
	return Backoff{Kind: Exponential, Base: 5 * time.Second, Factor: 2, Cap: 24 * time.Hour, Jitter: JitterFull}
}

// Profile returns the built-in policy with that name.
func Profile(name string) (Policy, error) {
	f, ok := profiles()[name]
	if !ok {
		return Policy{}, fmt.Errorf("unknown policy profile %q (known: %v)", name, Profiles())
	}
	return f(), nil
}

// Profiles lists the built-in policy profile names, sorted.
func Profiles() []string {
	m := profiles()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
