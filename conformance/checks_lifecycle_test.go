package conformance

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func TestCheckGone(t *testing.T) {
	// e1 answered 410 at 5 ms; e2 triggered at 200 ms.
	build := func(retried, laterDelivered bool) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragGone, Fragment{}, 0, 5000).sent("gone/1", 0).att("/f/gone", "gone/1", "m1", 5, 410)
			if retried {
				b.att("/f/gone", "gone/1", "m1", 110, 410)
			}
			b.sent("gone/2", 200)
			if laterDelivered {
				b.att("/f/gone", "gone/2", "m2", 205, 410)
			}
			return b.trace()
		}
	}
	runCases(t, "8.1", []checkCase{
		{name: "not retried", build: build(false, false), want: Pass},
		{name: "retried", build: build(true, false), want: Fail},
		{name: "retried, policy silent", build: build(true, false), policy: func(p *policy.Policy) { p.Gone = "" }, want: Warn},
		{name: "retried as declared", build: build(true, false), policy: func(p *policy.Policy) { p.Gone = "retry" }, want: Info},
	})
	runCases(t, "8.2", []checkCase{
		{name: "disabled", build: build(false, false), want: Pass},
		{name: "still delivering", build: build(false, true), want: Fail},
		{name: "no 410", build: func() *trace.Trace {
			return newTB().frag(FragGone, Fragment{}, 0, 0).sent("gone/1", 0).att("/f/gone", "gone/1", "m1", 5, 200).trace()
		}, want: Skip},
		{name: "nothing triggered later", build: func() *trace.Trace {
			return newTB().frag(FragGone, Fragment{}, 0, 0).sent("gone/1", 0).att("/f/gone", "gone/1", "m1", 5, 410).trace()
		}, want: Skip},
		{name: "no ids: counted", build: func() *trace.Trace {
			return newTB().frag(FragGone, Fragment{}, 0, 5000).sent("gone/1", 0).att("/f/gone", "", "", 5, 410, noID()).
				sent("gone/2", 200).att("/f/gone", "", "", 205, 410, noID()).trace()
		}, want: Fail},
	})
}

func TestCheckDeletedGetsNothing(t *testing.T) {
	runCases(t, "8.3", []checkCase{
		{name: "nothing", build: func() *trace.Trace { return newTB().frag(FragDelete, Fragment{}, 0, 0).sent("delete/1", 0).trace() }, want: Pass},
		{name: "delivered anyway", build: func() *trace.Trace {
			return newTB().frag(FragDelete, Fragment{}, 0, 0).sent("delete/1", 0).att("/f/delete", "delete/1", "m", 5, 200).trace()
		}, want: Fail},
		{name: "nothing triggered", build: func() *trace.Trace { return newTB().frag(FragDelete, Fragment{}, 0, 0).trace() }, want: Skip},
		{name: "attempts without ids", build: func() *trace.Trace {
			return newTB().frag(FragDelete, Fragment{}, 0, 0).sent("delete/1", 0).
				att("/f/delete", "", "", 5, 500, noID()).att("/f/delete", "", "", 105, 200, noID()).trace()
		}, want: Fail},
	})
}

const tricky = `{"z":1, "a":{"big":12345678901234567890,"f":1.50},"s":"\u00e9/"}`

func TestCheckPayloadFidelity(t *testing.T) {
	build := func(bodies ...string) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragFidelity, Fragment{Payloads: []Payload{{EventID: "fidelity/1", Body: tricky}}}, 0, 0).sent("fidelity/1", 0)
			for i, s := range bodies {
				st := 500
				if i == len(bodies)-1 {
					st = 200
				}
				b.att("/f/fidelity", "fidelity/1", "m", int64(5+i*100), st, body(s))
			}
			return b.trace()
		}
	}
	reencoded := `{"a":{"big":12345678901234567000,"f":1.5},"s":"é/","z":1}`
	envelope := `{"type":"x","data":` + tricky + `}`
	runCases(t, "9.1", []checkCase{
		{name: "exact", build: build(tricky), want: Pass},
		{name: "inside an envelope", build: build(envelope), want: Pass},
		{name: "re-encoded", build: build(reencoded), want: Fail},
		{name: "body not kept", build: func() *trace.Trace {
			return newTB().frag(FragFidelity, Fragment{Payloads: []Payload{{EventID: "fidelity/1", Body: tricky}}}, 0, 0).sent("fidelity/1", 0).
				att("/f/fidelity", "fidelity/1", "m", 5, 200).trace()
		}, want: Skip},
		{name: "no payloads recorded", build: func() *trace.Trace { return newTB().frag(FragFidelity, Fragment{}, 0, 0).trace() }, want: Skip},
		{name: "kept, no harness id", build: fidelityNoIDs(tricky), want: Pass},
		{name: "kept as a JSON string in an envelope", build: fidelityNoIDs(`{"Message":` + strconv.Quote(tricky) + `}`), want: Pass},
		{name: "no harness id, re-encoded", build: fidelityNoIDs(reencoded), want: Fail},
	})
	runCases(t, "9.2", []checkCase{
		{name: "exact on retry", build: build(tricky, tricky), want: Pass},
		{name: "mutated on retry", build: build(tricky, reencoded), want: Fail},
		{name: "not retried", build: build(tricky), want: Skip},
	})
	r := runOne(t, "9.1", build(reencoded)(), testPolicy())
	if len(r.Evidence) == 0 || !contains(r.Evidence[0].Observed, "12345678901234567890 lost its exact form") {
		t.Fatalf("9.1 evidence should name the big integer: %+v", r.Evidence)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func loadTrace(n int, latencyMs func(i int) int64, lost int) *trace.Trace {
	b := newTB().frag(FragLoad, Fragment{}, 0, 0)
	for i := range n {
		id := "load/" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		at := int64(i * 10)
		b.sent(id, at)
		if i < lost {
			continue
		}
		b.att("/f/load", id, "m"+id, at+latencyMs(i), 200)
	}
	return b.trace()
}

// harnessLate is a load trace whose triggers left lateMs after their
// intended time and arrived providerMs after that.
func harnessLate(n int, lateMs, providerMs int64) *trace.Trace {
	b := newTB().frag(FragLoad, Fragment{}, 0, 0)
	for i := range n {
		id := fmt.Sprintf("load/%d", i)
		at := int64(i * 10)
		b.sent(id, at, func(s *trace.Sent) { s.SentNs = s.IntendedNs + lateMs*1e6 })
		b.att("/f/load", id, "m"+id, at+lateMs+providerMs, 200)
	}
	return b.trace()
}

// The harness's lateness is reported beside the provider's latency.
func TestLatencySaysHarnessLateness(t *testing.T) {
	r := runOne(t, "10.1", harnessLate(50, 90, 10), testPolicy())
	if want := "(100ms from the intended send time: the harness sent late)"; !strings.Contains(r.Summary, want) {
		t.Errorf("summary %q does not say %q", r.Summary, want)
	}
}

func TestCheckLoad(t *testing.T) {
	fast := func(i int) int64 { return 10 }
	slow := func(i int) int64 { return 100 }
	tail := func(i int) int64 {
		if i == 0 {
			return 500
		}
		return 10
	}
	runCases(t, "10.1", []checkCase{
		{name: "fast", build: func() *trace.Trace { return loadTrace(50, fast, 0) }, want: Pass},
		{name: "slow", build: func() *trace.Trace { return loadTrace(50, slow, 0) }, want: Fail},
		{name: "no threshold", build: func() *trace.Trace { return loadTrace(50, slow, 0) }, policy: func(p *policy.Policy) { p.LatencyP50 = 0 }, want: Info},
		{name: "no ids", build: func() *trace.Trace {
			return newTB().frag(FragLoad, Fragment{}, 0, 0).sent("load/1", 0).att("/f/load", "", "", 5, 200, noID()).trace()
		}, want: Skip},
		// The harness sent every trigger 90 ms late; the provider took 10 ms.
		{name: "harness lateness is not the provider's", build: func() *trace.Trace { return harnessLate(50, 90, 10) }, want: Pass},
		{name: "slow provider despite a punctual harness", build: func() *trace.Trace { return harnessLate(50, 0, 100) }, want: Fail},
		{name: "slow provider behind a late harness", build: func() *trace.Trace { return harnessLate(50, 90, 100) }, want: Fail},
	})
	runCases(t, "10.2", []checkCase{
		{name: "fast", build: func() *trace.Trace { return loadTrace(200, fast, 0) }, want: Pass},
		{name: "tail of 1 in 200 is under p99", build: func() *trace.Trace { return loadTrace(200, tail, 0) }, want: Pass},
		{name: "slow", build: func() *trace.Trace { return loadTrace(200, slow, 0) }, policy: func(p *policy.Policy) { p.LatencyP99 = 50e6 }, want: Fail},
	})
	runCases(t, "10.3", []checkCase{
		{name: "nothing lost", build: func() *trace.Trace { return loadTrace(50, fast, 0) }, want: Pass},
		{name: "lost", build: func() *trace.Trace { return loadTrace(50, fast, 3) }, want: Fail},
	})
	runCases(t, "10.4", []checkCase{
		{name: "info", build: func() *trace.Trace { return loadTrace(50, fast, 0) }, want: Info},
	})
}

func TestCheckRecovery(t *testing.T) {
	down := func(lastOK bool) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragDown, Fragment{}, 0, 5000).sent("down/1", 0).sent("down/2", 1)
			b.seq("/f/down", "down/1", []int64{5, 110, 520}, []int{0, 0, 200}, func(a *trace.Attempt) {
				if a.Status == 0 {
					a.Flags |= trace.FlagAborted
				}
			})
			last := 0
			if lastOK {
				last = 200
			}
			b.seq("/f/down", "down/2", []int64{6, 111, 515}, []int{0, 0, last}, func(a *trace.Attempt) {
				if a.Status == 0 {
					a.Flags |= trace.FlagAborted
				}
			})
			return b.trace()
		}
	}
	runCases(t, "11.1", []checkCase{
		{name: "backlog delivered", build: down(true), want: Pass},
		{name: "lost one", build: down(false), want: Fail},
	})
	runCases(t, "11.2", []checkCase{
		{name: "reports order", build: down(true), want: Info},
		{name: "one delivered", build: down(false), want: Skip},
	})
	restart := func(persistent, delivered bool) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragRestart, Fragment{}, 0, 5000).sent("restart/1", 0).
				att("/f/restart", "restart/1", "m", 5, 503).mark(100, trace.ProviderMark, "restart")
			if delivered {
				b.att("/f/restart", "restart/1", "m", 400, 200)
			}
			return b.trace()
		}
	}
	runCases(t, "11.3", []checkCase{
		{name: "resumed", build: restart(true, true), want: Pass},
		{name: "lost", build: restart(true, false), want: Fail},
		{name: "lost, not claimed persistent", build: restart(false, false), policy: func(p *policy.Policy) { p.Persistent = false }, want: Info},
		{name: "no restart", build: func() *trace.Trace {
			return newTB().frag(FragRestart, Fragment{}, 0, 0).sent("restart/1", 0).att("/f/restart", "restart/1", "m", 5, 200).trace()
		}, want: Skip},
	})
}

func TestCheckEventTypeNamed(t *testing.T) {
	build := func(sentType, gotType string) func() *trace.Trace {
		return func() *trace.Trace {
			return newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/1", 0, func(s *trace.Sent) { s.Type = sentType }).
				att("/f/deliver", "deliver/1", "m", 5, 200, func(a *trace.Attempt) { a.EventType = gotType }).trace()
		}
	}
	// withPayload records the triggered payload in the fragment.
	withPayload := func(payload, gotType string) func() *trace.Trace {
		return func() *trace.Trace {
			f := Fragment{Payloads: []Payload{{EventID: "deliver/1", Body: payload}}}
			return newTB().frag(FragDeliver, f, 0, 0).sent("deliver/1", 0, func(s *trace.Sent) { s.Type = "order.created" }).
				att("/f/deliver", "deliver/1", "m", 5, 200, func(a *trace.Attempt) { a.EventType = gotType }).trace()
		}
	}
	runCases(t, "9.3", []checkCase{
		{name: "named", build: build("order.created", "order.created"), want: Pass},
		{name: "missing", build: build("order.created", ""), want: Fail},
		{name: "wrong", build: build("order.created", "order.paid"), want: Fail},
		{name: "trigger type unknown, named", build: build("", "new_order"), want: Pass},
		{name: "payloads name no type, provider header", build: withPayload(`{"hookbench_id":"deliver/1","seq":1}`, "order.created"), want: Pass},
		{name: "payloads name no type, relayed bare", build: withPayload(`{"hookbench_id":"deliver/1","seq":1}`, ""), want: Fail},
		{name: "payloads name their type", build: withPayload(`{"hookbench_id":"deliver/1","type":"order.created"}`, "order.created"), want: Skip},
	})
}
