package conformance

import (
	"strings"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

// oneEvent builds fragment id with one event whose attempts come at ts with
// the given statuses; the fragment ends at endMs (0 = open).
func oneEvent(id string, endMs int64, ts []int64, statuses []int, mods ...func(*trace.Attempt)) *trace.Trace {
	return newTB().frag(id, Fragment{}, 0, endMs).sent(id+"/1", 0).seq("/f/"+id, id+"/1", ts, statuses, mods...).trace()
}

func TestCheckRetryStatuses(t *testing.T) {
	for _, c := range []struct {
		id, frag string
		status   int
	}{{"2.1", FragRetry5xx, 503}, {"2.2", FragRetry408, 408}, {"2.3", FragRetry429, 429}} {
		runCases(t, c.id, []checkCase{
			{name: "retried", build: func() *trace.Trace { return oneEvent(c.frag, 5000, []int64{5, 110}, []int{c.status, 200}) }, want: Pass},
			{name: "not retried", build: func() *trace.Trace { return oneEvent(c.frag, 5000, []int64{5}, []int{c.status}) }, want: Fail},
			{name: "fragment ended too early", build: func() *trace.Trace { return oneEvent(c.frag, 50, []int64{5}, []int{c.status}) }, want: Skip},
			{name: "last attempt of the policy", build: func() *trace.Trace { return oneEvent(c.frag, 5000, []int64{5}, []int{c.status}) },
				policy: func(p *Policy) { p.MaxAttempts = 1 }, want: Warn},
			{name: "policy lists it as permanent", build: func() *trace.Trace { return oneEvent(c.frag, 5000, []int64{5}, []int{c.status}) },
				policy: func(p *Policy) { p.NoRetry = []int{c.status} }, want: Info},
		})
	}
}

func TestCheckRetryConnectionError(t *testing.T) {
	reset := func(a *trace.Attempt) {
		if a.ArrivalNs == 5*msNs {
			a.Status, a.Flags = 0, a.Flags|trace.FlagAborted
		}
	}
	runCases(t, "2.4", []checkCase{
		{name: "retried", build: func() *trace.Trace { return oneEvent(FragRetryReset, 5000, []int64{5, 110}, []int{0, 200}, reset) }, want: Pass},
		{name: "not retried", build: func() *trace.Trace { return oneEvent(FragRetryReset, 5000, []int64{5}, []int{0}, reset) }, want: Fail},
		{name: "no reset happened", build: func() *trace.Trace { return oneEvent(FragRetryReset, 5000, []int64{5}, []int{200}) }, want: Skip},
	})
}

func TestCheckNoRetryPermanent4xx(t *testing.T) {
	runCases(t, "2.5", []checkCase{
		{name: "not retried", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5}, []int{400}) }, want: Pass},
		{name: "retried", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5, 110}, []int{422}) }, want: Fail},
		{name: "408 is not permanent", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5, 110}, []int{408, 200}) }, want: Skip},
		{name: "policy list", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5, 110}, []int{404, 200}) },
			policy: func(p *Policy) { p.NoRetry = []int{400} }, want: Skip},
	})
}

func TestCheckRedirectNotFollowed(t *testing.T) {
	eps := []string{"/f/redirect", "/f/redirect/target"}
	build := func(followed bool) *trace.Trace {
		b := newTB().frag(FragRedirect, Fragment{Endpoints: eps}, 0, 0).sent("redirect/1", 0).att(eps[0], "redirect/1", "m", 5, 307)
		if followed {
			b.att(eps[1], "redirect/1", "m", 6, 200)
		}
		return b.trace()
	}
	runCases(t, "2.6", []checkCase{
		{name: "not followed", build: func() *trace.Trace { return build(false) }, want: Pass},
		{name: "followed", build: func() *trace.Trace { return build(true) }, want: Fail},
		{name: "followed, policy silent", build: func() *trace.Trace { return build(true) }, policy: func(p *Policy) { p.Redirects = "" }, want: Warn},
		{name: "followed as declared", build: func() *trace.Trace { return build(true) }, policy: func(p *Policy) { p.Redirects = "follow" }, want: Pass},
		{name: "declared follow, not followed", build: func() *trace.Trace { return build(false) }, policy: func(p *Policy) { p.Redirects = "follow" }, want: Fail},
		{name: "no redirect seen", build: func() *trace.Trace {
			return newTB().frag(FragRedirect, Fragment{Endpoints: eps}, 0, 0).sent("redirect/1", 0).trace()
		}, want: Skip},
	})
}

func TestCheckMaxAttempts(t *testing.T) {
	nominal := func(i, k int) int64 { return []int64{100, 400, 1600, 1600}[k] }
	runCases(t, "2.7", []checkCase{
		{name: "exactly max", build: func() *trace.Trace { return backoffTrace(3, 4, nominal) }, want: Pass},
		{name: "gave up early", build: func() *trace.Trace {
			tr := backoffTrace(3, 2, nominal)
			tr.Marks = append(tr.Marks, trace.Mark{AtNs: 10000 * msNs, Type: FragmentEndMark, Name: FragBackoff})
			return tr
		}, want: Fail},
		{name: "too many", build: func() *trace.Trace { return backoffTrace(3, 5, nominal) }, want: Fail},
		{name: "fragment ended before the last retry", build: func() *trace.Trace {
			tr := backoffTrace(3, 3, nominal)
			tr.Marks = append(tr.Marks, trace.Mark{AtNs: 600 * msNs, Type: FragmentEndMark, Name: FragBackoff})
			return tr
		}, want: Skip},
	})
}

func TestMissingAttemptEvidenceSaysHowLong(t *testing.T) {
	// The last attempt came at 105 ms; the fragment ended at 10 s: the
	// evidence says how long nothing came, not that the provider "gave up"
	// (it may yet retry, late).
	tr := backoffTrace(3, 2, func(i, k int) int64 { return 100 })
	tr.Marks = append(tr.Marks, trace.Mark{AtNs: 10000 * msNs, Type: FragmentEndMark, Name: FragBackoff})
	r := runOne(t, "2.7", tr, testPolicy())
	if r.Verdict != Fail || len(r.Evidence) == 0 {
		t.Fatalf("verdict %s, want FAIL with evidence", r.Verdict)
	}
	if o := r.Evidence[0].Observed; !strings.Contains(o, "2 attempt(s), then no attempt within 9.89") || !strings.Contains(o, "retry 2 is declared after 320ms..480ms") || strings.Contains(o, "gave up") {
		t.Errorf("observed %q", o)
	}
	r = runOne(t, "2.1", oneEvent(FragRetry5xx, 5000, []int64{5}, []int{503}), testPolicy())
	if o := r.Evidence[0].Observed; !strings.Contains(o, "no attempt within 4.995s after it") {
		t.Errorf("2.1 observed %q", o)
	}
}
