package conformance

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hookbench/hookbench/trace"
)

// CheckCounts verifies the numbers results quote against the trace they
// were computed from. For every result that counts items (Result.Count):
// bad is at most total; total is at most the items of its unit in the
// check's fragments, recounted here from the trace (equal when the check
// counts them all); the summary quotes bad and total as counted; a PASS
// counts no failure and a FAIL at least one. It is how the suite tests its
// own reports: a count that mixes units (attempts counted as events, one
// failed mean counted as one more event) breaks one of these.
func CheckCounts(tr *trace.Trace, rs []Result) error {
	frags, err := ParseFragments(tr)
	if err != nil {
		return err
	}
	byID := map[string]*Check{}
	checks := Checks()
	for i := range checks {
		byID[checks[i].ID] = &checks[i]
	}
	var errs []error
	for i := range rs {
		r := &rs[i]
		n := r.Count
		c := byID[r.ID]
		if n == nil || c == nil {
			continue
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s %s %q: %s", r.ID, r.Verdict, r.Summary, fmt.Sprintf(format, args...)))
		}
		var vs []*View
		for _, name := range c.Fragments {
			if f, ok := frags[name]; ok {
				vs = append(vs, newView(tr, f, frags))
			}
		}
		pop := population(vs, n.Unit)
		switch {
		case n.Bad < 0 || n.Total <= 0:
			bad("counts %d of %d", n.Bad, n.Total)
		case n.Bad > n.Total:
			bad("%d bad of only %d %s", n.Bad, n.Total, n.Unit)
		case n.Total > pop:
			bad("counts %d %s, the trace holds %d in fragments %s", n.Total, n.Unit, pop, strings.Join(c.Fragments, ", "))
		case n.All && n.Total != pop:
			bad("counts %d %s, said to be all of them; the trace holds %d in fragments %s", n.Total, n.Unit, pop, strings.Join(c.Fragments, ", "))
		}
		switch {
		case n.Bad > 0 && !strings.Contains(r.Summary, fmt.Sprintf("%d of %d ", n.Bad, n.Total)):
			bad("the summary does not quote the count %d of %d", n.Bad, n.Total)
		case n.Bad == 0 && r.Verdict == Pass && !quotes(r.Summary, n.Total):
			bad("the summary does not quote the count %d", n.Total)
		}
		switch {
		case r.Verdict == Pass && n.Bad+n.Aggregates > 0:
			bad("PASS with %d bad %s and %d failed aggregates", n.Bad, n.Unit, n.Aggregates)
		case r.Verdict == Fail && n.Bad+n.Aggregates == 0:
			bad("FAIL with nothing counted as bad")
		}
	}
	return errors.Join(errs...)
}

// population counts the items of a unit in some views, independently of
// the checks' own grouping code.
func population(vs []*View, u Unit) int {
	n := 0
	endpoints := map[string]bool{}
	for _, v := range vs {
		switch u {
		case UnitAttempts:
			n += len(v.Attempts)
		case UnitTriggers:
			n += len(v.Sent)
		case UnitExpected:
			acc := 0
			for _, s := range v.Sent {
				if s.DuplicateOf == "" && s.Err == trace.ErrNone && s.Status/100 == 2 {
					acc++
				}
			}
			n += acc * len(v.Frag.Endpoints)
		case UnitEndpoints:
			for _, a := range v.Attempts {
				endpoints[a.Endpoint] = true
			}
		case UnitDeliveries, UnitDelays:
			per := map[string]int{}
			for i, a := range v.Attempts {
				k := a.Endpoint + "\x00"
				switch {
				case a.EventID != "":
					k += "e:" + a.EventID
				case a.MsgID != "":
					k += "m:" + a.MsgID
				default:
					k += fmt.Sprint("#", i)
				}
				per[k]++
			}
			if u == UnitDeliveries {
				n += len(per)
				continue
			}
			for _, k := range per {
				n += k - 1
			}
		}
	}
	return n + len(endpoints)
}

// quotes reports whether a summary states the number n as a word of its own.
func quotes(summary string, n int) bool {
	w := fmt.Sprint(n)
	for f := range strings.FieldsFuncSeq(summary, func(r rune) bool { return r == ' ' || r == '(' || r == ':' || r == ';' }) {
		if f == w {
			return true
		}
	}
	return false
}
