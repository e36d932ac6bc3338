package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// noFormat is the SKIP summary of the CloudEvents checks for a plain
// webhook provider.
const noFormat = "the policy declares no CloudEvents format (format: " + policy.FormatCEBinary + " or " + policy.FormatCEStructured + ")"

// ceAttempts returns the attempts of the views that reached an endpoint
// (not a 404 or an oversized body the sink refused unread).
func ceAttempts(vs []*View) []*trace.Attempt {
	var out []*trace.Attempt
	for _, v := range vs {
		for _, a := range v.Attempts {
			if a.Flags&(trace.FlagNoEndpoint|trace.FlagTooLarge) == 0 {
				out = append(out, a)
			}
		}
	}
	return out
}

// ceMissing names what a delivery lacks for the declared format, "" when
// nothing.
func ceMissing(format string, ce trace.CEAttrs) string {
	var miss []string
	switch {
	case format == policy.FormatCEStructured && !ce.Has(trace.CEStructured):
		miss = append(miss, "Content-Type application/cloudevents+json")
	case format == policy.FormatCEBinary && ce.Has(trace.CEStructured):
		miss = append(miss, "binary mode (got a structured event)")
	}
	prefix := ""
	if !ce.Has(trace.CEStructured) {
		prefix = "ce-"
	}
	for _, r := range []struct {
		bit  trace.CEAttrs
		name string
	}{{trace.CEHasSpecVersion, "specversion 1.0"}, {trace.CEHasID, "id"}, {trace.CEHasSource, "source"}, {trace.CEHasType, "type"}} {
		if !ce.Has(r.bit) {
			miss = append(miss, prefix+r.name)
		}
	}
	return strings.Join(miss, ", ")
}

// check 12.1
func checkCloudEventAttributes(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if !p.CloudEvents() {
		return Result{Verdict: Skip, Summary: noFormat}
	}
	as := ceAttempts(sc.Views)
	c := newCollector(UnitAttempts)
	for _, a := range as {
		if !a.CE.Has(trace.CEChecked) {
			return Result{Verdict: Skip, Summary: "the sink did not inspect CloudEvents at " + a.Endpoint + " (endpoint without cloudevents)"}
		}
		c.total++
		if miss := ceMissing(p.Format, a.CE); miss != "" {
			c.fail(Evidence{EventID: a.EventID, MsgID: a.MsgID, Endpoint: a.Endpoint, TimesMs: []int64{a.ArrivalNs / 1e6},
				Expected: "a " + p.Format + " event with specversion, id, source and type", Observed: "missing " + miss})
		}
	}
	return c.result(Fail, "attempts", "each a complete "+p.Format+" event")
}

// check 12.2
func checkCloudEventIDStable(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if !p.CloudEvents() {
		return Result{Verdict: Skip, Summary: noFormat}
	}
	c := newCollector(UnitDeliveries)
	noID := 0
	for _, v := range sc.Views {
		for _, d := range v.Deliveries() {
			if len(d.Attempts) < 2 || d.EventID == "" {
				continue
			}
			if !slices.ContainsFunc(d.Attempts, func(a *trace.Attempt) bool { return a.CEID != "" }) {
				noID++
				continue
			}
			c.total++
			var ids []string
			seen := map[string]bool{}
			for _, a := range d.Attempts {
				if !seen[a.CEID] {
					seen[a.CEID] = true
					ids = append(ids, a.CEID)
				}
			}
			if len(ids) > 1 {
				c.fail(evidence(d, "the same CloudEvents id on every retry", fmt.Sprintf("%d different ids: %s", len(ids), quoteIDs(ids))))
			}
		}
	}
	switch {
	case c.total == 0 && noID > 0:
		return Result{Verdict: Skip, Summary: fmt.Sprintf("%d retried event(s), none with a CloudEvents id (see 12.1)", noID)}
	case c.total == 0:
		return Result{Verdict: Skip, Summary: "no event was retried in this fragment"}
	}
	return c.result(Fail, "retried events", "one CloudEvents id each")
}

// handshakes returns the handshake marks at endpoint path, in trace order.
func handshakes(tr *trace.Trace, path string) []*trace.Mark {
	var out []*trace.Mark
	for i := range tr.Marks {
		m := &tr.Marks[i]
		if m.Type == trace.HandshakeMark && m.Name == path {
			out = append(out, m)
		}
	}
	return out
}

func granted(m *trace.Mark) bool { return strings.HasPrefix(m.Detail, "allowed") }

// check 12.3
func checkHandshakeFirst(tr *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if !p.CloudEvents() {
		return Result{Verdict: Skip, Summary: noFormat}
	}
	first := map[string]*trace.Attempt{}
	var order []string
	for _, a := range ceAttempts(sc.Views) {
		if f, ok := first[a.Endpoint]; !ok || a.ArrivalNs < f.ArrivalNs {
			if !ok {
				order = append(order, a.Endpoint)
			}
			first[a.Endpoint] = a
		}
	}
	c := newCollector(UnitEndpoints)
	for _, ep := range order {
		a := first[ep]
		c.total++
		// A provider may validate when the endpoint is registered, before
		// the fragment started: every handshake in the trace counts.
		var ok *trace.Mark
		for _, m := range handshakes(tr, ep) {
			if granted(m) && m.AtNs <= a.ArrivalNs {
				ok = m
				break
			}
		}
		if ok == nil {
			obs := "no OPTIONS validation request before it"
			if hs := handshakes(tr, ep); len(hs) > 0 {
				obs = fmt.Sprintf("first validation request at %d ms, after it", hs[0].AtNs/1e6)
			}
			c.fail(Evidence{EventID: a.EventID, MsgID: a.MsgID, Endpoint: ep, TimesMs: []int64{a.ArrivalNs / 1e6},
				Expected: "an OPTIONS request with WebHook-Request-Origin, granted, before the first delivery", Observed: "first delivery at " + fmt.Sprint(a.ArrivalNs/1e6) + " ms with " + obs})
		}
	}
	return c.result(Fail, "endpoints", "validated before the first delivery")
}

// check 12.4
func checkNoDeliveryUnvalidated(tr *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if !p.CloudEvents() {
		return Result{Verdict: Skip, Summary: noFormat}
	}
	v := sc.Main()
	refused := 0
	for _, ep := range v.Frag.Endpoints {
		for _, m := range handshakes(tr, ep) {
			if !granted(m) {
				refused++
			}
		}
	}
	as := ceAttempts(sc.Views)
	if len(as) == 0 {
		if refused == 0 {
			return Result{Verdict: Skip, Summary: "the provider neither asked for permission nor delivered: nothing to judge"}
		}
		return Result{Verdict: Pass, Summary: fmt.Sprintf("%d refused validation request(s), no delivery", refused)}
	}
	c := newCollector(UnitAttempts)
	c.total = len(as)
	for _, a := range as {
		c.fail(Evidence{EventID: a.EventID, MsgID: a.MsgID, Endpoint: a.Endpoint, TimesMs: []int64{a.ArrivalNs / 1e6},
			Expected: "no delivery: the endpoint never granted WebHook-Allowed-Origin",
			Observed: fmt.Sprintf("delivered (status %d) after %d refused validation request(s)", a.Status, refused)})
	}
	return c.result(Fail, "attempts", "")
}
