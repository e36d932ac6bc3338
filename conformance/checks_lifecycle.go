package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// goneVerdict is the verdict for a breach of the 410 rule under the policy.
func goneVerdict(p *policy.Policy) (Verdict, bool) {
	switch p.Gone {
	case "retry":
		return Info, false
	case "disable":
		return Fail, true
	}
	return Warn, true
}

// check 8.1
func checkGoneNotRetried(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	c := newCollector(UnitDeliveries)
	for _, d := range sc.Main().Deliveries() {
		for i, a := range d.Attempts {
			if a.Status != 410 || a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) != 0 {
				continue
			}
			c.total++
			if extra := len(d.Attempts) - i - 1; extra > 0 {
				c.fail(evidence(d, "no attempt after 410 Gone", fmt.Sprintf("%d more attempt(s): %s", extra, outcomes(d.Attempts))))
			}
			break
		}
	}
	v, _ := goneVerdict(p)
	r := c.result(v, "410 answers", "none retried")
	if v == Info && r.Verdict == Info {
		r.Summary = "the policy retries 410: " + r.Summary
	}
	return r
}

// check 8.2
func checkGoneDisables(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	gone := int64(-1)
	for _, a := range v.Attempts {
		if a.Status == 410 && a.Flags&(trace.FlagAborted|trace.FlagProviderGaveUp) == 0 {
			if end := a.ArrivalNs + a.HandleNs; gone < 0 || end < gone {
				gone = end
			}
		}
	}
	if gone < 0 {
		return Result{Verdict: Skip, Summary: "no attempt was answered 410"}
	}
	after := map[string]*trace.Sent{}
	for _, s := range v.Originals() {
		if accepted(s) && s.SentNs > gone+int64(sc.Slack) {
			after[s.EventID] = s
		}
	}
	if len(after) == 0 {
		return Result{Verdict: Skip, Summary: "no event was triggered after the first 410"}
	}
	c := newCollector(UnitTriggers)
	c.total = len(after)
	if !v.HasIDs() {
		n := 0
		for _, a := range v.Attempts {
			if a.ArrivalNs > gone+int64(sc.Slack) {
				n++
			}
		}
		// Without ids, each later delivery counts as one event's (at
		// most all of them).
		if n > 0 {
			e := Evidence{Endpoint: v.Frag.Endpoints[0], Expected: "no delivery after the endpoint answered 410", Observed: fmt.Sprintf("%d attempt(s) arrived later", n)}
			c.fail(e)
			c.bad = min(laterDeliveries(v, gone+int64(sc.Slack)), c.total)
		}
	} else {
		for _, d := range v.Deliveries() {
			if after[d.EventID] != nil {
				c.fail(evidence(d, fmt.Sprintf("nothing: the endpoint answered 410 at %d ms, before this event was triggered", gone/1e6), fmt.Sprintf("%d attempt(s): %s", len(d.Attempts), outcomes(d.Attempts))))
			}
		}
	}
	vd, _ := goneVerdict(p)
	return c.result(vd, "events triggered after the 410", "none delivered: the endpoint is disabled")
}

// laterDeliveries counts the view's deliveries with an attempt after t.
func laterDeliveries(v *View, t int64) int {
	n := 0
	for _, d := range v.Deliveries() {
		if slices.ContainsFunc(d.Attempts, func(a *trace.Attempt) bool { return a.ArrivalNs > t }) {
			n++
		}
	}
	return max(n, 1)
}

// check 8.3. Counted per trigger: a trigger whose event arrived (at any
// attempt, at any of the fragment's endpoints) broke the rule. Without
// harness ids, arrivals cannot be matched to triggers: each delivery
// counts as one trigger's, at most all of them.
func checkDeletedGetsNothing(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	if len(v.Sent) == 0 {
		return Result{Verdict: Skip, Summary: "no event was triggered after the endpoint was deleted"}
	}
	c := newCollector(UnitTriggers)
	c.every()
	c.total = len(v.Sent)
	ds := v.Deliveries()
	sent := v.SentByID()
	hit := map[string]bool{}
	for _, d := range ds {
		if c.bad == c.total || hit[d.EventID] && d.EventID != "" {
			continue
		}
		if sent[d.EventID] != nil {
			hit[d.EventID] = true
		}
		c.fail(evidence(d, "nothing: the endpoint was deleted before the event", fmt.Sprintf("%d attempt(s): %s", len(d.Attempts), outcomes(d.Attempts))))
	}
	return c.result(Fail, "events triggered after the deletion", "none delivered")
}

// payloadKept reports whether a delivered body carries the triggered
// payload byte for byte: equal, verbatim inside an envelope, or as the
// exact text of a JSON string member of an envelope (as SNS-style
// envelopes carry a message).
func payloadKept(body []byte, payload string) bool {
	if bytes.Equal(body, []byte(payload)) || bytes.Contains(body, []byte(payload)) {
		return true
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	return inString(doc, payload, 0)
}

// inString reports whether some string inside a decoded JSON value
// contains s (nested at most a few levels).
func inString(v any, s string, depth int) bool {
	if depth > 8 {
		return false
	}
	switch x := v.(type) {
	case string:
		return strings.Contains(x, s)
	case []any:
		for _, e := range x {
			if inString(e, s, depth+1) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if inString(e, s, depth+1) {
				return true
			}
		}
	}
	return false
}

// fidelity judges the delivered bodies of the attempts chosen by pick. An
// attempt is matched to its payload by harness event id; without one (the
// provider moved or escaped the id), by the payload its body carries. A
// body that carries none of the fragment's payloads is a failure too.
func fidelity(v *View, pick func(i int) bool, what, nonePicked string) Result {
	if len(v.Frag.Payloads) == 0 {
		return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " recorded no payloads"}
	}
	payloads := map[string]string{}
	for _, pl := range v.Frag.Payloads {
		payloads[pl.EventID] = pl.Body
	}
	carried := func(body []byte) (string, bool) {
		for _, pl := range v.Frag.Payloads {
			if payloadKept(body, pl.Body) {
				return pl.Body, true
			}
		}
		return "", false
	}
	c := newCollector(UnitAttempts)
	picked, notKept, foreign := 0, 0, 0
	for _, d := range v.Deliveries() {
		for i, a := range d.Attempts {
			if !pick(i) {
				continue
			}
			picked++
			if len(a.Body) == 0 && a.Size > 0 {
				notKept++ // the sink recorded the size, not the bytes
				continue
			}
			pl, ok := payloads[d.EventID]
			if !ok && d.EventID != "" {
				foreign++ // an event the fragment recorded no payload for
				continue
			}
			c.total++
			if !ok {
				if _, found := carried(a.Body); !found {
					c.fail(evidence(d, fmt.Sprintf("one of the %d triggered payloads byte for byte", len(v.Frag.Payloads)), fmt.Sprintf("attempt %d (no harness event id found): %s", i+1, clip(string(a.Body)))))
				}
				continue
			}
			if !payloadKept(a.Body, pl) {
				c.fail(evidence(d, "the payload byte for byte: "+clip(pl), fmt.Sprintf("attempt %d: %s%s", i+1, clip(string(a.Body)), lostDetail(a.Body, pl))))
			}
		}
	}
	if c.total == 0 {
		switch {
		case picked == 0:
			return Result{Verdict: Skip, Summary: nonePicked}
		case notKept > 0:
			return Result{Verdict: Skip, Summary: fmt.Sprintf("the sink recorded sizes but not bodies for the %d %s", notKept, what)}
		}
		return Result{Verdict: Skip, Summary: fmt.Sprintf("none of the %d %s is of an event with a recorded payload", foreign, what)}
	}
	return c.result(Fail, what, "payload bytes kept exactly")
}

// lostDetail names the fidelity failure a reader cares about most.
func lostDetail(body []byte, payload string) string {
	for _, tok := range bigNumbers(payload) {
		if !bytes.Contains(body, []byte(tok)) {
			return " (the integer " + tok + " lost its exact form)"
		}
	}
	return ""
}

// bigNumbers returns the runs of 16+ digits in s (integers float64 cannot hold).
func bigNumbers(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		digit := i < len(s) && s[i] >= '0' && s[i] <= '9'
		if digit && start < 0 {
			start = i
		}
		if !digit && start >= 0 {
			if i-start >= 16 {
				out = append(out, s[start:i])
			}
			start = -1
		}
	}
	return out
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", "\\n")
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// check 9.1
func checkPayloadFidelity(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	return fidelity(sc.Main(), func(i int) bool { return i == 0 }, "first deliveries", "nothing observed: no deliveries in this fragment")
}

// check 9.2
func checkPayloadFidelityOnRetry(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	return fidelity(sc.Main(), func(i int) bool { return i > 0 }, "retried deliveries", "no event was retried in this fragment (see 2.x)")
}

// check 9.3. Only a type the provider added counts: a header (the sink
// reads X-Event-Type, ce-type and others, or the one it was told) or a
// member of an envelope around the triggered payload. The suite's payloads
// name no type; a trace whose payloads do cannot tell a relayed body from
// an envelope.
func checkEventTypeNamed(_ *trace.Trace, _ *policy.Policy, sc *Scope) Result {
	v := sc.Main()
	for _, pl := range v.Frag.Payloads {
		var top map[string]json.RawMessage
		if json.Unmarshal([]byte(pl.Body), &top) == nil && top["type"] != nil {
			return Result{Verdict: Skip, Summary: "the triggered payloads name their type themselves: a provider relaying them unchanged cannot be told from one that names the type"}
		}
	}
	sent := v.SentByID()
	c := newCollector(UnitAttempts)
	c.every()
	for _, d := range v.Deliveries() {
		for i, a := range d.Attempts {
			c.total++
			want := ""
			if s := sent[d.EventID]; s != nil {
				want = s.Type
			}
			switch {
			case a.EventType == "":
				exp := "the event type in a header (X-Event-Type, ce-type, ...) or an envelope around the payload"
				if want != "" {
					exp = "event type " + want + " in a header (X-Event-Type, ce-type, ...) or an envelope around the payload"
				}
				c.fail(evidence(d, exp, fmt.Sprintf("attempt %d named no event type: no type header, and the body has no type member", i+1)))
			case want != "" && a.EventType != want:
				c.fail(evidence(d, "event type "+want, fmt.Sprintf("attempt %d named %q", i+1, a.EventType)))
			}
		}
	}
	return c.result(Fail, "attempts", "each named its event type")
}
