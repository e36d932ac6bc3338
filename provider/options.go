package provider

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/signature"
)

// Defaults of Options and of the default Policy.
const (
	DefaultListen            = "127.0.0.1:0"
	DefaultConcurrency       = 64      // attempts in flight per endpoint
	DefaultQueueSize         = 100_000 // deliveries not yet finished, all endpoints
	DefaultMaxBody           = 1 << 20 // API request body limit, bytes
	DefaultKeepEvents        = 50_000  // finished events kept for GET /events
	DefaultIdempotencyWindow = 24 * time.Hour
	DefaultRotationOverlap   = 24 * time.Hour // old secret keeps signing after a rotation
	DefaultSlowDelay         = 2 * time.Second
	DefaultMaxConns          = 4096 // client connections per host
	DefaultMaxAPIConns       = 16 << 10
	DefaultSeed              = 1
	DefaultUserAgent         = "hookbench-reference/1"

	DefaultRetryAfterMax = time.Hour
	DefaultTolerance     = 300 * time.Second

	// IdempotencyHeader is the trigger API's idempotency header.
	IdempotencyHeader = "Idempotency-Key"
	// EventTypeHeader carries the event type on every delivery.
	EventTypeHeader = "X-Event-Type"
	// AttemptHeader carries the 1-based attempt number on every delivery.
	AttemptHeader = "X-Webhook-Attempt"

	// maxIdempotencyKeys bounds the idempotency table; the oldest keys are
	// forgotten early when it is full.
	maxIdempotencyKeys = 1 << 20
)

// DefaultPolicy returns the policy the reference provider keeps with no
// flags: the Standard Webhooks profile (schedule with ±20 % jitter, 15 s
// timeout, 410 disables, redirects are failures, Retry-After honoured),
// Retry-After capped at an hour, and latency thresholds for the load checks.
func DefaultPolicy() policy.Policy {
	p := policy.StandardWebhooks()
	p.RetryAfterMax = DefaultRetryAfterMax
	p.IdempotencyHeader = IdempotencyHeader
	p.LatencyP50 = 250 * time.Millisecond
	p.LatencyP99 = time.Second
	return p
}

// Options configures a Provider. Build it with NewOptions and change what
// you need; New validates it. Options is a plain value: New copies it.
type Options struct {
	// Listen is the API's address; port 0 picks a free one. Only loopback
	// addresses are allowed unless AllowRemote is set.
	Listen string
	// AllowRemote permits a non-loopback Listen address; it also needs an
	// APIKey, since anyone who reaches the API can make the provider send
	// signed requests.
	AllowRemote bool
	// APIKey, when set, is required as "Authorization: Bearer KEY" (the
	// scheme name in any case).
	APIKey string
	// AllowLinkLocal permits endpoints on link-local and cloud metadata
	// addresses (169.254.0.0/16, fe80::/10, 100.100.100.200,
	// fd00:ec2::254, metadata.google.internal), refused by default at
	// registration and, for names that resolve to them, when dialled.
	AllowLinkLocal bool
	// MaxAPIConns is the most API connections open at once; past it a
	// connection gets 503 and is counted (Provider.OverCapacity).
	MaxAPIConns int
	// Policy is the delivery policy as declared, before TimeScale.
	// Policy.Persistent is ignored: it is set from DataDir.
	Policy policy.Policy
	// TimeScale multiplies every Policy duration (0.001 turns 5 min into
	// 300 ms) so that a full schedule runs in a test.
	TimeScale float64
	// Faults lists fault names (see Faults) to switch on.
	Faults []string
	// DataDir, when set, keeps endpoints, events and pending deliveries in
	// DataDir/provider.db so that a restarted provider resumes them.
	DataDir string
	// Fsync flushes every store commit to the disk, so that accepted
	// events survive a machine crash too; without it they survive a
	// provider crash (what a restart test does) and commits are ~100x
	// cheaper.
	Fsync bool
	// Concurrency is the most attempts in flight per endpoint.
	Concurrency int
	// QueueSize bounds deliveries not yet finished; POST /events answers
	// 503 when an event would exceed it.
	QueueSize int
	// MaxBody is the API's request body limit in bytes (413 above).
	MaxBody int
	// KeepEvents is how many finished events stay queryable.
	KeepEvents int
	// IdempotencyWindow is how long an Idempotency-Key is remembered.
	IdempotencyWindow time.Duration
	// RotationOverlap is how long a rotated-out secret keeps signing.
	RotationOverlap time.Duration
	// SlowDelay is the delay the "slow" fault adds before first attempts.
	SlowDelay time.Duration
	// MaxConns bounds the delivery client's connections per host.
	MaxConns int
	// UserAgent is sent on every delivery.
	UserAgent string
	// CAFile, when set, is a PEM file of certificates trusted for https
	// endpoints in addition to the system roots (e.g. the certificate
	// `hookbench sink --tls --cert FILE` writes).
	CAFile string
	// Seed seeds Rand when Rand is nil (jitter and fault choices).
	Seed uint64
	// Clock is the time source for scheduling; nil = the real clock.
	Clock Clock
	// Rand drives jitter; nil = seeded from Seed. The Provider owns it
	// after New (it is not safe for concurrent use).
	Rand *rand.Rand
	// Logf, when set, receives one line per notable event (endpoint
	// disabled, store errors). It must be safe for concurrent use.
	Logf func(format string, args ...any)
}

// NewOptions returns Options with every default set and the Standard
// Webhooks policy.
func NewOptions() Options {
	return Options{
		Listen:            DefaultListen,
		Policy:            DefaultPolicy(),
		TimeScale:         1,
		Concurrency:       DefaultConcurrency,
		QueueSize:         DefaultQueueSize,
		MaxBody:           DefaultMaxBody,
		KeepEvents:        DefaultKeepEvents,
		IdempotencyWindow: DefaultIdempotencyWindow,
		RotationOverlap:   DefaultRotationOverlap,
		SlowDelay:         DefaultSlowDelay,
		MaxConns:          DefaultMaxConns,
		MaxAPIConns:       DefaultMaxAPIConns,
		UserAgent:         DefaultUserAgent,
		Seed:              DefaultSeed,
	}
}

// ErrNotLoopback is returned (wrapped) by Validate when Listen is not a
// loopback address and AllowRemote is not set.
var ErrNotLoopback = errors.New("listen address is not loopback (set AllowRemote / --public, with an API key, to listen elsewhere)")

// ErrPublicNoKey is returned (wrapped) by Validate when Listen is not a
// loopback address and no APIKey is set.
var ErrPublicNoKey = errors.New("a non-loopback listen address needs an API key (--api-key or $HOOKBENCH_API_KEY)")

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OptionError is a bad Options field.
type OptionError struct {
	Field string // e.g. "time_scale", "policy", "faults[2]"
	Err   error
}

func (e *OptionError) Error() string { return "reference: option " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *OptionError) Unwrap() error { return e.Err }

func optErr(field, format string, args ...any) error {
	return &OptionError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate reports the first field that makes no sense.
func (o *Options) Validate() error {
	if o.Listen == "" {
		return optErr("listen", "empty address")
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return &OptionError{Field: "listen", Err: err}
	}
	if !isLoopback(host) {
		switch {
		case !o.AllowRemote:
			return &OptionError{Field: "listen", Err: fmt.Errorf("%q: %w", o.Listen, ErrNotLoopback)}
		case o.APIKey == "":
			return &OptionError{Field: "listen", Err: fmt.Errorf("%q: %w", o.Listen, ErrPublicNoKey)}
		}
	}
	if !(o.TimeScale > 0) || math.IsInf(o.TimeScale, 0) {
		return optErr("time_scale", "must be a positive number, got %v", o.TimeScale)
	}
	if err := o.Policy.Validate(); err != nil {
		return &OptionError{Field: "policy", Err: err}
	}
	if o.Policy.Timeout <= 0 {
		return optErr("policy", "timeout must be positive, got %v", o.Policy.Timeout)
	}
	if o.Policy.RetryAfterMax < 0 {
		return optErr("policy", "retry_after_max is negative (%v)", o.Policy.RetryAfterMax)
	}
	if o.Policy.Backoff.Kind == policy.Exponential && o.Policy.Backoff.Cap < 0 {
		return optErr("policy", "backoff.cap is negative (%v)", o.Policy.Backoff.Cap)
	}
	if err := checkScheme(o.Policy.Scheme, len(o.Policy.SchemeOptions) > 0); err != nil {
		return &OptionError{Field: "policy", Err: fmt.Errorf("scheme: %w", err)}
	}
	if len(o.Policy.SchemeOptions) > 0 {
		if err := checkGeneric(o.Policy.SchemeOptions); err != nil {
			return &OptionError{Field: "policy", Err: fmt.Errorf("scheme_options: %w", err)}
		}
	}
	if err := checkSecrets(o.Policy); err != nil {
		return err
	}
	if _, err := parseFaults(o.Faults); err != nil {
		return &OptionError{Field: "faults", Err: err}
	}
	switch {
	case o.Concurrency < 1:
		return optErr("concurrency", "must be at least 1, got %d", o.Concurrency)
	case o.QueueSize < 1:
		return optErr("queue_size", "must be at least 1, got %d", o.QueueSize)
	case o.MaxBody < 64:
		return optErr("max_body", "must be at least 64 bytes, got %d", o.MaxBody)
	case o.KeepEvents < 0:
		return optErr("keep_events", "is negative (%d)", o.KeepEvents)
	case o.IdempotencyWindow <= 0:
		return optErr("idempotency_window", "must be positive, got %v", o.IdempotencyWindow)
	case o.RotationOverlap < 0:
		return optErr("rotation_overlap", "is negative (%v)", o.RotationOverlap)
	case o.SlowDelay < 0:
		return optErr("slow_delay", "is negative (%v)", o.SlowDelay)
	case o.MaxConns < 1:
		return optErr("max_conns", "must be at least 1, got %d", o.MaxConns)
	case o.MaxAPIConns < 1:
		return optErr("max_api_conns", "must be at least 1, got %d", o.MaxAPIConns)
	}
	return nil
}

// checkSecrets rejects, before any endpoint exists, a policy secret the
// policy's scheme cannot sign with: endpoints created without a secret
// take these, so one bad secret would fail every POST /endpoints.
func checkSecrets(pol policy.Policy) error {
	if pol.Scheme == "" || pol.Scheme == schemeNone {
		return nil
	}
	for i, s := range pol.Secrets {
		c := signature.Config{Scheme: pol.Scheme, Secrets: []string{s}}
		if pol.Scheme == signature.SchemeGeneric && c.ApplyOptions(pol.SchemeOptions) != nil {
			return nil // reported as scheme_options
		}
		if err := c.Validate(); err != nil {
			var ce *signature.ConfigError
			if errors.As(err, &ce) {
				err = ce.Err
			}
			return &OptionError{Field: fmt.Sprintf("policy.secrets[%d]", i), Err: fmt.Errorf("scheme %s: %w", pol.Scheme, err)}
		}
	}
	return nil
}
