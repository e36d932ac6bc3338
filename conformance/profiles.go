package conformance

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// profiles are the delivery policies real providers document
// (../shared/reference/webhooks.md §2), as explicit constructors: no
// registry, no init. Where a provider documents only a shape ("8 retries
// over 4 h"), the numbers are the closest plain reading and say so.
func profiles() map[string]func() Policy {
	const (
		s = time.Second
		m = time.Minute
		h = time.Hour
	)
	return map[string]func() Policy{
		// Standard Webhooks: 2xx, 410 disables, 3xx not followed, 15-30 s
		// timeout, exponential with jitter, Retry-After honoured. Schedule as
		// the reference provider runs it (issue 4).
		"standard-webhooks": func() Policy {
			return Policy{MaxAttempts: 10,
				Backoff:           Backoff{Kind: "schedule", Schedule: []time.Duration{5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 14 * h, 20 * h, 24 * h}, Jitter: "proportional", JitterFrac: 0.2},
				Timeout:           15 * s,
				Scheme:            "standard",
				Tolerance:         300 * s,
				Gone:              "disable",
				Redirects:         "fail",
				RetryAfter:        "honor",
				RetryAfterMax:     1 * h,
				IdempotencyHeader: "Idempotency-Key",
			}
		},
		// Svix open-source server: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
		// each ±20 %; 30 s timeout; Retry-After honoured.
		"svix": func() Policy {
			return Policy{MaxAttempts: 8,
				Backoff:           Backoff{Kind: "schedule", Schedule: []time.Duration{5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h}, Jitter: "proportional", JitterFrac: 0.2},
				Timeout:           30 * s,
				Scheme:            "svix",
				Tolerance:         300 * s,
				Gone:              "disable",
				Redirects:         "fail",
				RetryAfter:        "honor",
				IdempotencyHeader: "idempotency-key",
			}
		},
		// Stripe: "up to 3 days with an exponential back off" (shape only:
		// base 1 min, factor 2, cap 12 h reaches 3 days in ~12 attempts).
		"stripe": func() Policy {
			return Policy{MaxAttempts: 12,
				Backoff:   Backoff{Kind: "exponential", Base: 1 * m, Factor: 2, Cap: 12 * h, Jitter: "full"},
				Timeout:   30 * s,
				Scheme:    "stripe",
				Tolerance: 300 * s,
				Redirects: "fail",
			}
		},
		// GitHub: no automatic retry, 10 s timeout.
		"github": func() Policy {
			return Policy{MaxAttempts: 1, Timeout: 10 * s, Scheme: "github", Redirects: "fail"}
		},
		// Shopify: 5 s timeout, 8 retries over 4 h (shape only: 1 min
		// doubling, capped, reaches ~4 h).
		"shopify": func() Policy {
			return Policy{MaxAttempts: 9,
				Backoff:   Backoff{Kind: "exponential", Base: 1 * m, Factor: 2, Cap: 1 * h, Jitter: "none"},
				Timeout:   5 * s,
				Scheme:    "shopify",
				Redirects: "fail",
			}
		},
		// Slack Events API: 3 s timeout, 3 retries: immediately, ~1 min, ~5 min.
		"slack": func() Policy {
			return Policy{MaxAttempts: 4,
				Backoff:   Backoff{Kind: "schedule", Schedule: []time.Duration{0, 1 * m, 5 * m}, Jitter: "none"},
				Timeout:   3 * s,
				Scheme:    "slack",
				Tolerance: 300 * s,
			}
		},
		// Zoom: 200/204 only, 3 s timeout, retries after 5, 20, 60 min.
		"zoom": func() Policy {
			return Policy{MaxAttempts: 4,
				Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{5 * m, 20 * m, 60 * m}, Jitter: "none"},
				Success: []int{200, 204},
				Timeout: 3 * s,
				Scheme:  "zoom",
			}
		},
		// Azure Event Grid: 200-204 only; 400, 401, 403, 413 not retried;
		// 30 s timeout; 10 s, 30 s, 1, 5, 10, 30 min, 1, 3, 6, 12 h with
		// randomisation.
		"azure-event-grid": func() Policy {
			return Policy{MaxAttempts: 11,
				Backoff: Backoff{Kind: "schedule", Schedule: []time.Duration{10 * s, 30 * s, 1 * m, 5 * m, 10 * m, 30 * m, 1 * h, 3 * h, 6 * h, 12 * h}, Jitter: "proportional", JitterFrac: 0.2},
				Success: []int{200, 201, 202, 203, 204},
				NoRetry: []int{400, 401, 403, 413},
				Timeout: 30 * s,
			}
		},
		// Google Pub/Sub push: 102 and 200-204; 10 s timeout; exponential
		// 10 s to 600 s.
		"google-pubsub": func() Policy {
			return Policy{MaxAttempts: 10,
				Backoff: Backoff{Kind: "exponential", Base: 10 * s, Factor: 2, Cap: 600 * s, Jitter: "none"},
				Success: []int{102, 200, 201, 202, 203, 204},
				Timeout: 10 * s,
			}
		},
	}
}

// ProfileNames returns the built-in policy names, sorted.
func ProfileNames() []string {
	ps := profiles()
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Profile returns a fresh copy of a built-in policy by name.
func Profile(name string) (Policy, error) {
	mk, ok := profiles()[name]
	if !ok {
		return Policy{}, fmt.Errorf("conformance: unknown policy profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	p := mk()
	p.Profile = name
	return p, nil
}
