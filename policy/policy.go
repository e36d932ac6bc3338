package policy

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Kind is the shape of a backoff; its string form is the YAML and CLI
// value.
type Kind string

// Backoff kinds.
const (
	// Schedule is an explicit list of delays.
	Schedule Kind = "schedule"
	// Exponential is Base*Factor^(n-1), capped at Cap.
	Exponential Kind = "exponential"
)

// Jitter is how a provider spreads a nominal delay; its string form is the
// YAML and CLI value. The empty Jitter means none.
type Jitter string

// Jitters.
const (
	JitterNone Jitter = "none"
	// JitterFull is uniform in [0, d].
	JitterFull Jitter = "full"
	// JitterEqual is uniform in [d/2, d].
	JitterEqual Jitter = "equal"
	// JitterProportional is uniform in [d(1-f), d(1+f)], f = JitterFrac.
	JitterProportional Jitter = "proportional"
)

// Backoff describes how long a provider waits before each retry.
type Backoff struct {
	// Kind is Schedule (explicit list) or Exponential.
	Kind Kind `json:"kind" yaml:"kind"`
	// Schedule[n-1] is the delay before retry n (the first attempt is not
	// in the list: it goes out at once). Kind "schedule" only.
	Schedule []time.Duration `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	// Base, Factor, Cap: delay before retry n is min(Cap, Base*Factor^(n-1)),
	// then jittered. Kind "exponential" only.
	Base   time.Duration `json:"base,omitempty" yaml:"base,omitempty"`
	Factor float64       `json:"factor,omitempty" yaml:"factor,omitempty"`
	Cap    time.Duration `json:"cap,omitempty" yaml:"cap,omitempty"`
	// Jitter is "none", "full" (uniform in [0, d]), "equal" (uniform in
	// [d/2, d]) or "proportional" (uniform in [d(1-f), d(1+f)] with
	// f = JitterFrac, e.g. Svix's ±20 %).
	Jitter     Jitter  `json:"jitter" yaml:"jitter"`
	JitterFrac float64 `json:"jitter_frac,omitempty" yaml:"jitter_frac,omitempty"`
	// Repeat starts a schedule over after its last delay: retry
	// len(Schedule)+1 waits Schedule[0] again (senders that cycle through
	// a fixed list). A one-delay schedule with Repeat is a fixed interval:
	// a still-failing event is sent again every Schedule[0]. Kind
	// "schedule" only.
	Repeat bool `json:"repeat,omitempty" yaml:"repeat,omitempty"`
	// RepeatFrom, with Repeat, is the delay (1-based) the schedule starts
	// over at: 0 or 1 the first; len(Schedule) repeats the last delay for
	// ever ("1 min, 5 min, 30 min, then every hour").
	RepeatFrom int `json:"repeat_from,omitempty" yaml:"repeat_from,omitempty"`
}

// Nominal returns the un-jittered delay before retry n (n >= 1), and false
// when the policy makes no retry n.
func (b *Backoff) Nominal(n int) (time.Duration, bool) {
	if n < 1 {
		return 0, false
	}
	switch b.Kind {
	case Schedule:
		if n > len(b.Schedule) {
			if !b.Repeat || len(b.Schedule) == 0 {
				return 0, false
			}
			from := min(max(b.RepeatFrom, 1), len(b.Schedule))
			n = from + (n-from)%(len(b.Schedule)-from+1)
		}
		return b.Schedule[n-1], true
	case Exponential:
		d := float64(b.Base)
		for i := 1; i < n; i++ {
			d *= b.Factor
			if b.Cap > 0 && d >= float64(b.Cap) {
				return b.Cap, true
			}
			if d >= math.MaxInt64 {
				return math.MaxInt64, true // retry 64 of an uncapped doubling: "never"
			}
		}
		if b.Cap > 0 && d > float64(b.Cap) {
			return b.Cap, true
		}
		return time.Duration(d), true
	}
	return 0, false
}

// Band returns the range of delays the jitter allows around a nominal delay.
func (b *Backoff) Band(nominal time.Duration) (lo, hi time.Duration) {
	switch b.Jitter {
	case JitterFull:
		return 0, nominal
	case JitterEqual:
		return nominal / 2, nominal
	case JitterProportional:
		f := b.JitterFrac
		return time.Duration(float64(nominal) * (1 - f)), time.Duration(float64(nominal) * (1 + f))
	}
	return nominal, nominal
}

// Policy is what a provider promises about delivery: the contract the
// conformance checks hold it to. Durations are as the provider runs them
// (already multiplied by any time scale).
type Policy struct {
	// Profile names a built-in policy this one started from, if any.
	Profile string `json:"profile,omitempty" yaml:"profile,omitempty"`

	// MaxAttempts counts every attempt of one event at one endpoint,
	// the first included. 1 means the provider never retries;
	// Unlimited (0, "unlimited" in a scenario) means no count: the
	// provider retries until RetryWindow closes.
	MaxAttempts int `json:"max_attempts" yaml:"max_attempts"`
	// RetryWindow, when set, bounds retrying in time: no attempt starts
	// later than RetryWindow after the first attempt of the same event
	// at the same endpoint. With a MaxAttempts as well, whichever ends
	// first ends the retries.
	RetryWindow time.Duration `json:"retry_window,omitempty" yaml:"retry_window,omitempty"`
	Backoff     Backoff       `json:"backoff" yaml:"backoff"`
	// Success lists the statuses that count as delivered; empty = 2xx.
	Success []int `json:"success,omitempty" yaml:"success,omitempty"`
	// NoRetry lists statuses that must not be retried; empty = every 4xx
	// except 408 and 429 (and 410, see Gone).
	NoRetry []int `json:"no_retry,omitempty" yaml:"no_retry,omitempty"`
	// Timeout is how long the provider waits for an answer before it
	// counts the attempt as failed.
	Timeout time.Duration `json:"timeout" yaml:"timeout"`

	// Scheme is the signature scheme (signature names), "" = unsigned.
	Scheme  string   `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	Secrets []string `json:"-" yaml:"secrets,omitempty"` // never serialised
	// SchemeOptions configure the "generic" scheme: header, template,
	// timestamp_param... (the sink's generic endpoint keys, '_' or '-').
	SchemeOptions map[string]string `json:"scheme_options,omitempty" yaml:"scheme_options,omitempty"`
	// Tolerance is the timestamp tolerance the consumer applies.
	Tolerance time.Duration `json:"tolerance,omitempty" yaml:"tolerance,omitempty"`

	// Gone is what 410 does: "disable" (spec), "retry", or "" (unknown).
	Gone string `json:"gone,omitempty" yaml:"gone,omitempty"`
	// Redirects: "fail" (a 3xx is a failure, not followed) or "follow".
	Redirects string `json:"redirects,omitempty" yaml:"redirects,omitempty"`
	// RetryAfter: "honor" (next attempt no earlier than Retry-After,
	// capped at RetryAfterMax) or "ignore".
	RetryAfter    string        `json:"retry_after,omitempty" yaml:"retry_after,omitempty"`
	RetryAfterMax time.Duration `json:"retry_after_max,omitempty" yaml:"retry_after_max,omitempty"`

	// Format is how events travel: "" (plain webhooks),
	// "cloudevents-binary" (attributes in ce- headers, the data as body) or
	// "cloudevents-structured" (the whole event as
	// application/cloudevents+json). A CloudEvents provider also runs the
	// abuse-protection handshake before delivering.
	Format string `json:"format,omitempty" yaml:"format,omitempty"`

	// IdempotencyHeader is the trigger API's idempotency header, "" = none.
	IdempotencyHeader string `json:"idempotency_header,omitempty" yaml:"idempotency_header,omitempty"`
	// Persistent: the provider claims pending deliveries survive a restart.
	Persistent bool `json:"persistent,omitempty" yaml:"persistent,omitempty"`

	// Latency thresholds for the load checks; zero = not declared.
	LatencyP50 time.Duration `json:"latency_p50,omitempty" yaml:"latency_p50,omitempty"`
	LatencyP99 time.Duration `json:"latency_p99,omitempty" yaml:"latency_p99,omitempty"`

	// TimeScale is the factor the provider runs time at (0 or 1 = real
	// time), for the record: the durations above already include it, and a
	// Retry-After an endpoint sends stays real seconds (it is the
	// consumer's instruction, not the provider's policy).
	TimeScale float64 `json:"time_scale,omitempty" yaml:"time_scale,omitempty"`
}

// Validate reports the first field that makes no sense, as an *Error.
func (p *Policy) Validate() error {
	switch {
	case p.MaxAttempts < 0:
		return fail("max_attempts", "max_attempts must be at least 1, or unlimited (0) with a retry_window, got %d", p.MaxAttempts)
	case p.RetryWindow < 0:
		return fail("retry_window", "retry_window is negative (%v)", p.RetryWindow)
	case p.Unlimited() && p.RetryWindow == 0:
		return fail("max_attempts", "max_attempts 0 is unlimited and needs a retry_window (how long retries go on), or give at least 1 attempt")
	}
	if p.Backoff.Repeat && p.Backoff.Kind != Schedule {
		return fail("backoff.repeat", "backoff.repeat applies to kind schedule, not %q", p.Backoff.Kind)
	}
	if from := p.Backoff.RepeatFrom; from != 0 && (!p.Backoff.Repeat || from < 1 || from > len(p.Backoff.Schedule)) {
		return fail("backoff.repeat_from", "backoff.repeat_from must be a delay of the schedule (1..%d) with repeat: true, got %d", len(p.Backoff.Schedule), from)
	}
	switch p.Backoff.Kind {
	case Schedule:
		positive := false
		for i, d := range p.Backoff.Schedule {
			if d < 0 {
				return fail(fmt.Sprintf("backoff.schedule[%d]", i), "backoff.schedule[%d] is negative (%v)", i, d)
			}
			positive = positive || d > 0 && i+1 >= p.Backoff.RepeatFrom
		}
		if p.Backoff.Repeat && !positive {
			return fail("backoff.repeat", "backoff.repeat needs a positive delay in the repeated part of the schedule (all zero retries without pause)")
		}
		if p.Unlimited() && !p.Backoff.Repeat {
			return fail("max_attempts", "max_attempts unlimited needs a backoff that never runs out: backoff.repeat, or kind exponential")
		}
	case Exponential:
		if p.Backoff.Base <= 0 || p.Backoff.Factor < 1 {
			return fail("backoff", "exponential backoff needs base > 0 and factor >= 1, got base %v factor %v", p.Backoff.Base, p.Backoff.Factor)
		}
	default:
		if p.MaxAttempts != 1 {
			return fail("backoff.kind", "backoff.kind must be schedule or exponential, got %q", p.Backoff.Kind)
		}
	}
	switch p.Backoff.Jitter {
	case "", JitterNone, JitterFull, JitterEqual:
	case JitterProportional:
		if p.Backoff.JitterFrac <= 0 || p.Backoff.JitterFrac >= 1 {
			return fail("backoff.jitter_frac", "backoff.jitter_frac must be in (0,1), got %v", p.Backoff.JitterFrac)
		}
	default:
		return fail("backoff.jitter", "backoff.jitter must be none, full, equal or proportional, got %q", p.Backoff.Jitter)
	}
	if p.TimeScale < 0 {
		return fail("time_scale", "time_scale is negative (%v)", p.TimeScale)
	}
	if p.Timeout < 0 {
		return fail("timeout", "timeout is negative (%v)", p.Timeout)
	}
	if len(p.SchemeOptions) > 0 && p.Scheme != "generic" {
		return fail("scheme_options", "scheme_options configure the generic scheme, not %q", p.Scheme)
	}
	switch p.Gone {
	case "", "disable", "retry":
	default:
		return fail("gone", "gone must be disable or retry, got %q", p.Gone)
	}
	switch p.Redirects {
	case "", "fail", "follow":
	default:
		return fail("redirects", "redirects must be fail or follow, got %q", p.Redirects)
	}
	switch p.RetryAfter {
	case "", "honor", "ignore":
	default:
		return fail("retry_after", "retry_after must be honor or ignore, got %q", p.RetryAfter)
	}
	switch p.Format {
	case "", FormatCEBinary, FormatCEStructured:
	default:
		return fail("format", "format must be %s or %s (or empty for plain webhooks), got %q", FormatCEBinary, FormatCEStructured, p.Format)
	}
	return nil
}

// Scaled returns a copy with every policy duration multiplied by f, as a
// provider run with a time scale (0.001 turns 5 min into 300 ms) does.
func (p Policy) Scaled(f float64) Policy {
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	q := p
	q.Backoff.Schedule = make([]time.Duration, len(p.Backoff.Schedule))
	for i, d := range p.Backoff.Schedule {
		q.Backoff.Schedule[i] = s(d)
	}
	q.Backoff.Base, q.Backoff.Cap = s(p.Backoff.Base), s(p.Backoff.Cap)
	q.Timeout, q.RetryAfterMax, q.RetryWindow = s(p.Timeout), s(p.RetryAfterMax), s(p.RetryWindow)
	q.TimeScale = f
	if p.TimeScale > 0 {
		q.TimeScale = p.TimeScale * f
	}
	return q
}

// Summary describes the policy in one line, for report titles:
// "standard-webhooks: 5 attempts after 5ms 300ms 1.8s 7.2s (±20%), timeout 250ms, ...".
func (p Policy) Summary() string {
	var b strings.Builder
	if p.Profile != "" {
		b.WriteString(p.Profile + ": ")
	}
	if p.Unlimited() {
		b.WriteString("unlimited attempts")
	} else {
		fmt.Fprintf(&b, "%d attempt(s)", p.MaxAttempts)
	}
	if p.RetryWindow > 0 {
		fmt.Fprintf(&b, " within %s", p.RetryWindow)
	}
	if p.MaxAttempts != 1 {
		switch p.Backoff.Kind {
		case Schedule:
			b.WriteString(" after")
			for i, d := range p.Backoff.Schedule {
				if i == p.MaxAttempts-1 {
					break
				}
				b.WriteString(" " + d.String())
			}
			switch {
			case p.Backoff.Repeat && p.Backoff.RepeatFrom > 1 && p.Backoff.RepeatFrom <= len(p.Backoff.Schedule):
				fmt.Fprintf(&b, " (repeating from %s)", p.Backoff.Schedule[p.Backoff.RepeatFrom-1])
			case p.Backoff.Repeat:
				b.WriteString(" (repeating)")
			}
		case Exponential:
			fmt.Fprintf(&b, " exponential from %s ×%g", p.Backoff.Base, p.Backoff.Factor)
			if p.Backoff.Cap > 0 {
				fmt.Fprintf(&b, " capped at %s", p.Backoff.Cap)
			}
		}
		switch p.Backoff.Jitter {
		case "", JitterNone:
			b.WriteString(" (no jitter)")
		case JitterProportional:
			fmt.Fprintf(&b, " (±%g%% jitter)", p.Backoff.JitterFrac*100)
		default:
			fmt.Fprintf(&b, " (%s jitter)", p.Backoff.Jitter)
		}
	}
	if p.Timeout > 0 {
		fmt.Fprintf(&b, ", timeout %s", p.Timeout)
	}
	scheme := p.Scheme
	if !p.Signed() {
		scheme = "none (unsigned)"
	}
	b.WriteString(", signature " + scheme)
	if p.Format != "" {
		b.WriteString(", " + p.Format)
	}
	if p.TimeScale > 0 && p.TimeScale != 1 {
		fmt.Fprintf(&b, ", time scale %g", p.TimeScale)
	}
	return b.String()
}

// IsSuccess reports whether a status counts as delivered under the policy.
func (p *Policy) IsSuccess(status int) bool {
	if len(p.Success) > 0 {
		return slices.Contains(p.Success, status)
	}
	return status >= 200 && status < 300
}

// IsPermanent reports whether the policy says a status must not be retried.
func (p *Policy) IsPermanent(status int) bool {
	if len(p.NoRetry) > 0 {
		return slices.Contains(p.NoRetry, status)
	}
	return status >= 400 && status < 500 && status != 408 && status != 429 && status != 410
}

// Unlimited is MaxAttempts for a policy that counts no attempts: it
// retries until its RetryWindow closes.
const Unlimited = 0

// Unlimited reports whether the policy retries without a count, until its
// retry window closes.
func (p *Policy) Unlimited() bool { return p.MaxAttempts == Unlimited }

// Retries reports whether the policy retries at all.
func (p *Policy) Retries() bool { return p.MaxAttempts != 1 }

// maxNominalAttempts bounds NominalAttempts for a window that fits a
// great many retries (a fixed 1 s interval for 24 h).
const maxNominalAttempts = 10_000

// NominalAttempts is how many attempts a permanently failing event gets on
// the un-jittered schedule: MaxAttempts, cut by the retries the backoff
// defines and by the retry window (at most 10000).
func (p *Policy) NominalAttempts() int {
	limit := p.MaxAttempts
	if limit <= 0 || limit > maxNominalAttempts {
		limit = maxNominalAttempts
	}
	var at time.Duration
	n := 1
	for ; n < limit; n++ {
		d, ok := p.Backoff.Nominal(n)
		if !ok || p.RetryWindow > 0 && d > p.RetryWindow-at {
			break
		}
		at += d
	}
	return n
}

// Policy formats besides plain webhooks ("").
const (
	FormatCEBinary     = "cloudevents-binary"
	FormatCEStructured = "cloudevents-structured"
)

// CloudEvents reports whether the policy declares a CloudEvents format.
func (p *Policy) CloudEvents() bool {
	return p.Format == FormatCEBinary || p.Format == FormatCEStructured
}

// Signed reports whether the policy declares a signature scheme ("" and
// "none" mean unsigned).
func (p *Policy) Signed() bool { return p.Scheme != "" && p.Scheme != "none" }

// SchemeOption returns a generic scheme option, whichever of '_' and '-'
// its key was written with.
func (p *Policy) SchemeOption(key string) string {
	for k, v := range p.SchemeOptions {
		if strings.ReplaceAll(k, "-", "_") == key {
			return v
		}
	}
	return ""
}

// Error is a policy field that makes no sense. Err's text names the field
// itself, so that it reads alone too.
type Error struct {
	// Field is the policy key as a scenario writes it: "max_attempts",
	// "backoff.jitter", "backoff.schedule[2]".
	Field string
	Err   error
}

func (e *Error) Error() string { return "policy: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func fail(field, format string, args ...any) error {
	return &Error{Field: field, Err: fmt.Errorf(format, args...)}
}
