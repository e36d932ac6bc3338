package conformance

import (
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func deliverTrace(statuses ...[]int) *tb {
	b := newTB().frag(FragDeliver, Fragment{}, 0, 0)
	for i, st := range statuses {
		id := FragDeliver + "/" + string(rune('a'+i))
		b.sent(id, int64(i*10))
		if len(st) == 0 {
			continue
		}
		ts := make([]int64, len(st))
		for k := range st {
			ts[k] = int64(i*10 + 2 + k*100)
		}
		b.seq("/f/deliver", id, ts, st)
	}
	return b
}

func TestCheckEveryEventDelivered(t *testing.T) {
	runCases(t, "1.1", []checkCase{
		{name: "all delivered", build: func() *trace.Trace { return deliverTrace([]int{200}, []int{200}, []int{204}).trace() }, want: Pass},
		{name: "one lost", build: func() *trace.Trace { return deliverTrace([]int{200}, nil, []int{200}).trace() }, want: Fail},
		{name: "never succeeded", build: func() *trace.Trace { return deliverTrace([]int{200}, []int{500, 500}).trace() }, want: Fail},
		{name: "success status from policy", build: func() *trace.Trace { return deliverTrace([]int{201}).trace() },
			policy: func(p *policy.Policy) { p.Success = []int{200} }, want: Fail},
		{name: "ack lost is not a success", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).att("/f/deliver", "deliver/a", "m", 5, 200, flags(trace.FlagAborted)).trace()
		}, want: Fail},
		{name: "no triggers", build: func() *trace.Trace { return newTB().frag(FragDeliver, Fragment{}, 0, 0).trace() }, want: Skip},
		{name: "trigger api refused everything", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0, func(s *trace.Sent) { s.Status = 500 }).trace()
		}, want: Fail},
		{name: "no ids: counted, enough", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).sent("deliver/b", 1).
				att("/f/deliver", "", "", 5, 200, noID()).att("/f/deliver", "", "", 6, 200, noID()).trace()
		}, want: Pass},
		{name: "no ids: one message id for two events", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).sent("deliver/b", 1).
				att("/f/deliver", "", "", 5, 200, noID(), func(a *trace.Attempt) { a.MsgID, a.BodyHash = "msg_same", 1 }).
				att("/f/deliver", "", "", 6, 200, noID(), func(a *trace.Attempt) { a.MsgID, a.BodyHash = "msg_same", 2 }).trace()
		}, want: Pass},
		{name: "no ids: counted, short", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/a", 0).sent("deliver/b", 1).
				att("/f/deliver", "", "", 5, 200, noID()).trace()
		}, want: Fail},
		{name: "other fragments' deliveries are not counted", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).frag(FragFanOut, Fragment{}, 0, 0).sent("deliver/a", 0).
				att("/f/deliver", "fanout/x", "m", 5, 200).trace()
		}, want: Fail},
		{name: "fragment missing", build: func() *trace.Trace { return newTB().frag(FragFanOut, Fragment{}, 0, 0).trace() }, want: Skip},
		{name: "fragment skipped by the suite", build: func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{Skip: "adapter cannot target endpoints"}, 0, 0).trace()
		}, want: Skip},
	})
}

func TestCheckNoDeliveryAfterSuccess(t *testing.T) {
	runCases(t, "1.2", []checkCase{
		{name: "single deliveries", build: func() *trace.Trace { return deliverTrace([]int{200}, []int{200}).trace() }, want: Pass},
		{name: "retry then success", build: func() *trace.Trace { return deliverTrace([]int{500, 200}).trace() }, want: Pass},
		{name: "duplicate after 2xx", build: func() *trace.Trace { return deliverTrace([]int{200}, []int{200, 200}).trace() }, want: Warn},
	})
}

func TestCheckFanOut(t *testing.T) {
	eps := []string{"/f/fanout/a", "/f/fanout/b", "/f/fanout/c"}
	build := func(skip string) *trace.Trace {
		b := newTB().frag(FragFanOut, Fragment{Endpoints: eps}, 0, 0)
		for _, id := range []string{"fanout/1", "fanout/2"} {
			b.sent(id, 0)
			for _, ep := range eps {
				if ep == skip && id == "fanout/2" {
					continue
				}
				b.att(ep, id, "m"+id, 5, 200)
			}
		}
		return b.trace()
	}
	runCases(t, "1.3", []checkCase{
		{name: "every endpoint", build: func() *trace.Trace { return build("") }, want: Pass},
		{name: "one endpoint missed", build: func() *trace.Trace { return build("/f/fanout/b") }, want: Fail},
		{name: "single endpoint fragment", build: func() *trace.Trace {
			return newTB().frag(FragFanOut, Fragment{}, 0, 0).sent("fanout/1", 0).trace()
		}, want: Skip},
	})
}

func TestCheckEventTypeRouting(t *testing.T) {
	subs := []Subscription{{Endpoint: "/f/types/a", Types: []string{"t.a"}}, {Endpoint: "/f/types/b", Types: []string{"t.b"}}}
	build := func(extra, drop bool) *trace.Trace {
		b := newTB().frag(FragTypes, Fragment{Endpoints: []string{"/f/types/a", "/f/types/b"}, Subscriptions: subs}, 0, 0)
		b.sent("types/1", 0, func(s *trace.Sent) { s.Type = "t.a" }).sent("types/2", 1, func(s *trace.Sent) { s.Type = "t.b" })
		b.att("/f/types/a", "types/1", "m1", 5, 200)
		if !drop {
			b.att("/f/types/b", "types/2", "m2", 5, 200)
		}
		if extra {
			b.att("/f/types/b", "types/1", "m1", 6, 200)
		}
		return b.trace()
	}
	runCases(t, "1.4", []checkCase{
		{name: "routed", build: func() *trace.Trace { return build(false, false) }, want: Pass},
		{name: "unsubscribed type delivered", build: func() *trace.Trace { return build(true, false) }, want: Fail},
		{name: "subscribed type missing", build: func() *trace.Trace { return build(false, true) }, want: Fail},
		{name: "no subscriptions declared", build: func() *trace.Trace {
			return newTB().frag(FragTypes, Fragment{}, 0, 0).sent("types/1", 0).trace()
		}, want: Skip},
	})
}

func TestCheckDeliveredAfterTransientFailures(t *testing.T) {
	build := func(statuses []int, failFirst int) *trace.Trace {
		b := newTB().frag(FragRecover, Fragment{FailFirst: failFirst}, 0, 0).sent("recover/1", 0)
		ts := []int64{5, 110, 530}
		return b.seq("/f/recover", "recover/1", ts[:len(statuses)], statuses).trace()
	}
	runCases(t, "1.5", []checkCase{
		{name: "recovered", build: func() *trace.Trace { return build([]int{503, 503, 200}, 2) }, want: Pass},
		{name: "gave up", build: func() *trace.Trace { return build([]int{503, 503}, 2) }, want: Fail},
		{name: "policy too short for the fragment", build: func() *trace.Trace { return build([]int{503, 503}, 2) },
			policy: func(p *policy.Policy) { p.MaxAttempts = 2 }, want: Skip},
	})
}
