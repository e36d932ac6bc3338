package provider

import (
	"math"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// outcome is what one attempt means for its delivery.
type outcome uint8

const (
	oDelivered outcome = iota // success: done
	oRetry                    // failure: retry while the policy allows
	oFinal                    // permanent failure: no retry
	oGone                     // 410: final, and the endpoint is disabled
)

// String returns the outcome as shown in the delivery log.
func (o outcome) String() string {
	switch o {
	case oDelivered:
		return "delivered"
	case oRetry:
		return "retry"
	case oFinal:
		return "failed"
	case oGone:
		return "gone"
	}
	return "unknown"
}

// classify decides what an answer (status, or a transport error) means
// under the policy, with the faults that bend the retry rules.
func classify(pol *policy.Policy, status int, ek trace.ErrKind, fs faultSet) outcome {
	if ek != trace.ErrNone {
		if ek == trace.ErrTimeout && fs.has(fTimeoutAsSuccess) {
			return oDelivered
		}
		return oRetry
	}
	if isSuccess(pol, status) {
		return oDelivered
	}
	if status == 410 {
		switch {
		case fs.has(fIgnore410):
			return oRetry
		case pol.Gone == "disable":
			return oGone
		case pol.Gone == "retry":
			return oRetry
		}
	}
	if isNoRetry(pol, status) {
		if fs.has(fRetry4xx) {
			return oRetry
		}
		return oFinal
	}
	return oRetry
}

func isSuccess(pol *policy.Policy, status int) bool {
	if len(pol.Success) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range pol.Success {
		if s == status {
			return true
		}
	}
	return false
}

// isNoRetry: the policy's list, or by default every 4xx but 408 and 429.
func isNoRetry(pol *policy.Policy, status int) bool {
	if len(pol.NoRetry) == 0 {
		return status >= 400 && status <= 499 && status != 408 && status != 429
	}
	for _, s := range pol.NoRetry {
		if s == status {
			return true
		}
	}
	return false
}

// attemptLimit is how many attempts of one delivery the provider makes at
// most: the policy's, bent by no-retry and give-up-early.
func attemptLimit(pol *policy.Policy, fs faultSet) int {
	n := pol.MaxAttempts
	if pol.Unlimited() {
		n = math.MaxInt
	}
	if pol.Backoff.Kind == policy.Schedule && !pol.Backoff.Repeat && len(pol.Backoff.Schedule)+1 < n {
		n = len(pol.Backoff.Schedule) + 1
	}
	switch {
	case fs.has(fNoRetry):
		return 1
	case fs.has(fGiveUpEarly) && pol.Unlimited():
		// Stopping after a count inside a window that has room for more
		// is what a sender with a hard-coded attempt limit does.
		return max(2, pol.NominalAttempts()/2)
	case fs.has(fGiveUpEarly):
		return max(1, n/2)
	}
	return n
}

// pastWindow reports whether a retry due at next falls after the retry
// window of a delivery first attempted at first: the provider stops
// instead (unless ignore-retry-window).
func pastWindow(pol *policy.Policy, fs faultSet, first, next time.Time) bool {
	return pol.RetryWindow > 0 && !fs.has(fIgnoreRetryWindow) && next.Sub(first) > pol.RetryWindow
}

// retryDelay returns the delay before retry n (n >= 1: the attempt after
// attempt n failed), and false when there is no retry n. u is a uniform
// sample in [0, 1) that places the delay in the policy's jitter band.
func retryDelay(pol *policy.Policy, n int, fs faultSet, u float64) (time.Duration, bool) {
	if n < 1 || n+1 > attemptLimit(pol, fs) {
		return 0, false
	}
	nom, ok := pol.Backoff.Nominal(n)
	if !ok {
		return 0, false
	}
	switch {
	case fs.has(fRetryStorm):
		return 0, true
	case fs.has(fConstantBackoff):
		nom, _ = pol.Backoff.Nominal(1)
	}
	d := nom
	if !fs.has(fNoJitter) {
		lo, hi := pol.Backoff.Band(nom)
		d = lo + time.Duration(u*float64(hi-lo))
	}
	if fs.has(fLateRetries) {
		d = time.Duration(float64(d) * LateRetryFactor)
	}
	return d, true
}

// LateRetryFactor is how much the late-retries fault stretches every retry
// delay: clearly slower than declared (beyond the quarter a timing check
// tolerates), and far enough short of twice the declared delay that it
// warns rather than fails, even against the top of a ±20 % jitter band.
const LateRetryFactor = 1.9

// honorRetryAfter returns the delay to use when the answer carried a
// Retry-After of ra: the longer of the backoff delay and ra capped at the
// policy's maximum. Only 429 and 503 answers are considered.
func honorRetryAfter(pol *policy.Policy, status int, ra time.Duration, hasRA bool, delay time.Duration, fs faultSet) time.Duration {
	if !hasRA || (status != 429 && status != 503) || pol.RetryAfter == "ignore" || fs.has(fIgnoreRetryAfter) {
		return delay
	}
	if pol.RetryAfterMax > 0 && ra > pol.RetryAfterMax {
		ra = pol.RetryAfterMax
	}
	return max(delay, ra)
}

// maxRetryAfter bounds a parsed Retry-After (about 68 years).
const maxRetryAfter = time.Duration(1<<31-1) * time.Second

// ParseRetryAfter parses a Retry-After value: delay-seconds or an
// HTTP-date (IMF-fixdate, RFC 850 or asctime), relative to now. A date in
// the past gives 0. It reports false for anything else. The seconds form
// does not allocate.
func ParseRetryAfter(v []byte, now time.Time) (time.Duration, bool) {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	if len(v) == 0 {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		var secs int64
		for _, c := range v {
			if c < '0' || c > '9' {
				return 0, false
			}
			if secs < int64(maxRetryAfter/time.Second) {
				secs = secs*10 + int64(c-'0')
			}
		}
		d := time.Duration(secs) * time.Second
		if secs >= int64(maxRetryAfter/time.Second) {
			d = maxRetryAfter
		}
		return d, true
	}
	s := string(v)
	for _, layout := range [...]string{
		"Mon, 02 Jan 2006 15:04:05 GMT",  // IMF-fixdate (RFC 9110)
		"Monday, 02-Jan-06 15:04:05 GMT", // obsolete RFC 850
		"Mon Jan _2 15:04:05 2006",       // asctime
	} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		if d > maxRetryAfter {
			d = maxRetryAfter
		}
		return d, true
	}
	return 0, false
}
