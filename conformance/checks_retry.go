package conformance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// retryDue returns the latest instant (ns) the retry after attempt number n
// (1-based) should arrive, given when that attempt ended, and false when the
// policy makes no such retry. first is the delivery's first attempt: under
// a retry window, a retry that may fall due after the window closes is not
// owed (the provider may have drawn a delay past it and stopped).
func retryDue(p *policy.Policy, first, a *trace.Attempt, n int, slack time.Duration) (int64, bool) {
	if countSpent(p, n) {
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
	if end, ok := windowEnd(p, first); ok && attemptEnd(a)+int64(hi)+2*int64(slack) > end {
		return 0, false
	}
	return attemptEnd(a) + int64(hi) + lateSlack(slack, hi), true
}

// retryAfterWait is how long the policy says to wait after an attempt that
// carried a Retry-After (0 when it carried none or the policy ignores it).
func retryAfterWait(p *policy.Policy, a *trace.Attempt) time.Duration {
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
func retriedAfter(v *View, p *policy.Policy, slack time.Duration, match func(*trace.Attempt) bool, what string) Result {
	if !p.Retries() {
		return Result{Verdict: Warn, Summary: "the policy declares no retries (max_attempts 1): " + what + " are never retried, against the spec's recommendation"}
	}
	c := newCollector(UnitAttempts)
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
			due, ok := retryDue(p, d.Attempts[0], a, i+1, slack)
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
func checkRetry5xx(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return retriedAfter(sc.Main(), p, sc.Slack, statusIn(500, 599), "5xx answers")
}

// check 2.2
func checkRetry408(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return retriedAfter(sc.Main(), p, sc.Slack, statusIn(408, 408), "408 answers")
}

// check 2.3
func checkRetry429(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return retriedAfter(sc.Main(), p, sc.Slack, statusIn(429, 429), "429 answers")
}

// check 2.4
func checkRetryConnectionError(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	reset := func(a *trace.Attempt) bool {
		return !a.Has(trace.FlagProviderGaveUp) && (a.Status == 0 || a.Has(trace.FlagAborted))
	}
	return retriedAfter(sc.Main(), p, sc.Slack, reset, "connection resets")
}

// check 2.5
func checkNoRetryPermanent4xx(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	c := newCollector(UnitDeliveries)
	pending := 0
	var lastDue int64
	for _, d := range v.Deliveries() {
		for i, a := range d.Attempts {
			if a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) != 0 || !p.IsPermanent(a.Status) {
				continue
			}
			extra := len(d.Attempts) - i - 1
			if extra > 0 {
				c.total++
				c.fail(evidence(d, fmt.Sprintf("no retry after a permanent %d", a.Status), fmt.Sprintf("%d more attempt(s): %s", extra, outcomes(d.Attempts))))
				break
			}
			// A single attempt proves nothing unless the fragment watched
			// until the retry the policy would have made was due.
			if due, ok := retryDue(p, d.Attempts[0], a, i+1, sc.Slack); ok && due > v.Frag.EndNs {
				pending++
				lastDue = max(lastDue, due)
				break
			}
			c.total++
			break
		}
	}
	if pending > 0 && c.bad == 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the fragment stopped watching before a retry of %d permanent 4xx answer(s) would have been due (%d ms short): a retry could not have been seen", pending, (lastDue-v.Frag.EndNs+1e6-1)/1e6)}
	}
	return c.result(Fail, "permanent 4xx answers", "none retried")
}

// redirectsOf returns the fragment's redirecting endpoints. Traces written
// before Fragment.Redirects had one: the first endpoint, redirecting to the
// second with a 307.
func redirectsOf(f *Fragment) []Redirect {
	if len(f.Redirects) > 0 {
		return f.Redirects
	}
	if len(f.Endpoints) < 2 {
		return nil
	}
	return []Redirect{{From: f.Endpoints[0], Status: 307, To: f.Endpoints[1]}}
}

// howFollowed describes a request that reached a redirect target: method
// and whether it carried a body (the event).
func howFollowed(a *trace.Attempt) string {
	m := a.Method
	if m == "" {
		m = "a request (method not recorded)"
	}
	if a.Size == 0 {
		return m + " without a body"
	}
	return fmt.Sprintf("%s with a %d-byte body", m, a.Size)
}

// lostBody reports whether a followed request could not have delivered the
// event: a GET or HEAD, or no body at all.
func lostBody(a *trace.Attempt) bool {
	return a.Size == 0 || a.Method == "GET" || a.Method == "HEAD"
}

// check 2.6. Each redirecting endpoint answers its first attempt with a
// 3xx, then 200. A 3xx is a failure: its Location is not followed (unless
// the policy follows redirects, and then the event must reach the target
// with its body), and the attempt is retried. A 3xx without Location is
// retried under any policy.
func checkRedirectNotFollowed(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	rs := redirectsOf(v.Frag)
	if len(rs) == 0 {
		return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " needs a redirecting endpoint and a target"}
	}
	var hard, soft collector
	var followed, notRetried []string
	redirected, pending := 0, 0
	deliveries := v.Deliveries()
	for _, r := range rs {
		var target []*trace.Attempt
		for _, a := range v.Attempts {
			if r.To != "" && a.Endpoint == r.To {
				target = append(target, a)
			}
		}
		for _, d := range deliveries {
			if d.Endpoint != r.From {
				continue
			}
			i := slices.IndexFunc(d.Attempts, func(a *trace.Attempt) bool {
				return a.Status >= 300 && a.Status < 400 && a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) == 0
			})
			if i < 0 {
				continue
			}
			a := d.Attempts[i]
			if p.IsSuccess(a.Status) {
				continue // the policy counts this 3xx as delivered
			}
			redirected++
			retried := i+1 < len(d.Attempts)
			code := fmt.Sprintf("%d", a.Status)
			if r.To == "" {
				code += " without Location"
			}
			if len(target) > 0 {
				how := howFollowed(target[0])
				followed = append(followed, fmt.Sprintf("%d → %s", a.Status, how))
				obs := fmt.Sprintf("followed to %s: %s, answered %d", r.To, how, target[0].Status)
				if !retried {
					obs += fmt.Sprintf("; no retry at %s", r.From)
				}
				switch {
				case p.Redirects == "follow" && !lostBody(target[0]):
				case p.Redirects == "follow" || lostBody(target[0]) && !retried:
					// A follow policy promises the event at the target, body
					// and all; under any policy, a follow that dropped the
					// body with no retry at the source lost the event.
					hard.fail(evidence(d, fmt.Sprintf("the %d followed with the event's body, or retried", a.Status), obs))
				default:
					soft.fail(evidence(d, fmt.Sprintf("a %d is a failure: not followed, retried", a.Status), obs))
				}
				continue
			}
			if r.To != "" && p.Redirects == "follow" {
				hard.fail(evidence(d, fmt.Sprintf("the %d followed to %s, as the policy declares", a.Status, r.To), "nothing reached "+r.To+": "+outcomes(d.Attempts)))
				continue
			}
			if retried {
				continue
			}
			due, ok := retryDue(p, d.Attempts[0], a, i+1, sc.Slack)
			switch {
			case !ok:
				continue // the policy's last attempt
			case due > v.Frag.EndNs:
				pending++
				continue
			}
			notRetried = append(notRetried, code)
			hard.fail(evidence(d, fmt.Sprintf("a %s is a failure, retried by %d ms", code, due/1e6), "no further attempt after the "+code+": it counted as delivered, or was never retried"))
		}
	}
	if redirected == 0 {
		return Result{Verdict: Skip, Summary: "no attempt was answered with a 3xx"}
	}
	var parts []string
	if len(followed) > 0 {
		parts = append(parts, "followed "+strings.Join(followed, ", "))
	}
	if len(notRetried) > 0 {
		parts = append(parts, "not retried: "+strings.Join(notRetried, ", "))
	}
	detail := strings.Join(parts, "; ")
	count := &Count{Bad: hard.bad + soft.bad, Total: redirected, Unit: UnitDeliveries}
	switch {
	case hard.bad > 0:
		return Result{Verdict: Fail, Summary: fmt.Sprintf("%d of %d 3xx answers mishandled: %s", hard.bad+soft.bad, redirected, detail), Evidence: append(hard.ev, soft.ev...), Count: count}
	case soft.bad > 0:
		count.Bad = soft.bad
		return Result{Verdict: declared(p.Redirects == "fail"), Summary: fmt.Sprintf("%d of %d 3xx answers followed: %s", soft.bad, redirected, detail), Evidence: soft.ev, Count: count}
	case pending > 0:
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the fragment ended before the retries of %d 3xx answer(s) were due", pending)}
	case p.Redirects == "follow":
		return Result{Verdict: Pass, Summary: fmt.Sprintf("%d 3xx answers: redirects followed with the body as the policy declares, the rest retried", redirected), Count: count}
	}
	return Result{Verdict: Pass, Summary: fmt.Sprintf("%d 3xx answers (%s) treated as failures: nothing followed, each retried", redirected, statusList(rs)), Count: count}
}

func statusList(rs []Redirect) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%d", r.Status)
		if r.To == "" {
			parts[i] += " without Location"
		}
	}
	return strings.Join(parts, ", ")
}

// check 2.7. Under a retry window, an event must keep retrying until the
// window closes (or the fragment stops watching) and send nothing after.
func checkMaxAttempts(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	c := newCollector(UnitDeliveries)
	pending := 0
	mixed := 0
	closed, open := 0, 0
	want := fmt.Sprintf("exactly %d attempts (max_attempts)", p.MaxAttempts)
	if p.RetryWindow > 0 {
		want = fmt.Sprintf("retries until the retry window (%s after the first attempt) closes", p.RetryWindow)
		if !p.Unlimited() {
			want = fmt.Sprintf("retries until %d attempts (max_attempts) or the retry window (%s) closes", p.MaxAttempts, p.RetryWindow)
		}
	}
	for _, d := range v.Deliveries() {
		if slicesAnyDelivered(p, d.Attempts) {
			continue // the fragment's endpoint always fails; ignore oddities
		}
		if len(msgIDs(d.Attempts)) > 1 {
			mixed++ // several provider messages for one event: 7.1 reports it
			continue
		}
		n := len(d.Attempts)
		if k, late := pastWindow(p, d.Attempts, sc.Slack); k > 0 {
			c.total++
			c.fail(evidence(d, fmt.Sprintf("no attempt later than %s after the first (retry_window)", p.RetryWindow),
				fmt.Sprintf("attempt %d came %s after the first, %s after the window closed; %d attempts in all", k+1, ms(d.Attempts[k].ArrivalNs-d.Attempts[0].ArrivalNs), ms(late), n)))
			continue
		}
		switch {
		case !p.Unlimited() && n == p.MaxAttempts:
			c.total++
		case !p.Unlimited() && n > p.MaxAttempts:
			c.total++
			c.fail(evidence(d, want, fmt.Sprintf("%d attempts", n)))
		default:
			last := d.Attempts[n-1]
			due, ok := retryDue(p, d.Attempts[0], last, n, sc.Slack)
			switch {
			case !ok && p.RetryWindow > 0:
				c.total++
				closed++
				continue
			case ok && due > v.Frag.EndNs && p.RetryWindow > 0 && n > 1:
				c.total++ // retrying as long as the fragment watched
				open++
				continue
			case ok && due > v.Frag.EndNs:
				pending++
				continue
			}
			c.total++
			obs := fmt.Sprintf("%d attempt(s), then no attempt within %s%s", n, ms(v.Frag.EndNs-attemptEnd(last)), declaredRetry(p, n))
			if end, ok := windowEnd(p, d.Attempts[0]); ok {
				obs += fmt.Sprintf(", %s before the retry window closed", ms(end-attemptEnd(last)))
			}
			c.fail(evidence(d, want, obs))
		}
	}
	if c.total == 0 && pending > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the fragment ended before %d event(s) used all their attempts", pending)}
	}
	if c.total == 0 && mixed > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("every failing event arrived under several message ids (%d, see 7.1): attempts cannot be counted per message", mixed)}
	}
	pass := fmt.Sprintf("each made exactly %d attempts", p.MaxAttempts)
	if p.RetryWindow > 0 {
		pass = fmt.Sprintf("%d retried until the retry window (%s) closed, %d were still retrying when the fragment ended; none retried after the window", closed, p.RetryWindow, open)
		if n := c.total - closed - open; n > 0 {
			pass = fmt.Sprintf("%d made all %d attempts, ", n, p.MaxAttempts) + pass
		}
	}
	return c.result(Fail, "permanently failing events", pass)
}

// pastWindow returns the index of the first attempt that came after the
// retry window closed, and by how much (0, 0 when none did or the policy
// declares no window). The retry was due inside the window, so it may be
// as late as any retry: lateSlack of its delay.
func pastWindow(p *policy.Policy, as []*trace.Attempt, slack time.Duration) (int, int64) {
	end, ok := windowEnd(p, as[0])
	if !ok {
		return 0, 0
	}
	for k := 1; k < len(as); k++ {
		hi := time.Duration(0)
		if d, ok := p.Backoff.Nominal(k); ok {
			_, hi = p.Backoff.Band(d)
		}
		hi = max(hi, retryAfterWait(p, as[k-1]))
		if late := as[k].ArrivalNs - end; late > lateSlack(slack, hi) {
			return k, late
		}
	}
	return 0, 0
}

// declaredRetry names the delay the policy declares before retry n, for
// evidence: " (retry 3 is declared after 1.8s..2.2s)".
func declaredRetry(p *policy.Policy, n int) string {
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

func slicesAnyDelivered(p *policy.Policy, as []*trace.Attempt) bool {
	for _, a := range as {
		if delivered(p, a) {
			return true
		}
	}
	return false
}
