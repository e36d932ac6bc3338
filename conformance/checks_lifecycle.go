package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookbench/hookbench/trace"
)

// goneVerdict is the verdict for a breach of the 410 rule under the policy.
func goneVerdict(p *Policy) (Verdict, bool) {
	switch p.Gone {
	case "retry":
		return Info, false
	case "disable":
		return Fail, true
	}
	return Warn, true
}

// check 8.1
func checkGoneNotRetried(_ *trace.Trace, p *Policy, sc *Scope) Result {
	var c collector
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
func checkGoneDisables(_ *trace.Trace, p *Policy, sc *Scope) Result {
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
	var c collector
	c.total = len(after)
	if !v.HasIDs() {
		n := 0
		for _, a := range v.Attempts {
			if a.ArrivalNs > gone+int64(sc.Slack) {
				n++
			}
		}
		if n > 0 {
			c.fail(Evidence{Endpoint: v.Frag.Endpoints[0], Expected: "no delivery after the endpoint answered 410", Observed: fmt.Sprintf("%d attempt(s) arrived later", n)})
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

// check 8.3
func checkDeletedGetsNothing(_ *trace.Trace, _ *Policy, sc *Scope) Result {
	v := sc.Main()
	if len(v.Sent) == 0 {
		return Result{Verdict: Skip, Summary: "no event was triggered after the endpoint was deleted"}
	}
	var c collector
	c.total = len(v.Sent)
	for _, d := range v.Deliveries() {
		c.fail(evidence(d, "nothing: the endpoint was deleted before the event", fmt.Sprintf("%d attempt(s): %s", len(d.Attempts), outcomes(d.Attempts))))
	}
	return c.result(Fail, "events triggered after the deletion", "none delivered")
}

// payloadKept reports whether a delivered body carries the triggered
// payload byte for byte: equal, or verbatim inside an envelope.
func payloadKept(body []byte, payload string) bool {
	return bytes.Equal(body, []byte(payload)) || bytes.Contains(body, []byte(payload))
}

// fidelity judges the delivered bodies of the attempts chosen by pick.
func fidelity(v *View, pick func(i int) bool, what string) Result {
	if len(v.Frag.Payloads) == 0 {
		return Result{Verdict: Skip, Summary: "fragment " + v.Frag.ID + " recorded no payloads"}
	}
	payloads := map[string]string{}
	for _, pl := range v.Frag.Payloads {
		payloads[pl.EventID] = pl.Body
	}
	var c collector
	bodies := 0
	for _, d := range v.Deliveries() {
		pl, ok := payloads[d.EventID]
		if !ok {
			continue
		}
		for i, a := range d.Attempts {
			if !pick(i) {
				continue
			}
			if len(a.Body) == 0 && a.Size > 0 {
				continue
			}
			bodies++
			c.total++
			if !payloadKept(a.Body, pl) {
				c.fail(evidence(d, "the payload byte for byte: "+clip(pl), fmt.Sprintf("attempt %d: %s%s", i+1, clip(string(a.Body)), lostDetail(a.Body, pl))))
			}
		}
	}
	if bodies == 0 && c.total == 0 {
		return Result{Verdict: Skip, Summary: "the sink kept no bodies for " + what}
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
func checkPayloadFidelity(_ *trace.Trace, _ *Policy, sc *Scope) Result {
	return fidelity(sc.Main(), func(i int) bool { return i == 0 }, "first deliveries")
}

// check 9.2
func checkPayloadFidelityOnRetry(_ *trace.Trace, _ *Policy, sc *Scope) Result {
	r := fidelity(sc.Main(), func(i int) bool { return i > 0 }, "retried deliveries")
	if r.Verdict == Skip && strings.HasPrefix(r.Summary, "nothing observed") {
		r.Summary = "no event was retried in this fragment (see 2.x)"
	}
	return r
}

// check 9.3. Only a type the provider added counts: a header (the sink
// reads X-Event-Type, ce-type and others, or the one it was told) or a
// member of an envelope around the triggered payload. The suite's payloads
// name no type; a trace whose payloads do cannot tell a relayed body from
// an envelope.
func checkEventTypeNamed(_ *trace.Trace, _ *Policy, sc *Scope) Result {
	v := sc.Main()
	for _, pl := range v.Frag.Payloads {
		var top map[string]json.RawMessage
		if json.Unmarshal([]byte(pl.Body), &top) == nil && top["type"] != nil {
			return Result{Verdict: Skip, Summary: "the triggered payloads name their type themselves: a provider relaying them unchanged cannot be told from one that names the type"}
		}
	}
	sent := v.SentByID()
	var c collector
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
