package conformance

import (
	"fmt"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// retryDue returns the latest instant (ns) the retry after attempt number n
// (1-based) should arrive, given when that attempt ended, and false when the
// policy makes no such retry.
func retryDue(p *Policy, a *trace.Attempt, n int, slack time.Duration) (int64, bool) {
	if n >= p.MaxAttempts {
		return 0, false
	}
	d, ok := p.Backoff.Nominal(n)
	if !ok {
		return 0, false
	}
	_, hi := p.Backoff.Band(d)
	if ra := retryAfterWait(p, a); ra > hi {
		hi = ra
	}
	return attemptEnd(a) + int64(hi) + lateSlack(slack, hi), true
}

// retryAfterWait is how long the policy says to wait after an attempt that
// carried a Retry-After (0 when it carried none or the policy ignores it).
func retryAfterWait(p *Policy, a *trace.Attempt) time.Duration {
	if a.RetryAfter <= 0 || p.RetryAfter == "ignore" {
		return 0
	}
	w := time.Duration(a.RetryAfter) * time.Millisecond
	if p.RetryAfterMax > 0 && w > p.RetryAfterMax {
		w = p.RetryAfterMax
	}
	return w
}

// retriedAfter judges "an attempt whose outcome matches is retried" over one
// view: every matching attempt that is not the policy's last must be followed
// by another attempt of the same event at the same endpoint.
func retriedAfter(v *View, p *Policy, slack time.Duration, match func(*trace.Attempt) bool, what string) Result {
	if p.MaxAttempts <= 1 {
		return Result{Verdict: Warn, Summary: "the policy declares no retries (max_attempts 1): " + what + " are never retried, against the spec's recommendation"}
	}
	var c collector
	pending, declaredPermanent := 0, 0
	for _, d := range v.Deliveries() {
		for i, a := range d.Attempts {
			if !match(a) {
				continue
			}
			if a.Status != 0 && p.IsPermanent(a.Status) {
				declaredPermanent++
				continue
			}
			due, ok := retryDue(p, a, i+1, slack)
			if !ok {
				continue // the policy's last attempt
			}
			if i+1 < len(d.Attempts) {
				c.total++
				continue
			}
			if due > v.Frag.EndNs {
				pending++
				continue
			}
			c.total++
			c.fail(evidence(d, fmt.Sprintf("a retry after attempt %d (%s) by %d ms", i+1, outcome(a), due/1e6), fmt.Sprintf("no attempt within %s after it: %s", ms(v.Frag.EndNs-attemptEnd(a)), outcomes(d.Attempts))))
		}
	}
	if c.total == 0 && pending > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the fragment ended before %d retr(ies) were due", pending)}
	}
	if c.total == 0 && declaredPermanent > 0 {
		return Result{Verdict: Info, Summary: fmt.Sprintf("the policy lists these statuses as not retried (%d attempt(s))", declaredPermanent)}
	}
	return c.result(Fail, what, "each was retried")
}

func statusIn(lo, hi int) func(*trace.Attempt) bool {
	return func(a *trace.Attempt) bool {
		return a.Status >= lo && a.Status <= hi && a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) == 0
	}
}

// check 2.1
func checkRetry5xx(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return retriedAfter(sc.Main(), p, sc.Slack, statusIn(500, 599), "5xx answers")
}

// check 2.2
func checkRetry408(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return retriedAfter(sc.Main(), p, sc.Slack, statusIn(408, 408), "408 answers")
}

// check 2.3
func checkRetry429(_ *trace.Trace, p *Policy, sc *Scope) Result {
	return retriedAfter(sc.Main(), p, sc.Slack, statusIn(429, 429), "429 answers")
}

// check 2.4
func checkRetryConnectionError(_ *trace.Trace, p *Policy, sc *Scope) Result {
	reset := func(a *trace.Attempt) bool {
		return !a.Has(trace.FlagProviderGaveUp) && (a.Status == 0 || a.Has(trace.FlagAborted))
	}
	return retriedAfter(sc.Main(), p, sc.Slack, reset, "connection resets")
}

// check 2.5
func checkNoRetryPermanent4xx(_ *trace.Trace, p *Policy, sc *Scope) Result {
	var c collector
	for _, d := range sc.Main().Deliveries() {
		for i, a := range d.Attempts {
			if a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) != 0 || !p.IsPermanent(a.Status) {
				continue
			}
			c.total++
			if extra := len(d.Attempts) - i - 1; extra > 0 {
				c.fail(evidence(d, fmt.Sprintf("no retry after a permanent %d", a.Status), fmt.Sprintf("%d more attempt(s): %s", extra, outcomes(d.Attempts))))
			}
			break
		}
	}
	return c.result(Fail, "permanent 4xx answers", "none retried")
}

// check 2.6 (Endpoints[0] redirects to Endpoints[1])
func checkRedirectNotFollowed(_ *trace.Trace, p *Policy, sc *Scope) Result {
	v := sc.Main()
	if len(v.Frag.Endpoints) < 2 {
		return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " needs a redirecting endpoint and a target"}
	}
	from, to := v.Frag.Endpoints[0], v.Frag.Endpoints[1]
	redirected := 0
	for _, a := range v.Attempts {
		if a.Endpoint == from && a.Status >= 300 && a.Status < 400 {
			redirected++
		}
	}
	if redirected == 0 {
		return Result{Verdict: Skip, Summary: "no attempt reached " + from + " to be redirected"}
	}
	var followed []*Delivery
	for _, d := range v.Deliveries() {
		if d.Endpoint == to {
			followed = append(followed, d)
		}
	}
	if p.Redirects == "follow" {
		if len(followed) == 0 {
			return Result{Verdict: Fail, Summary: fmt.Sprintf("the policy follows redirects, but none of %d redirect(s) reached %s", redirected, to)}
		}
		return Result{Verdict: Pass, Summary: fmt.Sprintf("redirects followed as the policy declares (%d reached %s)", len(followed), to)}
	}
	if len(followed) == 0 {
		return Result{Verdict: Pass, Summary: fmt.Sprintf("%d 3xx answer(s) treated as failures; the target %s got nothing", redirected, to)}
	}
	r := Result{Verdict: declared(p.Redirects == "fail"), Summary: fmt.Sprintf("%d event(s) followed the redirect to %s", len(followed), to)}
	for _, d := range followed {
		if len(r.Evidence) == maxEvidence {
			break
		}
		r.Evidence = append(r.Evidence, evidence(d, "a 3xx is a failure and is not followed", "delivered to the Location target "+to))
	}
	return r
}

// check 2.7
func checkMaxAttempts(_ *trace.Trace, p *Policy, sc *Scope) Result {
	v := sc.Main()
	var c collector
	pending := 0
	mixed := 0
	for _, d := range v.Deliveries() {
		if slicesAnyDelivered(p, d.Attempts) {
			continue // the fragment's endpoint always fails; ignore oddities
		}
		if len(msgIDs(d.Attempts)) > 1 {
			mixed++ // several provider messages for one event: 7.1 reports it
			continue
		}
		n := len(d.Attempts)
		switch {
		case n == p.MaxAttempts:
			c.total++
		case n > p.MaxAttempts:
			c.total++
			c.fail(evidence(d, fmt.Sprintf("exactly %d attempts (max_attempts)", p.MaxAttempts), fmt.Sprintf("%d attempts", n)))
		default:
			last := d.Attempts[n-1]
			if due, ok := retryDue(p, last, n, sc.Slack); ok && due > v.Frag.EndNs {
				pending++
				continue
			}
			c.total++
			c.fail(evidence(d, fmt.Sprintf("exactly %d attempts (max_attempts)", p.MaxAttempts), fmt.Sprintf("%d attempt(s), then no attempt within %s%s", n, ms(v.Frag.EndNs-attemptEnd(last)), declaredRetry(p, n))))
		}
	}
	if c.total == 0 && pending > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the fragment ended before %d event(s) used all their attempts", pending)}
	}
	if c.total == 0 && mixed > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("every failing event arrived under several message ids (%d, see 7.1): attempts cannot be counted per message", mixed)}
	}
	return c.result(Fail, "permanently failing events", fmt.Sprintf("each made exactly %d attempts", p.MaxAttempts))
}

// declaredRetry names the delay the policy declares before retry n, for
// evidence: " (retry 3 is declared after 1.8s..2.2s)".
func declaredRetry(p *Policy, n int) string {
	d, ok := p.Backoff.Nominal(n)
	if !ok {
		return ""
	}
	lo, hi := p.Backoff.Band(d)
	if lo == hi {
		return fmt.Sprintf(" (retry %d is declared after %s)", n, hi)
	}
	return fmt.Sprintf(" (retry %d is declared after %s..%s)", n, lo, hi)
}

func slicesAnyDelivered(p *Policy, as []*trace.Attempt) bool {
	for _, a := range as {
		if delivered(p, a) {
			return true
		}
	}
	return false
}
