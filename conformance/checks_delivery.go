package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// accepted reports whether the provider's trigger API took the event.
func accepted(s *trace.Sent) bool { return s.Err == trace.ErrNone && s.Status >= 200 && s.Status < 300 }

// triggerFacts says how many triggers a view holds and how many the API refused.
func triggerFacts(v *View) (acc []*trace.Sent, refused int) {
	for _, s := range v.Originals() {
		if accepted(s) {
			acc = append(acc, s)
		} else {
			refused++
		}
	}
	return acc, refused
}

// notAccepted says why triggers were not accepted: answered non-2xx, or
// no answer at all (the trigger could not be rendered or sent).
func notAccepted(v *View) string {
	answered, failed := 0, 0
	for _, s := range v.Originals() {
		switch {
		case accepted(s):
		case s.Err != trace.ErrNone || s.Status == 0:
			failed++
		default:
			answered++
		}
	}
	var parts []string
	if answered > 0 {
		parts = append(parts, fmt.Sprintf("the trigger API answered %d of them non-2xx", answered))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d got no answer (not rendered or not sent; see the fragment's notes)", failed))
	}
	return strings.Join(parts, ", ")
}

// noTriggers is the result when a fragment has nothing to judge.
func noTriggers(v *View, refused int) Result {
	if refused > 0 {
		return Result{Verdict: Fail, Summary: fmt.Sprintf("no event of fragment %s was accepted: %s", v.Frag.ID, notAccepted(v))}
	}
	return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " triggered no events"}
}

// expectation says which endpoints an event must (and must not) reach.
type expectation func(s *trace.Sent, endpoint string) bool

// reachAll expects every event at every endpoint of the fragment.
func reachAll(*trace.Sent, string) bool { return true }

// completeness judges "every accepted event reaches every endpoint it is
// meant for, successfully" (and, with strictTargets, "and no other").
// Without harness ids it compares counts per endpoint.
func completeness(v *View, p *policy.Policy, want expectation, strictTargets bool, what string) Result {
	acc, refused := triggerFacts(v)
	if len(acc) == 0 {
		return noTriggers(v, refused)
	}
	c := newCollector(UnitExpected)
	ds := v.Deliveries()
	if !v.HasIDs() {
		for _, ep := range v.Frag.Endpoints {
			exp := 0
			for _, s := range acc {
				if want(s, ep) {
					exp++
				}
			}
			got := successes(v, p, ep)
			c.total += exp
			if got < exp {
				c.bad += exp - got
				c.ev = append(c.ev, Evidence{Endpoint: ep, Expected: fmt.Sprintf("%d successful deliveries (one per event)", exp), Observed: fmt.Sprintf("%d (deliveries carry no event id: counted)", got)})
			} else if strictTargets && got > exp && len(acc) > exp {
				// Each extra arrival is one (event, endpoint) pair that
				// should not exist: an item of its own, like a missing one.
				extra := min(got-exp, len(acc)-exp)
				c.total += extra
				c.bad += extra
				c.ev = append(c.ev, Evidence{Endpoint: ep, Expected: fmt.Sprintf("%d deliveries", exp), Observed: fmt.Sprintf("%d: events reached an endpoint not subscribed to them", got)})
			}
		}
		return c.result(Fail, what, "all delivered (counted: no event ids)")
	}
	byKey := map[string]*Delivery{}
	for _, d := range ds {
		byKey[d.Endpoint+"\x00"+d.EventID] = d
	}
	for _, s := range acc {
		for _, ep := range v.Frag.Endpoints {
			d := byKey[ep+"\x00"+s.EventID]
			if !want(s, ep) {
				if strictTargets && d != nil {
					c.total++
					c.fail(evidence(d, "no delivery: endpoint not subscribed to type "+s.Type, fmt.Sprintf("%d attempt(s): %s", len(d.Attempts), outcomes(d.Attempts))))
				}
				continue
			}
			c.total++
			switch {
			case d == nil:
				c.fail(Evidence{EventID: s.EventID, Endpoint: ep, Expected: "at least one successful delivery", Observed: fmt.Sprintf("nothing arrived within %s of the trigger (at %d ms)", ms(v.Frag.EndNs-s.SentNs), s.SentNs/1e6)})
			case !slices.ContainsFunc(d.Attempts, func(a *trace.Attempt) bool { return delivered(p, a) }):
				c.fail(evidence(d, "a successful delivery", fmt.Sprintf("%d attempt(s), none succeeded, none within %s after the last: %s", len(d.Attempts), ms(v.Frag.EndNs-attemptEnd(d.Attempts[len(d.Attempts)-1])), outcomes(d.Attempts))))
			}
		}
	}
	r := c.result(Fail, what, "all delivered")
	if refused > 0 {
		r.Summary += fmt.Sprintf(" (the trigger API refused %d more)", refused)
	}
	return r
}

// successes counts the distinct events delivered successfully to an
// endpoint when deliveries carry no harness ids. A message id alone does
// not tell events apart (a provider may reuse one across events): a
// success counts once per message id and body, so a redelivery of the
// same bytes under the same id is one event, two bodies are two.
func successes(v *View, p *policy.Policy, ep string) int {
	seen := map[string]bool{}
	n := 0
	for _, a := range v.Attempts {
		if a.Endpoint != ep || !delivered(p, a) {
			continue
		}
		if a.MsgID != "" {
			k := fmt.Sprintf("%s\x00%x", a.MsgID, a.BodyHash)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		n++
	}
	return n
}

// check 1.1
func checkEveryEventDelivered(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return completeness(sc.Main(), p, reachAll, false, "event deliveries")
}

// check 1.2
func checkNoDeliveryAfterSuccess(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	c := newCollector(UnitDeliveries)
	c.every()
	for _, d := range sc.Main().Deliveries() {
		c.total++
		for i, a := range d.Attempts {
			if delivered(p, a) {
				if extra := len(d.Attempts) - i - 1; extra > 0 {
					c.fail(evidence(d, "no attempt after the first 2xx", fmt.Sprintf("%d more attempt(s) after success: %s", extra, outcomes(d.Attempts))))
				}
				break
			}
		}
	}
	return c.result(Warn, "deliveries", "none redelivered after a 2xx")
}

// check 1.3
func checkFanOut(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if len(v.Frag.Endpoints) < 2 {
		return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " has fewer than two endpoints"}
	}
	return completeness(v, p, reachAll, false, "(event, endpoint) pairs")
}

// check 1.4
func checkEventTypeRouting(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if len(v.Frag.Subscriptions) == 0 {
		return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " declares no subscriptions"}
	}
	subs := map[string][]string{}
	for _, s := range v.Frag.Subscriptions {
		subs[s.Endpoint] = s.Types
	}
	want := func(s *trace.Sent, ep string) bool {
		types, ok := subs[ep]
		return !ok || len(types) == 0 || slices.Contains(types, s.Type)
	}
	return completeness(v, p, want, true, "(event, endpoint) pairs")
}

// check 1.5
func checkDeliveredAfterTransientFailures(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if n := v.Frag.FailFirst; n > 0 && countSpent(p, n) {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("the policy allows %d attempt(s); the fragment fails the first %d", p.MaxAttempts, n)}
	}
	return completeness(v, p, reachAll, false, "events")
}
