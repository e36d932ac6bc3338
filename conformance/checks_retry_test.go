package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/policy"
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
				policy: func(p *policy.Policy) { p.MaxAttempts = 1 }, want: Warn},
			{name: "policy lists it as permanent", build: func() *trace.Trace { return oneEvent(c.frag, 5000, []int64{5}, []int{c.status}) },
				policy: func(p *policy.Policy) { p.NoRetry = []int{c.status} }, want: Info},
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
		// The first retry is due 100 ms (+20 % band, + lateness slack 212 ms)
		// after the attempt: a fragment that ended before cannot tell.
		{name: "fragment ended before a retry was due", build: func() *trace.Trace { return oneEvent(FragNo4xx, 60, []int64{5}, []int{400}) }, want: Skip},
		{name: "watched just past the due retry", build: func() *trace.Trace { return oneEvent(FragNo4xx, 400, []int64{5}, []int{400}) }, want: Pass},
		{name: "one endpoint watched too briefly", build: func() *trace.Trace {
			return newTB().frag(FragNo4xx, Fragment{}, 0, 400).sent(FragNo4xx+"/1", 0).
				att("/f/"+FragNo4xx, FragNo4xx+"/1", "m1", 5, 404).att("/f/"+FragNo4xx, FragNo4xx+"/2", "m2", 150, 404).trace()
		}, want: Skip},
		{name: "retried before the fragment ended early", build: func() *trace.Trace { return oneEvent(FragNo4xx, 60, []int64{5, 30}, []int{400}) }, want: Fail},
		{name: "retried", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5, 110}, []int{422}) }, want: Fail},
		{name: "408 is not permanent", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5, 110}, []int{408, 200}) }, want: Skip},
		{name: "policy list", build: func() *trace.Trace { return oneEvent(FragNo4xx, 5000, []int64{5, 110}, []int{404, 200}) },
			policy: func(p *policy.Policy) { p.NoRetry = []int{400} }, want: Skip},
	})
}

// redirectTrace builds the redirect fragment: one event per redirecting
// endpoint (301, 302, 303, 307, 308 with a Location, a 302 without), each
// answered with its 3xx at 5 ms. how says what the provider did next for a
// status (and Location or not): "retry" (200 at the source at 110 ms),
// "get" (a GET without a body reached the target, no retry), "post" (the
// POST with its body reached the target, no retry), "post+retry", or ""
// (nothing: the 3xx counted as delivered). The fragment ends at endMs.
func redirectTrace(endMs int64, method string, how func(status int, location bool) string) *trace.Trace {
	var rs []Redirect
	var eps []string
	for _, st := range []int{301, 302, 303, 307, 308} {
		from := fmt.Sprintf("/f/redirect/%d", st)
		rs = append(rs, Redirect{From: from, Status: st, To: from + "/to"})
		eps = append(eps, from, from+"/to")
	}
	rs = append(rs, Redirect{From: "/f/redirect/no-location", Status: 302})
	eps = append(eps, "/f/redirect/no-location")
	b := newTB().frag(FragRedirect, Fragment{Endpoints: eps, Redirects: rs}, 0, endMs)
	for i, r := range rs {
		ev := fmt.Sprintf("redirect/%d", i+1)
		b.sent(ev, 0).att(r.From, ev, "m"+ev, 5, r.Status)
		switch how(r.Status, r.To != "") {
		case "retry":
			b.att(r.From, ev, "m"+ev, 110, 200)
		case "get":
			b.att(r.To, "", "", 6, 200, func(a *trace.Attempt) { a.Method, a.Size, a.Sig = method, 0, trace.SigMissing })
		case "post", "post+retry":
			b.att(r.To, ev, "m"+ev, 6, 200, func(a *trace.Attempt) { a.Method = "POST" })
			if how(r.Status, true) == "post+retry" {
				b.att(r.From, ev, "m"+ev, 110, 200)
			}
		}
	}
	return b.trace()
}

func TestCheckRedirectNotFollowed(t *testing.T) {
	clean := func(int, bool) string { return "retry" }
	followAsGet := func(st int, loc bool) string {
		if loc && st < 307 {
			return "get"
		}
		return "retry"
	}
	noLocationDelivered := func(_ int, loc bool) string {
		if !loc {
			return ""
		}
		return "retry"
	}
	followAll := func(_ int, loc bool) string {
		if loc {
			return "post"
		}
		return "retry"
	}
	followThenRetry := func(_ int, loc bool) string {
		if loc {
			return "post+retry"
		}
		return "retry"
	}
	tr := func(end int64, method string, how func(int, bool) string) func() *trace.Trace {
		return func() *trace.Trace { return redirectTrace(end, method, how) }
	}
	follow := func(p *policy.Policy) { p.Redirects = "follow" }
	silent := func(p *policy.Policy) { p.Redirects = "" }
	old := func(followed, retried bool) func() *trace.Trace {
		return func() *trace.Trace {
			eps := []string{"/f/redirect", "/f/redirect/target"}
			b := newTB().frag(FragRedirect, Fragment{Endpoints: eps}, 0, 5000).sent("redirect/1", 0).att(eps[0], "redirect/1", "m", 5, 307)
			if followed {
				b.att(eps[1], "redirect/1", "m", 6, 200)
			}
			if retried {
				b.att(eps[0], "redirect/1", "m", 110, 200)
			}
			return b.trace()
		}
	}
	runCases(t, "2.6", []checkCase{
		{name: "every 3xx a failure, retried", build: tr(5000, "GET", clean), want: Pass},
		{name: "301/302/303 followed as GET without the body", build: tr(5000, "GET", followAsGet), want: Fail},
		{name: "followed without the body, method not recorded", build: tr(5000, "", followAsGet), want: Fail},
		{name: "followed as GET, policy silent", build: tr(5000, "GET", followAsGet), policy: silent, want: Fail},
		{name: "3xx without Location counted as delivered", build: tr(5000, "GET", noLocationDelivered), want: Fail},
		{name: "3xx without Location, fragment ended before the retry was due", build: tr(60, "GET", noLocationDelivered), want: Skip},
		{name: "every redirect followed with the body", build: tr(5000, "GET", followAll), want: Fail},
		{name: "followed with the body, then retried, policy silent", build: tr(5000, "GET", followThenRetry), policy: silent, want: Warn},
		{name: "policy follows: followed with the body", build: tr(5000, "GET", followAll), policy: follow, want: Pass},
		{name: "policy follows: followed as GET without the body", build: tr(5000, "GET", followAsGet), policy: follow, want: Fail},
		{name: "policy follows: not followed", build: tr(5000, "GET", clean), policy: follow, want: Fail},
		{name: "policy follows: 3xx without Location counted as delivered", build: tr(5000, "GET", func(st int, loc bool) string {
			if loc {
				return "post"
			}
			return ""
		}), policy: follow, want: Fail},
		{name: "older trace: not followed, retried", build: old(false, true), want: Pass},
		{name: "older trace: followed", build: old(true, false), want: Fail},
		{name: "older trace: followed, policy silent", build: old(true, true), policy: silent, want: Warn},
		{name: "no redirect seen", build: func() *trace.Trace {
			return newTB().frag(FragRedirect, Fragment{Endpoints: []string{"/f/redirect", "/f/redirect/target"}}, 0, 0).sent("redirect/1", 0).trace()
		}, want: Skip},
	})
}

// The evidence says which codes were followed, and how.
func TestCheckRedirectEvidence(t *testing.T) {
	r := runOne(t, "2.6", redirectTrace(5000, "GET", func(st int, loc bool) string {
		switch {
		case loc && st < 307:
			return "get"
		case !loc:
			return ""
		}
		return "retry"
	}), testPolicy())
	for _, want := range []string{"301 → GET without a body", "302 → GET without a body", "303 → GET without a body", "not retried: 302 without Location"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q: %s", want, r.Summary)
		}
	}
	if strings.Contains(r.Summary, "307") || strings.Contains(r.Summary, "308") {
		t.Errorf("summary names a redirect that was handled right: %s", r.Summary)
	}
	if len(r.Evidence) != 4 || !strings.Contains(r.Evidence[0].Observed, "/f/redirect/301/to") {
		t.Errorf("evidence %+v", r.Evidence)
	}
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
