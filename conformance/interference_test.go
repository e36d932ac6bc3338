package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

const gaveUp = trace.FlagAborted | trace.FlagProviderGaveUp

// lateBackoff is a backoff fragment (closed at 3 s) whose four events' last
// retries come at 5 s, far past their band; with holder, the timeout
// fragment beside it held an attempt from 2 s to 4.5 s meanwhile.
func lateBackoff(holder bool, mods ...func(*Fragment)) *trace.Trace {
	fb := Fragment{}
	ft := Fragment{FailFirst: 1}
	for _, m := range mods {
		m(&fb)
		m(&ft)
	}
	b := newTB().frag(FragBackoff, fb, 0, 3000).frag(FragTimeout, ft, 0, 6000)
	for i := 1; i <= 4; i++ {
		ev := fmt.Sprintf("%s/%d", FragBackoff, i)
		b.sent(ev, 5)
		b.seq("/f/"+FragBackoff, ev, []int64{10, 110, 510, 5000}, []int{500})
	}
	if holder {
		b.sent("timeout/1", 1990)
		b.att("/f/"+FragTimeout, "timeout/1", "msg_t1", 2000, 0, handle(2500), flags(gaveUp))
		b.att("/f/"+FragTimeout, "timeout/1", "msg_t1", 4600, 200)
	}
	return b.trace()
}

// cutTimeoutOK is a timeout-ok fragment whose attempt the provider cut
// after 50 ms (well before the 200 ms timeout), at 150 ms; with change, a
// fragment (owner) changed endpoints from 120 to 140 ms.
func cutTimeoutOK(owner string) *trace.Trace {
	b := newTB().frag(FragTimeoutOK, Fragment{}, 0, 2000).frag(FragTimeout, Fragment{}, 0, 2000).frag(FragDelete, Fragment{}, 0, 2000)
	b.sent("timeout-ok/1", 90)
	b.att("/f/"+FragTimeoutOK, "timeout-ok/1", "msg_1", 100, 0, handle(50), flags(gaveUp))
	if owner != "-" {
		b.tr.Marks = append(b.tr.Marks,
			trace.Mark{AtNs: 120 * msNs, Type: ConfigMark, Name: owner, Detail: "delete endpoint /f/delete"},
			trace.Mark{AtNs: 140 * msNs, Type: ConfigEndMark, Name: owner})
	}
	return b.trace()
}

// heldAtClose is a retry-5xx fragment (open from start for 3 s) whose one
// event was answered 500 10 ms in and never retried; from..to is when the
// timeout fragment beside it held an attempt (none when from < 0).
func heldAtClose(start, from, to int64) *trace.Trace {
	b := newTB().frag(FragRetry5xx, Fragment{FailFirst: 1}, start, start+3000).frag(FragTimeout, Fragment{FailFirst: 1}, 0, 6000)
	b.sent(FragRetry5xx+"/1", start+5)
	b.att("/f/"+FragRetry5xx, FragRetry5xx+"/1", "msg_1", start+10, 500)
	if from >= 0 {
		b.sent("timeout/1", from-10)
		b.att("/f/"+FragTimeout, "timeout/1", "msg_t1", from, 0, handle(to-from), flags(gaveUp))
	}
	return b.trace()
}

func TestInterference(t *testing.T) {
	own := func(f *Fragment) { f.OwnProvider = true }
	cases := []struct {
		name  string
		tr    *trace.Trace
		check string
		// want is the verdict; seen a phrase of the interference found in
		// the fragment the check reads ("" = none found).
		want Verdict
		frag string
		seen string
	}{
		{"late behind a hang", lateBackoff(true), "3.1", Skip, FragBackoff,
			"4 deliveries for this fragment arrived after it closed while fragment timeout held the provider (answers held up to 2.5s)"},
		{"late without anyone holding the provider", lateBackoff(false), "3.1", Fail, FragBackoff, ""},
		{"late, each fragment with a provider of its own", lateBackoff(true, own), "3.1", Fail, FragBackoff, ""},
		{"cut while another fragment changed endpoints", cutTimeoutOK(FragDelete), "5.3", Skip, FragTimeoutOK,
			"the provider cut off 1 attempt while fragment delete changed endpoints (delete endpoint /f/delete)"},
		{"cut while the suite changed endpoints", cutTimeoutOK(""), "5.3", Skip, FragTimeoutOK, "while the suite changed endpoints"},
		{"cut while it changed its own endpoints", cutTimeoutOK(FragTimeoutOK), "5.3", Fail, FragTimeoutOK, ""},
		{"cut with no change of endpoints", cutTimeoutOK("-"), "5.3", Fail, FragTimeoutOK, ""},
		// A retry stuck behind a hang past the end of the run never shows.
		{"provider held when it stopped waiting", heldAtClose(0, 2000, 4500), "2.1", Skip, FragRetry5xx,
			"fragment timeout held the provider (an answer held for 2.5s) while this fragment waited for deliveries"},
		{"provider held while it waited", heldAtClose(0, 1000, 2000), "2.1", Skip, FragRetry5xx, "while this fragment waited"},
		{"provider held before it began", heldAtClose(2500, 1000, 2000), "2.1", Fail, FragRetry5xx, ""},
		{"provider held only briefly while it waited", heldAtClose(0, 2800, 3400), "2.1", Fail, FragRetry5xx, ""},
		{"provider never held", heldAtClose(0, -1, 0), "2.1", Fail, FragRetry5xx, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inter, err := DetectInterference(c.tr)
			if err != nil {
				t.Fatal(err)
			}
			in := inter[c.frag]
			switch {
			case c.seen == "" && in != nil:
				t.Errorf("interference found: %s", in)
			case c.seen != "" && in == nil:
				t.Errorf("no interference found, want %q", c.seen)
			case c.seen != "" && !strings.Contains(in.String(), c.seen):
				t.Errorf("interference %q, want it to say %q", in, c.seen)
			}
			r := runOne(t, c.check, c.tr, testPolicy())
			if r.Verdict != c.want {
				t.Fatalf("%s: verdict %s, want %s: %s", c.check, r.Verdict, c.want, r.Summary)
			}
			if c.want == Skip && (!strings.Contains(r.Summary, c.seen) || !strings.Contains(r.Summary, "it would have been FAIL")) {
				t.Errorf("summary does not say what was seen and what the verdict would have been: %s", r.Summary)
			}
		})
	}
}

// Content checks judge what arrived, which a neighbour does not change.
func TestUnjudgedKeepsContentVerdicts(t *testing.T) {
	inter := map[string]*Interference{FragSign: {Fragment: FragSign, Cut: 1, Change: "teardown"}}
	fail := Result{Verdict: Fail, Summary: "bad"}
	for _, c := range []struct {
		id   string
		want Verdict
	}{{"6.1", Fail}, {"1.1", Skip}, {"9.1", Fail}} {
		got := unjudged(&Check{ID: c.id, Fragments: []string{FragSign}}, fail, inter)
		if got.Verdict != c.want {
			t.Errorf("%s: %s, want %s (%s)", c.id, got.Verdict, c.want, got.Summary)
		}
	}
	pass := Result{Verdict: Pass, Summary: "fine"}
	if got := unjudged(&Check{ID: "1.1", Fragments: []string{FragSign}}, pass, inter); got.Verdict != Pass {
		t.Errorf("a PASS became %s", got.Verdict)
	}
}

// Attempts after a fragment's teardown began are not evidence of its retry
// schedule, but a retry that must never come is one whenever it comes.
func TestTeardownTrimsRetryEvidence(t *testing.T) {
	backoff := func(teardown bool) *trace.Trace {
		b := newTB().frag(FragBackoff, Fragment{}, 0, 3000)
		for i := 1; i <= 4; i++ {
			ev := fmt.Sprintf("%s/%d", FragBackoff, i)
			b.sent(ev, 5)
			b.seq("/f/"+FragBackoff, ev, []int64{10, 110, 510, 2110}, []int{500})
		}
		// The provider redelivers one event while its endpoint is removed.
		b.att("/f/"+FragBackoff, "backoff/1", "msg_backoff/1", 3100, 500)
		if teardown {
			b.mark(3050, FragmentTeardownMark, FragBackoff)
		}
		return b.trace()
	}
	no4xx := func(teardown bool) *trace.Trace {
		b := newTB().frag(FragNo4xx, Fragment{}, 0, 3000).sent("no-retry-4xx/1", 5).
			seq("/f/"+FragNo4xx, "no-retry-4xx/1", []int64{10, 3100}, []int{400})
		if teardown {
			b.mark(3050, FragmentTeardownMark, FragNo4xx)
		}
		return b.trace()
	}
	cases := []struct {
		name  string
		check string
		tr    *trace.Trace
		want  Verdict
	}{
		{"extra attempt before teardown", "2.7", backoff(false), Fail},
		{"extra attempt after teardown began", "2.7", backoff(true), Pass},
		{"4xx retried, no teardown", "2.5", no4xx(false), Fail},
		{"4xx retried after teardown began", "2.5", no4xx(true), Fail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := runOne(t, c.check, c.tr, testPolicy()); r.Verdict != c.want {
				t.Fatalf("%s: verdict %s, want %s: %s", c.check, r.Verdict, c.want, r.Summary)
			}
		})
	}
}

// A fragment run again (the suite's isolate option) is graded from its
// re-run; the first run's deliveries, late ones included, stay its own.
func TestRerunSupersedes(t *testing.T) {
	b := newTB().frag(FragDeliver, Fragment{}, 0, 1000)
	b.sent("deliver/1", 5).att("/f/deliver", "deliver/1", "m1", 2500, 200) // late, during the re-run
	b.frag(FragDeliver, Fragment{EventPrefix: "deliver/rerun/", Rerun: true}, 2000, 3000)
	b.sent("deliver/rerun/1", 2005).att("/f/deliver", "deliver/rerun/1", "m2", 2010, 200)
	tr := b.trace()
	frags, err := ParseFragments(tr)
	if err != nil {
		t.Fatal(err)
	}
	cur, old := frags[FragDeliver], frags[FragDeliver+"#1"]
	if cur == nil || old == nil || !old.Superseded || cur.Superseded || !cur.Rerun {
		t.Fatalf("fragments: %+v", frags)
	}
	ids := func(v *View) (out []string) {
		for _, a := range v.Attempts {
			out = append(out, a.EventID)
		}
		for _, s := range v.Sent {
			out = append(out, "sent:"+s.EventID)
		}
		return out
	}
	if got := fmt.Sprint(ids(newView(tr, cur, frags))); got != "[deliver/rerun/1 sent:deliver/rerun/1]" {
		t.Errorf("re-run view: %s", got)
	}
	if got := fmt.Sprint(ids(newView(tr, old, frags))); got != "[deliver/1 sent:deliver/1]" {
		t.Errorf("first run's view: %s", got)
	}
	if r := runOne(t, "1.1", tr, testPolicy()); r.Verdict != Pass {
		t.Errorf("1.1: %s: %s", r.Verdict, r.Summary)
	}
}

func FuzzDetectInterference(f *testing.F) {
	f.Add(int64(2000), int64(2500), int64(5000), int64(120), int64(140))
	f.Fuzz(func(t *testing.T, holdAt, holdFor, lateAt, cfgFrom, cfgTo int64) {
		b := newTB().frag(FragBackoff, Fragment{}, 0, 3000).frag(FragTimeout, Fragment{}, 0, 6000)
		b.att("/f/"+FragTimeout, "timeout/1", "t", holdAt, 0, handle(holdFor), flags(gaveUp))
		b.att("/f/"+FragBackoff, "backoff/1", "m", lateAt, 500)
		b.mark(cfgFrom, ConfigMark, "").mark(cfgTo, ConfigEndMark, "")
		inter, err := DetectInterference(b.trace())
		if err != nil {
			t.Fatal(err)
		}
		for id, in := range inter {
			if id != in.Fragment || in.Late+in.Cut == 0 || in.String() == "" {
				t.Fatalf("%s: %+v", id, in)
			}
		}
	})
}
