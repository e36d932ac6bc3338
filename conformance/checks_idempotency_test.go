package conformance

import (
	"strings"
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func retried(frag string, msgs []string, hashes []uint64) func() *trace.Trace {
	return func() *trace.Trace {
		b := newTB().frag(frag, Fragment{}, 0, 0).sent(frag+"/1", 0)
		for i, m := range msgs {
			b.att("/f/"+frag, frag+"/1", m, int64(5+i*100), 500, hash(hashes[i]))
		}
		return b.trace()
	}
}

func TestCheckStableID(t *testing.T) {
	runCases(t, "7.1", []checkCase{
		{name: "stable", build: retried(FragBackoff, []string{"a", "a", "a"}, []uint64{1, 1, 1}), want: Pass},
		{name: "new id per attempt", build: retried(FragBackoff, []string{"a", "b", "c"}, []uint64{1, 1, 1}), want: Fail},
		{name: "no ids at all", build: retried(FragBackoff, []string{"", ""}, []uint64{1, 1}), want: Warn},
		{name: "never retried", build: retried(FragBackoff, []string{"a"}, []uint64{1}), want: Skip},
	})
	runCases(t, "7.2", []checkCase{
		{name: "identical", build: retried(FragBackoff, []string{"a", "a"}, []uint64{7, 7}), want: Pass},
		{name: "mutated", build: retried(FragBackoff, []string{"a", "a"}, []uint64{7, 8}), want: Fail},
		{name: "never retried", build: retried(FragBackoff, []string{"a"}, []uint64{1}), want: Skip},
	})
}

func TestCheckIdempotencyKey(t *testing.T) {
	// deliveredMsgs are the arrivals of the event, by provider message id;
	// an id ending in "!" is answered 500 instead of 200.
	build := func(sameProviderID, providerIDs bool, deliveredMsgs ...string) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragIdem, Fragment{}, 0, 0)
			pid := func(id string) func(*trace.Sent) {
				return func(s *trace.Sent) {
					s.IdemKey = "key-1"
					s.ProviderID = ""
					if providerIDs {
						s.ProviderID = id
					}
				}
			}
			b.sent("idempotency/1", 0, pid("evt_1"))
			second := "evt_2"
			if sameProviderID {
				second = "evt_1"
			}
			b.sent("idempotency/1~dup", 5, pid(second), func(s *trace.Sent) { s.DuplicateOf = "idempotency/1" })
			for i, m := range deliveredMsgs {
				status := 200
				if id, failed := strings.CutSuffix(m, "!"); failed {
					m, status = id, 500
				}
				b.att("/f/idempotency", "idempotency/1", m, int64(10+i*100), status)
			}
			return b.trace()
		}
	}
	runCases(t, "7.3", []checkCase{
		{name: "same event id returned", build: build(true, true, "evt_1"), want: Pass},
		{name: "second event created", build: build(false, true, "evt_1", "evt_2"), want: Fail},
		{name: "no api ids, one message", build: build(false, false, "evt_1"), want: Pass},
		{name: "no api ids, two messages", build: build(false, false, "evt_1", "evt_2"), want: Fail},
		{name: "same event id returned, delivered twice", build: build(true, true, "evt_1", "evt_1"), want: Fail},
		{name: "no ids anywhere, delivered twice", build: build(false, false, "", ""), want: Fail},
		{name: "no ids anywhere, delivered once", build: build(false, false, ""), want: Pass},
		{name: "no ids anywhere, retried then delivered once", build: build(false, false, "!", ""), want: Pass},
		{name: "no header declared", build: build(false, true), policy: func(p *policy.Policy) { p.IdempotencyHeader = "" }, want: Skip},
		{name: "no repeated trigger", build: func() *trace.Trace { return newTB().frag(FragIdem, Fragment{}, 0, 0).sent("idempotency/1", 0).trace() }, want: Skip},
	})
}

func TestCheckLostAck(t *testing.T) {
	build := func(msgs ...string) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragAckLost, Fragment{}, 0, 5000).sent("ack-lost/1", 0).
				att("/f/ack-lost", "ack-lost/1", msgs[0], 5, 200, flags(trace.FlagAborted))
			for i, m := range msgs[1:] {
				b.att("/f/ack-lost", "ack-lost/1", m, int64(110+i*100), 200)
			}
			return b.trace()
		}
	}
	runCases(t, "7.4", []checkCase{
		{name: "redelivered", build: build("a", "a"), want: Pass},
		{name: "not redelivered", build: build("a"), want: Fail},
	})
	runCases(t, "7.5", []checkCase{
		{name: "same id", build: build("a", "a"), want: Pass},
		{name: "new id", build: build("a", "b"), want: Fail},
		{name: "not redelivered", build: build("a"), want: Skip},
	})
}

func TestCheckDuplicatesDetectable(t *testing.T) {
	build := func(msgs ...string) func() *trace.Trace {
		return func() *trace.Trace {
			b := newTB().frag(FragDeliver, Fragment{}, 0, 0).sent("deliver/1", 0).sent("deliver/2", 0).
				att("/f/deliver", "deliver/2", "z", 3, 200)
			for i, m := range msgs {
				b.att("/f/deliver", "deliver/1", m, int64(5+i), 200)
			}
			return b.trace()
		}
	}
	runCases(t, "7.6", []checkCase{
		{name: "no duplicates", build: build("a"), want: Pass},
		{name: "duplicate with the same id", build: build("a", "a"), want: Pass},
		{name: "duplicate with a new id", build: build("a", "b"), want: Fail},
	})
}
