package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// macBroken reports a signature the consumer must reject for its MAC or form
// (timestamp problems are judged by 6.3 and 6.4).
func macBroken(s trace.SigResult) bool {
	switch s {
	case trace.SigMissing, trace.SigMalformed, trace.SigNoKnownVer, trace.SigMismatch:
		return true
	}
	return false
}

// sigBroken is macBroken, except that a mismatch is no evidence when the
// sink could not know the provider's secret.
func sigBroken(v *View, s trace.SigResult) bool {
	return macBroken(s) && !(v.Frag.SecretUnknown && s == trace.SigMismatch)
}

// unsignedPolicy is 6.1's verdict on a policy that signs nothing. Only 6.1
// gives it: the other signature checks SKIP, so one finding is reported once.
var unsignedPolicy = Result{Verdict: Warn, Summary: "the policy declares no signature scheme: consumers cannot authenticate deliveries"}

// unsigned reports why signature checks cannot judge a set of views, "" when
// they can.
func unsigned(p *policy.Policy, vs []*View) (Result, bool) {
	if !p.Signed() {
		return Result{Verdict: Skip, Summary: "the policy declares no signature scheme (see 6.1)"}, true
	}
	n, none := 0, 0
	for _, v := range vs {
		for _, a := range v.Attempts {
			n++
			if a.Sig == trace.SigNone {
				none++
			}
		}
	}
	if n == 0 {
		return Result{Verdict: Skip, Summary: "no attempts reached the fragment's endpoints"}, true
	}
	if none == n {
		return Result{Verdict: Skip, Summary: "the sink verified no signature here (it knew no secret for the endpoint)"}, true
	}
	return Result{}, false
}

// signedInstead says what a provider signed instead of the raw bytes it
// sent, as the sink diagnosed a mismatch; "" when it could not tell.
func signedInstead(v trace.SigVariant) string {
	switch v {
	case trace.SigCompactJSON:
		return "the JSON with whitespace removed"
	case trace.SigHTMLEscapedJSON:
		return `the JSON with <, > and & escaped as \u003c, \u003e and \u0026`
	case trace.SigCompactHTMLJSON:
		return "the JSON with whitespace removed and <, > and & escaped (a raw JSON value marshalled again)"
	case trace.SigReencodedJSON:
		return "the JSON parsed and serialised again in the same key order (numbers and escapes normalised)"
	case trace.SigSortedJSON:
		return "the JSON serialised again with keys sorted and numbers normalised"
	case trace.SigSortedHTMLJSON:
		return "the JSON serialised again with keys sorted, numbers normalised and <, > and & escaped"
	case trace.SigNoTrailingNewline:
		return "the body without its trailing newline"
	case trace.SigTrailingNewline:
		return "the body with a newline appended"
	case trace.SigTimestampFormat:
		return "the body with the timestamp in another unit or format than the one sent"
	case trace.SigOtherTimestamp:
		return "the body with a timestamp other than the one sent"
	}
	return ""
}

// commonVariant returns the variant most attempts were diagnosed with.
func commonVariant(as []*trace.Attempt) trace.SigVariant {
	var n [256]int
	best := trace.SigVariantNone
	for _, a := range as {
		if a.Sig != trace.SigMismatch || a.SigVariant == trace.SigVariantNone {
			continue
		}
		n[a.SigVariant]++
		if n[a.SigVariant] > n[best] || best == trace.SigVariantNone {
			best = a.SigVariant
		}
	}
	return best
}

func sigEvidence(v *View, a *trace.Attempt, expected string) Evidence {
	e := Evidence{EventID: a.EventID, MsgID: a.MsgID, Endpoint: a.Endpoint, Expected: expected, Observed: "signature " + a.Sig.String(), TimesMs: []int64{a.ArrivalNs / 1e6}}
	if d := signedInstead(a.SigVariant); d != "" && a.Sig == trace.SigMismatch {
		e.Observed += ", but valid over " + d
	}
	if a.Has(trace.FlagTimestamp) {
		e.Observed += fmt.Sprintf(" (timestamp skew %+d ms)", a.SkewMs)
	}
	return e
}

// check 6.1
func checkSignatureValid(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if !p.Signed() {
		return unsignedPolicy
	}
	if r, stop := unsigned(p, sc.Views); stop {
		return r
	}
	c := newCollector(UnitAttempts)
	weak, unknown := 0, 0
	for _, v := range sc.Views {
		for _, a := range v.Attempts {
			if v.Frag.SecretUnknown && a.Sig == trace.SigMismatch {
				unknown++
				continue
			}
			c.total++
			if sigBroken(v, a.Sig) {
				c.fail(sigEvidence(v, a, "a valid "+p.Scheme+" signature on every attempt"))
			}
			if a.Sig == trace.SigValidWeak {
				weak++
			}
		}
	}
	if c.total == 0 && unknown > 0 {
		return Result{Verdict: Skip, Summary: fmt.Sprintf("%d signature(s) did not verify, but the provider's secret is unknown to hookbench (the adapter can neither set nor read it)", unknown)}
	}
	r := c.result(Fail, "attempts", "every signature valid")
	if r.Verdict == Fail {
		var all []*trace.Attempt
		for _, v := range sc.Views {
			all = append(all, v.Attempts...)
		}
		if d := signedInstead(commonVariant(all)); d != "" {
			r.Summary += ": the signatures verify over " + d + ", not the bytes sent"
		}
	}
	if r.Verdict == Pass && weak > 0 {
		r.Verdict = Warn
		r.Summary = fmt.Sprintf("%d of %d attempts signed with a weak algorithm (HMAC-SHA1)", weak, c.total)
		r.Count.Bad = weak
	}
	return r
}

// check 6.2 (fragments: a body whose bytes differ from any re-encoding, then
// the plain signing fragment, which tells the two likely causes apart)
func checkSignatureRawBody(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if r, stop := unsigned(p, sc.Views); stop {
		return r
	}
	raw := sc.Views[0]
	if raw.Frag.SecretUnknown {
		return Result{Verdict: Skip, Summary: "the provider's signing secret is unknown to hookbench: a mismatch cannot be attributed"}
	}
	plainBroken := false
	for _, v := range sc.Views[1:] {
		for _, a := range v.Attempts {
			plainBroken = plainBroken || macBroken(a.Sig)
		}
	}
	c := newCollector(UnitAttempts)
	for _, a := range raw.Attempts {
		c.total++
		if macBroken(a.Sig) {
			c.fail(sigEvidence(raw, a, "a signature over the raw bytes sent (the body has unusual key order, spacing and number forms)"))
		}
	}
	r := c.result(Fail, "attempts with a non-canonical body", "signed over the raw bytes")
	if r.Verdict == Fail {
		if d := signedInstead(commonVariant(raw.Attempts)); d != "" {
			r.Summary = "the signature covers " + d + ", not the bytes sent (" + r.Summary + ")"
			return r
		}
		if plainBroken {
			r.Summary += ": signatures fail on plain bodies too (see 6.1), so the cause may be the key, the MAC or a re-encoding"
		} else {
			r.Summary += ": signatures are valid on canonical bodies only, so the provider signs a re-encoding"
		}
	}
	return r
}

func timestampCheck(p *policy.Policy, sc *Scope, bad trace.SigResult, expected string) Result {
	if r, stop := unsigned(p, sc.Views); stop {
		return r
	}
	c := newCollector(UnitAttempts)
	c.every()
	stamped := 0
	for _, v := range sc.Views {
		for _, a := range v.Attempts {
			c.total++
			if a.Has(trace.FlagTimestamp) {
				stamped++
			}
			if a.Sig == bad {
				c.fail(sigEvidence(v, a, expected))
			}
		}
	}
	if stamped == 0 && c.bad == 0 {
		return Result{Verdict: Skip, Summary: "the scheme carries no signed timestamp (" + p.Scheme + ")"}
	}
	return c.result(Fail, "attempts", "timestamps within tolerance")
}

// check 6.3
func checkTimestampNotStale(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return timestampCheck(p, sc, trace.SigStale, fmt.Sprintf("a signed timestamp no older than the tolerance (%s)", tolerance(p)))
}

// check 6.4
func checkTimestampNotFuture(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	return timestampCheck(p, sc, trace.SigFuture, fmt.Sprintf("a signed timestamp no further ahead than the tolerance (%s)", tolerance(p)))
}

func tolerance(p *policy.Policy) time.Duration {
	if p.Tolerance > 0 {
		return p.Tolerance
	}
	return 300 * time.Second
}

// replayable lists schemes whose signature covers only the body.
var replayable = map[string]bool{"github": true, "github-sha1": true, "shopify": true}

// check 6.5
func checkReplayResistance(_ *trace.Trace, p *policy.Policy, _ *Scope) Result {
	switch {
	case !p.Signed():
		return Result{Verdict: Info, Summary: "deliveries are unsigned: anyone who knows the URL can forge or replay them"}
	case replayable[p.Scheme]:
		return Result{Verdict: Info, Summary: "replayable: scheme " + p.Scheme + " signs only the body, so a captured delivery verifies at any time; consumers must deduplicate by delivery id"}
	case p.Scheme == "generic":
		return genericReplay(p)
	}
	return Result{Verdict: Info, Summary: fmt.Sprintf("scheme %s signs a timestamp (tolerance %s) and a message id: replays outside the window are rejected, inside it consumers dedupe by id", p.Scheme, tolerance(p))}
}

// genericReplay judges the generic scheme from its options: only a
// timestamp inside the signed template bounds a replay.
func genericReplay(p *policy.Policy) Result {
	tmpl := p.SchemeOption("template")
	hasTS := p.SchemeOption("timestamp_header") != "" || p.SchemeOption("timestamp_param") != ""
	if tmpl == "" && p.SchemeOption("timestamp_param") != "" {
		tmpl = "{timestamp}.{body}" // the parameter form's default
	}
	if !hasTS || !strings.Contains(tmpl, "{timestamp}") {
		return Result{Verdict: Info, Summary: "replayable: the generic signature covers no timestamp, so a captured delivery verifies at any time; consumers must deduplicate by delivery id"}
	}
	if !strings.Contains(tmpl, "{id}") {
		return Result{Verdict: Info, Summary: fmt.Sprintf("generic scheme signs a timestamp (tolerance %s) but no message id: replays outside the window are rejected, inside it consumers must deduplicate by an id in the body", tolerance(p))}
	}
	return Result{Verdict: Info, Summary: fmt.Sprintf("generic scheme signs a timestamp (tolerance %s) and a message id: replays outside the window are rejected, inside it consumers dedupe by id", tolerance(p))}
}

// check 6.6
func checkFreshTimestamp(_ *trace.Trace, p *policy.Policy, sc *Scope) Result {
	if r, stop := unsigned(p, sc.Views); stop {
		return r
	}
	const resolution = 1000 // ms: signed timestamps are whole seconds
	c := newCollector(UnitAttempts)
	stamped := 0
	for _, d := range sc.Main().Deliveries() {
		var first *trace.Attempt
		for _, a := range d.Attempts {
			if !a.Has(trace.FlagTimestamp) {
				continue
			}
			stamped++
			if first == nil {
				first = a
				continue
			}
			elapsed := (a.ArrivalNs - first.ArrivalNs) / 1e6
			if elapsed < 3*resolution {
				continue
			}
			c.total++
			if drift := first.SkewMs - a.SkewMs; drift > max(3*resolution/2, elapsed/2) {
				c.fail(evidence(d, "each attempt signed with a fresh timestamp (skew stays constant)", fmt.Sprintf("skew %+d ms on the first attempt, %+d ms %d ms later: the timestamp was reused", first.SkewMs, a.SkewMs, elapsed)))
			}
		}
	}
	if stamped == 0 {
		return Result{Verdict: Skip, Summary: "the scheme carries no signed timestamp (" + p.Scheme + ")"}
	}
	if c.total == 0 {
		return Result{Verdict: Skip, Summary: "no retry came 3 s or more after its first attempt: whole-second timestamps cannot show reuse"}
	}
	return c.result(Fail, "retries 3 s+ after their first attempt", "timestamps fresh")
}
