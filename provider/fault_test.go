package provider

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// waitIdle waits until no delivery is pending (bounded liveness wait).
func (h *harness) waitIdle() {
	h.tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.p.Pending() != 0 {
		if time.Now().After(deadline) {
			h.tb.Fatalf("still %d deliveries pending", h.p.Pending())
		}
		time.Sleep(time.Millisecond)
	}
}

// fixedSchedule is a jitter-free schedule so delays can be compared.
func fixedSchedule(attempts int, delays ...time.Duration) func(o *Options) {
	return func(o *Options) {
		o.Policy.MaxAttempts = attempts
		o.Policy.Backoff = policy.Backoff{Kind: "schedule", Schedule: delays, Jitter: "none"}
	}
}

// delays runs one event against an always-failing endpoint and returns
// the delays it scheduled, in attempt order, until it gives up (at most
// max). Zero-delay retries may be logged out of order: they are sorted.
func (h *harness) delays(max int) []time.Duration {
	h.tb.Helper()
	h.publish("t", `{}`, "")
	got := map[uint16]rec{}
	last := uint16(0)
	for len(got) <= max && (last == 0 || len(got) < int(last)) {
		r := h.attempt()
		got[r.log.N] = r
		if r.log.Next == 0 {
			last = r.log.N
			continue
		}
		h.retryNow(r)
	}
	var out []time.Duration
	for n := uint16(1); n < last; n++ {
		out = append(out, got[n].delay())
	}
	return out
}

func sigAt(t *testing.T, h *harness, x hit, secrets ...string) trace.SigResult {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{h.secret}
	}
	return verify(t, "standard", secrets, x, h.clock.Now())
}

// faultCase shows one fault's effect: check runs the same scenario with
// the fault off (faulty false: the rule holds) and on (the rule breaks).
type faultCase struct {
	cfg   harnessConfig
	check func(t *testing.T, h *harness, faulty bool)
}

func faultCases() map[string]faultCase {
	const s = time.Second
	return map[string]faultCase{
		"no-retry": {harnessConfig{behave: statusSeq(503)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			r := h.attempt()
			if want := map[bool]logOutcome{false: lRetry, true: lExhausted}[faulty]; r.log.Out != want {
				t.Errorf("503: outcome %v, want %v", r.log.Out, want)
			}
		}},
		"retry-4xx": {harnessConfig{behave: statusSeq(400, 200)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			r := h.attempt()
			if want := map[bool]logOutcome{false: lFailed, true: lRetry}[faulty]; r.log.Out != want {
				t.Errorf("400: outcome %v, want %v", r.log.Out, want)
			}
		}},
		"give-up-early": {harnessConfig{behave: statusSeq(503), opts: fixedSchedule(4, s, s, s)},
			func(t *testing.T, h *harness, faulty bool) {
				got := len(h.delays(10)) + 1
				if want := map[bool]int{false: 4, true: 2}[faulty]; got != want {
					t.Errorf("attempts %d, want %d", got, want)
				}
			}},
		"constant-backoff": {harnessConfig{behave: statusSeq(503), opts: fixedSchedule(4, s, 10*s, 100*s)},
			func(t *testing.T, h *harness, faulty bool) {
				got := h.delays(10)
				want := map[bool][]time.Duration{false: {s, 10 * s, 100 * s}, true: {s, s, s}}[faulty]
				if !equalDurations(got, want) {
					t.Errorf("delays %v, want %v", got, want)
				}
			}},
		"late-retries": {harnessConfig{behave: statusSeq(503), opts: fixedSchedule(4, s, 10*s, 100*s)},
			func(t *testing.T, h *harness, faulty bool) {
				got := h.delays(10)
				want := map[bool][]time.Duration{false: {s, 10 * s, 100 * s}, true: {1900 * time.Millisecond, 19 * s, 190 * s}}[faulty]
				if !equalDurations(got, want) {
					t.Errorf("delays %v, want %v", got, want)
				}
			}},
		"ignore-retry-window": {harnessConfig{behave: statusSeq(503), opts: windowSchedule(3500*time.Millisecond, s)},
			func(t *testing.T, h *harness, faulty bool) {
				// Attempts at 0, 1, 2 and 3 s; the next, at 4 s, is past the window.
				if got, want := h.attemptsUntilStop(10), map[bool]int{false: 4, true: 11}[faulty]; got != want {
					t.Errorf("attempts %d, want %d", got, want)
				}
			}},
		"retry-storm": {harnessConfig{behave: statusSeq(503), opts: fixedSchedule(4, s, 10*s, 100*s)},
			func(t *testing.T, h *harness, faulty bool) {
				got := h.delays(10)
				want := map[bool][]time.Duration{false: {s, 10 * s, 100 * s}, true: {0, 0, 0}}[faulty]
				if !equalDurations(got, want) {
					t.Errorf("delays %v, want %v", got, want)
				}
			}},
		"no-jitter": {harnessConfig{behave: statusSeq(503)}, func(t *testing.T, h *harness, faulty bool) {
			const n = 12
			for range n {
				h.publish("t", `{}`, "")
			}
			distinct := map[time.Duration]bool{}
			for range n {
				r := h.attempt()
				distinct[r.delay()] = true
				if d := r.delay(); d < 4*s || d > 6*s {
					t.Errorf("delay %v outside the ±20%% band of 5s", d)
				}
			}
			if faulty && (len(distinct) != 1 || !distinct[5*s]) {
				t.Errorf("%d events failing together: delays %v, want all exactly 5s", n, distinct)
			}
			if !faulty && len(distinct) < n/2 {
				t.Errorf("%d events failing together: only %d distinct delays %v", n, len(distinct), distinct)
			}
		}},
		"ignore-retry-after": {harnessConfig{behave: func(*hit) reply {
			return reply{Status: 429, Headers: map[string]string{"Retry-After": "120"}}
		}}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			r := h.attempt()
			if honoured := r.delay() >= 120*s; honoured == faulty {
				t.Errorf("Retry-After 120: delay %v", r.delay())
			}
		}},
		"follow-redirects": {harnessConfig{behave: func(x *hit) reply {
			if x.Path == "/target" {
				return reply{Status: 200}
			}
			return reply{Status: 307, Headers: map[string]string{"Location": "/target"}}
		}}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			r := h.attempt()
			targetHits := 0
			for _, x := range h.rcv.snapshot() {
				if x.Path == "/target" {
					targetHits++
				}
			}
			if faulty != (targetHits == 1 && r.log.Out == lDelivered) || !faulty && (r.log.Status != 307 || r.log.Out != lRetry) {
				t.Errorf("307: status %d outcome %v, %d requests at the Location", r.log.Status, r.log.Out, targetHits)
			}
		}},
		"follow-302-as-get": {harnessConfig{behave: redirectingEndpoint}, func(t *testing.T, h *harness, faulty bool) {
			for _, code := range []int{301, 302, 303, 307, 308} {
				h.publish("t", `{"code":`+strconv.Itoa(code)+`}`, "")
				r := h.attempt()
				var followed []hit
				for _, x := range h.rcv.snapshot() {
					if x.Path == "/target/"+strconv.Itoa(code) {
						followed = append(followed, x)
					}
				}
				asGet := faulty && code < 307
				switch {
				case asGet && (len(followed) != 1 || followed[0].Method != "GET" || len(followed[0].Body) != 0 || r.log.Out != lDelivered):
					t.Errorf("%d: %d request(s) at the Location %+v, status %d outcome %v; want one GET without a body, delivered", code, len(followed), followed, r.log.Status, r.log.Out)
				case !asGet && (len(followed) != 0 || int(r.log.Status) != code || r.log.Out != lRetry):
					t.Errorf("%d: %d request(s) at the Location, status %d outcome %v; want none, retried", code, len(followed), r.log.Status, r.log.Out)
				}
			}
		}},
		"redirect-no-location-success": {harnessConfig{behave: redirectingEndpoint}, func(t *testing.T, h *harness, faulty bool) {
			for _, code := range []int{302, 307} {
				for _, withLocation := range []bool{false, true} {
					body := `{"code":` + strconv.Itoa(code) + `}`
					if !withLocation {
						body = `{"code":` + strconv.Itoa(code) + `,"no_location":true}`
					}
					h.publish("t", body, "")
					r := h.attempt()
					want := lRetry
					if faulty && !withLocation {
						want = lDelivered
					}
					if int(r.log.Status) != code || r.log.Out != want {
						t.Errorf("%d (Location %v): status %d outcome %v, want %v", code, withLocation, r.log.Status, r.log.Out, want)
					}
				}
			}
			for _, x := range h.rcv.snapshot() {
				if strings.HasPrefix(x.Path, "/target/") {
					t.Errorf("redirect followed to %s", x.Path)
				}
			}
		}},
		"no-timeout": {harnessConfig{realTime: true,
			opts:   func(o *Options) { o.Policy.Timeout = 100 * time.Millisecond },
			behave: func(*hit) reply { return reply{Status: 200, Hold: 1500 * time.Millisecond} }},
			func(t *testing.T, h *harness, faulty bool) {
				h.publish("t", `{}`, "")
				r := h.attempt()
				cut := r.log.Err == trace.ErrTimeout && r.log.Out == lRetry
				if cut == faulty || faulty && (r.log.Status != 200 || time.Duration(r.log.Dur) < time.Second) {
					t.Errorf("slow endpoint: err %v status %d after %v", r.log.Err, r.log.Status, time.Duration(r.log.Dur))
				}
			}},
		"short-timeout": {harnessConfig{realTime: true,
			opts:   func(o *Options) { o.Policy.Timeout = 2 * time.Second },
			behave: func(*hit) reply { return reply{Status: 200, Hold: 600 * time.Millisecond} }},
			func(t *testing.T, h *harness, faulty bool) {
				h.publish("t", `{}`, "")
				r := h.attempt()
				cut := r.log.Err == trace.ErrTimeout
				if cut != faulty || !faulty && r.log.Status != 200 {
					t.Errorf("answer after 600ms with a 2s timeout: err %v status %d after %v", r.log.Err, r.log.Status, time.Duration(r.log.Dur))
				}
			}},
		"timeout-as-success": {harnessConfig{realTime: true,
			opts:   func(o *Options) { o.Policy.Timeout = 50 * time.Millisecond },
			behave: func(*hit) reply { return reply{Status: 200, Hold: 5 * time.Second} }},
			func(t *testing.T, h *harness, faulty bool) {
				h.publish("t", `{}`, "")
				r := h.attempt()
				want := map[bool]logOutcome{false: lRetry, true: lDelivered}[faulty]
				if r.log.Err != trace.ErrTimeout || r.log.Out != want {
					t.Errorf("timeout: err %v outcome %v, want %v", r.log.Err, r.log.Out, want)
				}
			}},
		"ignore-410": {harnessConfig{behave: statusSeq(410)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			r := h.attempt()
			ep, _ := h.p.Endpoint(h.ep.ID)
			if faulty != (r.log.Out == lRetry && ep.Active) || !faulty && (r.log.Out != lGone || ep.Active) {
				t.Errorf("410: outcome %v, endpoint %s", r.log.Out, ep.Status)
			}
		}},
		"deliver-to-deleted-endpoint": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			if err := h.p.DeleteEndpoint(h.ep.ID); err != nil {
				t.Fatal(err)
			}
			h.publish("t", `{}`, "")
			h.waitIdle()
			if got := len(h.rcv.snapshot()); got != map[bool]int{false: 0, true: 1}[faulty] {
				t.Errorf("deleted endpoint got %d requests", got)
			}
		}},
		"new-id-per-attempt": {harnessConfig{behave: statusSeq(503, 200)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			h.retryNow(h.attempt())
			a, b := h.rcv.next(), h.rcv.next()
			if (a.ID != b.ID) != faulty {
				t.Errorf("webhook-id %q then %q", a.ID, b.ID)
			}
			if r := sigAt(t, h, b); r != trace.SigValid {
				t.Errorf("retry signature %v", r)
			}
		}},
		"mutate-body-on-retry": {harnessConfig{behave: statusSeq(503, 200)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{"z":1,"a":[1,2],"m":{"y":"x"}}`, "")
			h.retryNow(h.attempt())
			a, b := h.rcv.next(), h.rcv.next()
			if !bytes.Equal(a.Body, b.Body) != faulty {
				t.Errorf("bodies %q then %q", a.Body, b.Body)
			}
			if !jsonEqual(a.Body, b.Body) {
				t.Errorf("retry body %q is not the same JSON value as %q", b.Body, a.Body)
			}
			if r := sigAt(t, h, b); r != trace.SigValid {
				t.Errorf("retry signature %v", r)
			}
		}},
		"lossy-payload": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			const payload = `{"z":1,"big":12345678901234567890}`
			h.publish("t", payload, "")
			x := h.rcv.next()
			if (string(x.Body) != payload) != faulty {
				t.Errorf("payload %s delivered as %s", payload, x.Body)
			}
			if faulty && bytes.Contains(x.Body, []byte("12345678901234567890")) {
				t.Errorf("large integer survived: %s", x.Body)
			}
			if r := sigAt(t, h, x); r != trace.SigValid {
				t.Errorf("signature %v", r)
			}
		}},
		"sign-reserialised-body": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{"b": 1, "a": "</x>"}`, "")
			x := h.rcv.next()
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigMismatch}[faulty]
			if r := sigAt(t, h, x); r != want {
				t.Errorf("signature over the raw body: %v, want %v", r, want)
			}
			if faulty && !verifyStandard(h.secret, x, reencode(x.Body, true)) {
				t.Errorf("signature does not cover the re-encoded body either")
			}
		}},
		"bad-signature": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigMismatch}[faulty]
			if r := sigAt(t, h, x); r != want {
				t.Errorf("signature %q: %v, want %v", x.Signature, r, want)
			}
		}},
		"wrong-secret": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigMismatch}[faulty]
			if r := sigAt(t, h, x); r != want {
				t.Errorf("signature: %v, want %v", r, want)
			}
		}},
		"unsigned": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigMissing}[faulty]
			if r := sigAt(t, h, x); r != want {
				t.Errorf("signature: %v, want %v", r, want)
			}
		}},
		"stale-timestamp": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigStale}[faulty]
			if r := sigAt(t, h, x); r != want {
				t.Errorf("timestamp %s at %d: %v, want %v", x.Timestamp, h.clock.Now().Unix(), r, want)
			}
		}},
		"future-timestamp": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigFuture}[faulty]
			if r := sigAt(t, h, x); r != want {
				t.Errorf("timestamp %s at %d: %v, want %v", x.Timestamp, h.clock.Now().Unix(), r, want)
			}
		}},
		"reuse-timestamp": {harnessConfig{behave: statusSeq(503, 200)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			h.retryNow(h.attempt())
			a, b := h.rcv.next(), h.rcv.next()
			if (a.Timestamp == b.Timestamp) != faulty {
				t.Errorf("timestamps %s then %s (retry %v later)", a.Timestamp, b.Timestamp, "~5s")
			}
		}},
		"drop-old-secret": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			old := h.secret
			ep, err := h.p.RotateSecret(h.ep.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			if r := sigAt(t, h, x, ep.Secret); r != trace.SigValid {
				t.Errorf("new secret: %v", r)
			}
			want := map[bool]trace.SigResult{false: trace.SigValid, true: trace.SigMismatch}[faulty]
			if r := sigAt(t, h, x, old); r != want {
				t.Errorf("consumer still on the old secret: %v, want %v", r, want)
			}
		}},
		"drop-events": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			var ids []string
			for i := range 5 {
				ids = append(ids, h.publish("t", `{"i":`+strconv.Itoa(i)+`}`, ""))
			}
			h.waitIdle()
			got := map[string]bool{}
			for _, x := range h.rcv.snapshot() {
				got[x.ID] = true
			}
			if len(got) != map[bool]int{false: 5, true: 4}[faulty] || faulty && got[ids[1]] {
				t.Errorf("delivered %d of 5 events (2nd delivered: %v)", len(got), got[ids[1]])
			}
		}},
		"duplicate-deliveries": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			for i := range 5 {
				h.publish("t", `{"i":`+strconv.Itoa(i)+`}`, "")
			}
			h.waitIdle()
			hits := h.rcv.snapshot()
			ids, bodies := map[string]bool{}, map[string]int{}
			for _, x := range hits {
				ids[x.ID] = true
				bodies[string(x.Body)]++
			}
			want := map[bool]int{false: 5, true: 6}[faulty]
			if len(hits) != want || len(ids) != want || faulty && bodies[`{"i":2}`] != 2 {
				t.Errorf("%d requests, %d ids, bodies %v; want %d", len(hits), len(ids), bodies, want)
			}
		}},
		"ignore-idempotency-key": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			a := h.publish("t", `{}`, "k1")
			b := h.publish("t", `{}`, "k1")
			h.waitIdle()
			if (a != b) != faulty || len(h.rcv.snapshot()) != map[bool]int{false: 1, true: 2}[faulty] {
				t.Errorf("same key: ids %s %s, %d deliveries", a, b, len(h.rcv.snapshot()))
			}
		}},
		"slow": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			id := h.publish("t", `{}`, "")
			if !faulty {
				h.attempt()
				return
			}
			ev, _ := h.p.Event(id)
			d := ev.Deliveries[0]
			if d.Attempts != 0 || d.NextAttempt == nil || !d.NextAttempt.Equal(h.clock.Now().Add(DefaultSlowDelay)) {
				t.Errorf("slow: delivery %+v, want first attempt held %v", d, DefaultSlowDelay)
			}
			h.clock.Advance(DefaultSlowDelay)
			h.attempt()
		}},
		"wrong-content-type": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			if (x.ContentType != "application/json") != faulty {
				t.Errorf("Content-Type %q", x.ContentType)
			}
		}},
		"drop-event-type-header": {harnessConfig{}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("order.paid", `{}`, "")
			x := h.rcv.next()
			if (x.EventType != "order.paid") != faulty {
				t.Errorf("%s %q", EventTypeHeader, x.EventType)
			}
		}},
		"lose-on-restart": {}, // TestRestartResumesPendingDeliveries
		"ce-missing-attributes": {harnessConfig{opts: ceFormat(policy.FormatCEBinary), behave: grantHandshake}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			x := h.rcv.next()
			if x.Method == "OPTIONS" {
				x = h.rcv.next()
			}
			if (x.Header["ce-source"] == "") != faulty {
				t.Errorf("ce-source %q", x.Header["ce-source"])
			}
		}},
		"skip-abuse-handshake": {harnessConfig{opts: ceFormat(policy.FormatCEBinary), behave: grantHandshake}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			if x := h.rcv.next(); (x.Method != "OPTIONS") != faulty {
				t.Errorf("first request %s", x.Method)
			}
		}},
		"deliver-despite-refused-handshake": {harnessConfig{opts: ceFormat(policy.FormatCEBinary)}, func(t *testing.T, h *harness, faulty bool) {
			h.publish("t", `{}`, "")
			h.attempt()
			posts := 0
			for _, x := range h.rcv.snapshot() {
				if x.Method == "POST" {
					posts++
				}
			}
			if (posts > 0) != faulty {
				t.Errorf("%d deliveries after a 200 without %s", posts, headerAllowedOrigin)
			}
		}},
	}
}

func ceFormat(format string) func(o *Options) {
	return func(o *Options) { o.Policy.Format = format }
}

// grantHandshake grants every validation request.
func grantHandshake(h *hit) reply {
	if h.Method == "OPTIONS" {
		return reply{Status: 200, Headers: map[string]string{headerAllowedOrigin: h.Header["webhook-request-origin"]}}
	}
	return reply{Status: 200}
}

func TestEachFaultBreaksItsRule(t *testing.T) {
	t.Parallel()
	cases := faultCases()
	for _, f := range Faults() {
		if _, ok := cases[f.Name]; !ok {
			t.Errorf("fault %q has no test case", f.Name)
		}
	}
	for _, f := range Faults() {
		c := cases[f.Name]
		if c.check == nil {
			continue
		}
		for _, faulty := range []bool{false, true} {
			name := f.Name + "/clean"
			if faulty {
				name = f.Name + "/faulty"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cfg := c.cfg
				base := cfg.opts
				cfg.opts = func(o *Options) {
					if base != nil {
						base(o)
					}
					if faulty {
						o.Faults = []string{f.Name}
					}
				}
				h := newHarness(t, cfg)
				c.check(t, h, faulty)
			})
		}
	}
}

func TestFaultsAreDocumented(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, f := range Faults() {
		if f.Name == "" || f.Breaks == "" || seen[f.Name] {
			t.Errorf("fault %+v: empty or repeated", f)
		}
		seen[f.Name] = true
	}
	for _, want := range []string{"no-retry", "retry-4xx", "give-up-early", "constant-backoff", "no-jitter",
		"ignore-retry-after", "follow-redirects", "no-timeout", "ignore-410", "new-id-per-attempt",
		"mutate-body-on-retry", "sign-reserialised-body", "bad-signature", "wrong-secret", "stale-timestamp",
		"future-timestamp", "drop-events", "duplicate-deliveries", "ignore-idempotency-key", "slow", "lose-on-restart"} {
		if !seen[want] {
			t.Errorf("issue 4 fault %q missing", want)
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// redirectingEndpoint answers the status named by the body's "code" with a
// Location /target/CODE (none when the body has "no_location"), and 200 at
// the targets.
func redirectingEndpoint(x *hit) reply {
	if strings.HasPrefix(x.Path, "/target/") {
		return reply{Status: 200}
	}
	var b struct {
		Code       int  `json:"code"`
		NoLocation bool `json:"no_location"`
	}
	if json.Unmarshal(x.Body, &b) != nil || b.Code == 0 {
		return reply{Status: 500}
	}
	if b.NoLocation {
		return reply{Status: b.Code}
	}
	return reply{Status: b.Code, Headers: map[string]string{"Location": "/target/" + strconv.Itoa(b.Code)}}
}

// drop-events counts per endpoint: a second endpoint loses its own 2nd
// event, whatever the first one saw.
func TestDropEventsCountsPerEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{path: "/a", opts: func(o *Options) { o.Faults = []string{"drop-events"} }})
	var ids []string
	for i := range 3 {
		ids = append(ids, h.publish("t", `{"i":`+strconv.Itoa(i)+`}`, ""))
	}
	if _, err := h.p.CreateEndpoint(EndpointRequest{URL: h.rcv.url + "/b"}); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 5; i++ {
		ids = append(ids, h.publish("t", `{"i":`+strconv.Itoa(i)+`}`, ""))
	}
	h.waitIdle()
	got := map[string]bool{}
	for _, x := range h.rcv.snapshot() {
		got[x.Path+" "+x.ID] = true
	}
	for i, id := range ids {
		if want := i != 1; got["/a "+id] != want {
			t.Errorf("/a event %d delivered %v, want %v", i+1, got["/a "+id], want)
		}
	}
	if !got["/b "+ids[3]] || got["/b "+ids[4]] {
		t.Errorf("/b: events 4 and 5 delivered %v %v, want true false", got["/b "+ids[3]], got["/b "+ids[4]])
	}
}

// Every rule a fault's help text cites ("rules §2.3") is stated in
// docs/rules.md, and the help cites no file outside the repository.
func TestFaultsCiteRules(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "rules.md"))
	if err != nil {
		t.Fatalf("read rules: %v", err)
	}
	stated := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^### §(\d+\.\d+) `).FindAllStringSubmatch(string(b), -1) {
		stated[m[1]] = true
	}
	citation := regexp.MustCompile(`rules (§\d+\.\d+(?:(?:, | and )§\d+\.\d+)*)`)
	number := regexp.MustCompile(`§(\d+\.\d+)`)
	cited := 0
	for _, f := range Faults() {
		if strings.Contains(f.Breaks, "webhooks.md") || regexp.MustCompile(`§\d+ rule`).MatchString(f.Breaks) {
			t.Errorf("%s: help cites the old numbering or a file outside the repository: %s", f.Name, f.Breaks)
		}
		for _, m := range citation.FindAllStringSubmatch(f.Breaks, -1) {
			for _, n := range number.FindAllStringSubmatch(m[1], -1) {
				cited++
				if !stated[n[1]] {
					t.Errorf("%s cites rule §%s, which docs/rules.md does not state: %s", f.Name, n[1], f.Breaks)
				}
			}
		}
	}
	if cited == 0 {
		t.Fatal("no fault cites a rule: the citation pattern no longer matches the help texts")
	}
}

func TestParseFaultsSuggests(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  string
	}{
		{[]string{"no-jiter"}, `[0]: unknown fault "no-jiter" (did you mean "no-jitter"?) (known: `},
		{[]string{"slow", "slwo"}, `[1]: unknown fault "slwo" (did you mean "slow"?)`},
		{[]string{"something-else"}, `[0]: unknown fault "something-else" (known: `},
	} {
		_, err := parseFaults(tt.names)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseFaults(%q) = %v, want %q", tt.names, err, tt.want)
		}
	}
}
