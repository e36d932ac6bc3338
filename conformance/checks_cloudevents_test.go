package conformance

import (
	"strings"
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func ce(attrs trace.CEAttrs, id string) func(*trace.Attempt) {
	return func(a *trace.Attempt) { a.CE, a.CEID = attrs|trace.CEChecked, id }
}

const (
	ceBinary     = trace.CEBinary | trace.CERequired
	ceStructured = trace.CEStructured | trace.CERequired | trace.CEHasData
)

func binaryFormat(p *policy.Policy)     { p.Format = policy.FormatCEBinary }
func structuredFormat(p *policy.Policy) { p.Format = policy.FormatCEStructured }

// ceTrace is the cloudevents fragment: two events, each failing once,
// with a granted handshake at hsMs (none when < 0).
func ceTrace(hsMs int64, first, retry func(*trace.Attempt)) func() *trace.Trace {
	noop := func(*trace.Attempt) {}
	if first == nil {
		first = noop
	}
	if retry == nil {
		retry = noop
	}
	return func() *trace.Trace {
		b := newTB().frag(FragCloudEvents, Fragment{FailFirst: 1}, 0, 0)
		if hsMs >= 0 {
			b.tr.Marks = append(b.tr.Marks, trace.Mark{AtNs: hsMs * msNs, Type: trace.HandshakeMark, Name: "/f/cloudevents", Detail: "allowed origin=o"})
		}
		for i, id := range []string{"cloudevents/0", "cloudevents/1"} {
			t := int64(10 + i)
			b.sent(id, t).
				att("/f/cloudevents", id, "msg_"+id, t+1, 503, first).
				att("/f/cloudevents", id, "msg_"+id, t+120, 200, retry)
		}
		return b.trace()
	}
}

func TestCheckCloudEventAttributes(t *testing.T) {
	good := ce(ceBinary, "e")
	runCases(t, "12.1", []checkCase{
		{"binary complete", ceTrace(1, good, good), binaryFormat, Pass},
		{"structured complete", ceTrace(1, ce(ceStructured, "e"), ce(ceStructured, "e")), structuredFormat, Pass},
		{"binary without ce-source on retries", ceTrace(1, good, ce(ceBinary&^trace.CEHasSource, "e")), binaryFormat, Fail},
		{"structured declared, JSON sent as application/json", ceTrace(1, ce(trace.CERequired, "e"), ce(trace.CERequired, "e")), structuredFormat, Fail},
		{"binary declared, structured sent", ceTrace(1, ce(ceStructured, "e"), ce(ceStructured, "e")), binaryFormat, Fail},
		{"specversion 0.3", ceTrace(1, ce(ceBinary&^trace.CEHasSpecVersion, "e"), good), binaryFormat, Fail},
		{"plain webhooks", ceTrace(-1, nil, nil), nil, Skip},
		{"sink did not look", ceTrace(1, nil, nil), binaryFormat, Skip},
	})
}

func TestCheckCloudEventIDStable(t *testing.T) {
	n := 0
	fresh := func(a *trace.Attempt) { n++; a.CE, a.CEID = ceBinary|trace.CEChecked, "id-"+strings.Repeat("x", n) }
	runCases(t, "12.2", []checkCase{
		{"same id", ceTrace(1, ce(ceBinary, "a"), ce(ceBinary, "a")), binaryFormat, Pass},
		{"new id per attempt", ceTrace(1, fresh, fresh), binaryFormat, Fail},
		{"id dropped on retry", ceTrace(1, ce(ceBinary, "a"), ce(ceBinary&^trace.CEHasID, "")), binaryFormat, Fail},
		{"plain webhooks", ceTrace(1, ce(ceBinary, "a"), ce(ceBinary, "a")), nil, Skip},
		{"no id at all (12.1 fails it)", ceTrace(1, ce(0, ""), ce(0, "")), binaryFormat, Skip},
		{"no retry", func() *trace.Trace {
			return newTB().frag(FragCloudEvents, Fragment{}, 0, 0).sent("cloudevents/0", 1).att("/f/cloudevents", "cloudevents/0", "m", 2, 200, ce(ceBinary, "a")).trace()
		}, binaryFormat, Skip},
	})
}

func TestCheckHandshakeFirst(t *testing.T) {
	good := ce(ceBinary, "e")
	runCases(t, "12.3", []checkCase{
		{"handshake first", ceTrace(5, good, good), binaryFormat, Pass},
		{"validated at registration, before the fragment", func() *trace.Trace {
			tr := ceTrace(-1, good, good)()
			tr.Marks = append([]trace.Mark{{AtNs: -5 * msNs, Type: trace.HandshakeMark, Name: "/f/cloudevents", Detail: "allowed origin=o"}}, tr.Marks...)
			return tr
		}, binaryFormat, Pass},
		{"no handshake", ceTrace(-1, good, good), binaryFormat, Fail},
		{"handshake after the first delivery", ceTrace(50, good, good), binaryFormat, Fail},
		{"only a refused handshake", func() *trace.Trace {
			tr := ceTrace(-1, good, good)()
			tr.Marks = append(tr.Marks, trace.Mark{AtNs: 5 * msNs, Type: trace.HandshakeMark, Name: "/f/cloudevents", Detail: "refused origin=o"})
			return tr
		}, binaryFormat, Fail},
		{"plain webhooks", ceTrace(-1, good, good), nil, Skip},
	})
}

func refusedTrace(refused int, delivered bool) func() *trace.Trace {
	return func() *trace.Trace {
		b := newTB().frag(FragHandshakeRefused, Fragment{}, 0, 0).sent("handshake-refused/0", 1)
		for i := range refused {
			b.tr.Marks = append(b.tr.Marks, trace.Mark{AtNs: int64(2+100*i) * msNs, Type: trace.HandshakeMark, Name: "/f/handshake-refused", Detail: "refused origin=o"})
		}
		if delivered {
			b.att("/f/handshake-refused", "handshake-refused/0", "m", 3, 200, ce(ceBinary, "e"))
		}
		return b.trace()
	}
}

func TestCheckNoDeliveryUnvalidated(t *testing.T) {
	runCases(t, "12.4", []checkCase{
		{"refused, nothing delivered", refusedTrace(2, false), binaryFormat, Pass},
		{"refused, delivered anyway", refusedTrace(1, true), binaryFormat, Fail},
		{"never asked, delivered", refusedTrace(0, true), binaryFormat, Fail},
		{"never asked, nothing delivered", refusedTrace(0, false), binaryFormat, Skip},
		{"plain webhooks", refusedTrace(0, true), nil, Skip},
	})
}

// A plain provider never fails a CloudEvents check, whatever its trace.
func TestCloudEventChecksSkipWithoutFormat(t *testing.T) {
	tr := ceTrace(-1, nil, nil)()
	tr.Marks = append(tr.Marks, refusedTrace(0, true)().Marks...)
	p := testPolicy()
	rs, err := Evaluate(tr, &p, Options{Only: []string{"12"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d results", len(rs))
	}
	for _, r := range rs {
		if r.Verdict != Skip || !strings.Contains(r.Summary, "no CloudEvents format") {
			t.Errorf("%s: %s %s", r.ID, r.Verdict, r.Summary)
		}
	}
}

func TestPolicyFormat(t *testing.T) {
	for _, tc := range []struct {
		format, err string
	}{{"", ""}, {policy.FormatCEBinary, ""}, {policy.FormatCEStructured, ""}, {"cloudevents", "policy: format must be"}, {"binary", "policy: format must be"}} {
		p := testPolicy()
		p.Format = tc.format
		err := p.Validate()
		if (err == nil) != (tc.err == "") || err != nil && !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("format %q: %v, want %q", tc.format, err, tc.err)
		}
		if tc.err == "" && strings.Contains(p.Summary(), "cloudevents") != (tc.format != "") {
			t.Errorf("format %q: summary %q", tc.format, p.Summary())
		}
	}
}
