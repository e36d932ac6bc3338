package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func TestDeliversEveryEventToSubscribedEndpoints(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	o := NewOptions()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	all, err := p.CreateEndpoint(EndpointRequest{URL: rcv.url + "/all"})
	if err != nil {
		t.Fatal(err)
	}
	orders, err := p.CreateEndpoint(EndpointRequest{URL: rcv.url + "/orders", EventTypes: []string{"order.created"}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	want := map[string]int{}
	bodies := map[string][]byte{}
	types := map[string]string{}
	for i := range n {
		typ := "user.created"
		if i%2 == 0 {
			typ = "order.created"
		}
		payload := fmt.Sprintf(`{"hookbench_id":"e%d", "n": %d, "big": 12345678901234567890}`, i, i)
		res, err := p.Publish(EventRequest{Type: typ, Payload: json.RawMessage(payload)}, "")
		if err != nil {
			t.Fatal(err)
		}
		bodies[res.ID] = []byte(payload)
		types[res.ID] = typ
		want["/all"]++
		if typ == "order.created" {
			want["/orders"]++
		}
	}
	got := map[string]int{}
	seen := map[string]bool{}
	for range want["/all"] + want["/orders"] {
		h := rcv.next()
		got[h.Path]++
		key := h.Path + " " + h.ID
		if seen[key] {
			t.Errorf("%s delivered twice", key)
		}
		seen[key] = true
		if !bytes.Equal(h.Body, bodies[h.ID]) {
			t.Errorf("%s: body %q, want the payload %q byte for byte", key, h.Body, bodies[h.ID])
		}
		if h.EventType != types[h.ID] {
			t.Errorf("%s: %s %q, want %q", key, EventTypeHeader, h.EventType, types[h.ID])
		}
		if h.Path == "/orders" && h.EventType != "order.created" {
			t.Errorf("/orders got a %s event", h.EventType)
		}
		if h.ContentType != "application/json" || h.Attempt != "1" {
			t.Errorf("%s: content-type %q attempt %q", key, h.ContentType, h.Attempt)
		}
		secret := all.Secret
		if h.Path == "/orders" {
			secret = orders.Secret
		}
		if !verifyStandard(secret, h, h.Body) {
			t.Errorf("%s: signature %q does not verify", key, h.Signature)
		}
		if res := verify(t, "standard", []string{secret}, h, time.Now()); res != trace.SigValid {
			t.Errorf("%s: signature says %v", key, res)
		}
	}
	if got["/all"] != want["/all"] || got["/orders"] != want["/orders"] {
		t.Errorf("deliveries %v, want %v", got, want)
	}
	for id := range bodies {
		ev, err := p.Event(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range waitDelivered(t, p, id, len(ev.Deliveries)) {
			if d.State != "delivered" || d.Attempts != 1 {
				t.Errorf("event %s at %s: %s after %d attempts", id, d.Endpoint, d.State, d.Attempts)
			}
		}
	}
}

// waitDelivered waits until none of the event's deliveries is pending.
func waitDelivered(t *testing.T, p *Provider, id string, n int) []Delivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ev, err := p.Event(id)
		if err != nil {
			t.Fatal(err)
		}
		done := len(ev.Deliveries) == n
		for _, d := range ev.Deliveries {
			if d.State == "pending" {
				done = false
			}
		}
		if done {
			return ev.Deliveries
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s still pending: %+v", id, ev.Deliveries)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRetriesFollowThePolicy(t *testing.T) {
	t.Parallel()
	sched := func(o *Options) {
		o.Policy.MaxAttempts = 5
		o.Policy.Backoff = policy.Backoff{Kind: "schedule", Jitter: "proportional", JitterFrac: 0.2,
			Schedule: []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}}
	}
	expo := func(o *Options) {
		o.Policy.MaxAttempts = 6
		o.Policy.Backoff = policy.Backoff{Kind: "exponential", Base: time.Second, Factor: 2, Cap: 10 * time.Second, Jitter: "full"}
	}
	scaled := func(o *Options) {
		sched(o)
		o.TimeScale = 0.001
		o.Policy.Timeout = time.Hour // 3.6 s once scaled
	}
	capped := func(o *Options) {
		sched(o)
		o.Policy.MaxAttempts = 3 // fewer than the schedule allows
	}
	for _, tc := range []struct {
		name     string
		opts     func(*Options)
		attempts int
	}{
		{"default Standard Webhooks", nil, 10},
		{"schedule", sched, 5},
		{"exponential full jitter", expo, 6},
		{"time scale 0.001", scaled, 5},
		{"max_attempts below schedule", capped, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{opts: tc.opts, behave: statusSeq(503)})
			pol := h.p.Policy()
			id := h.publish("t", `{"a":1}`, "")
			var firstID string
			var lastTS, lastAt int64
			for n := 1; n <= tc.attempts; n++ {
				hit := h.rcv.next()
				r := h.attempt()
				if hit.Attempt != strconv.Itoa(n) || int(r.log.N) != n {
					t.Fatalf("attempt %d: header %q, log n=%d", n, hit.Attempt, r.log.N)
				}
				if n == 1 {
					firstID = hit.ID
				} else if hit.ID != firstID {
					t.Errorf("attempt %d: webhook-id %q, want the first attempt's %q", n, hit.ID, firstID)
				}
				if hit.ID != id {
					t.Errorf("webhook-id %q, want the event id %q", hit.ID, id)
				}
				ts, _ := strconv.ParseInt(hit.Timestamp, 10, 64)
				if want := r.log.At / 1e9; ts != want {
					t.Errorf("attempt %d: timestamp %d, want the attempt time %d", n, ts, want)
				}
				if n > 1 && r.log.At-lastAt >= int64(time.Second) && ts <= lastTS {
					t.Errorf("attempt %d: timestamp %d not fresh (previous %d, %v earlier)", n, ts, lastTS, time.Duration(r.log.At-lastAt))
				}
				lastTS, lastAt = ts, r.log.At
				if !verifyStandard(h.secret, hit, hit.Body) {
					t.Errorf("attempt %d: signature does not verify", n)
				}
				if res := verify(t, "standard", []string{h.secret}, hit, time.Unix(0, r.log.At)); res != trace.SigValid {
					t.Errorf("attempt %d: signature says %v", n, res)
				}
				if n == tc.attempts {
					if r.log.Out != lExhausted || r.log.Next != 0 {
						t.Fatalf("attempt %d of %d: outcome %v next %d, want exhausted", n, tc.attempts, r.log.Out, r.log.Next)
					}
					break
				}
				if r.log.Out != lRetry {
					t.Fatalf("attempt %d: outcome %v, want retry", n, r.log.Out)
				}
				nom, ok := pol.Backoff.Nominal(n)
				if !ok {
					t.Fatalf("policy has no retry %d", n)
				}
				lo, hi := pol.Backoff.Band(nom)
				if d := r.delay(); d < lo || d > hi {
					t.Errorf("retry %d: delay %v outside [%v, %v] (nominal %v)", n, d, lo, hi, nom)
				}
				h.retryNow(r)
			}
			ev, err := h.p.Event(id)
			if err != nil {
				t.Fatal(err)
			}
			if d := ev.Deliveries[0]; d.State != "failed" || d.Attempts != tc.attempts {
				t.Errorf("delivery %+v, want failed after %d attempts", d, tc.attempts)
			}
			if h.p.Pending() != 0 {
				t.Errorf("pending %d, want 0", h.p.Pending())
			}
		})
	}
}

func TestRetryTriggers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		want   logOutcome
	}{
		{200, lDelivered}, {201, lDelivered}, {204, lDelivered},
		{500, lRetry}, {502, lRetry}, {503, lRetry}, {504, lRetry}, {408, lRetry}, {429, lRetry},
		{301, lRetry}, {302, lRetry}, {307, lRetry}, {308, lRetry},
		{400, lFailed}, {401, lFailed}, {403, lFailed}, {404, lFailed}, {413, lFailed}, {422, lFailed},
		{410, lGone},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{behave: func(*hit) reply {
				return reply{Status: tc.status, Headers: map[string]string{"Location": "/elsewhere"}}
			}})
			h.publish("t", `{}`, "")
			r := h.attempt()
			if r.log.Out != tc.want || int(r.log.Status) != tc.status {
				t.Errorf("status %d: outcome %v (status %d), want %v", tc.status, r.log.Out, r.log.Status, tc.want)
			}
			for _, x := range h.rcv.snapshot() {
				if x.Path == "/elsewhere" {
					t.Errorf("redirect followed to %s", x.Path)
				}
			}
		})
	}
}

func TestConnectionErrorsAndTimeoutsAreRetried(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		h := newHarness(t, harnessConfig{})
		ep, err := h.p.CreateEndpoint(EndpointRequest{URL: "http://" + addr + "/x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.p.DeleteEndpoint(h.ep.ID); err != nil {
			t.Fatal(err)
		}
		h.publish("t", `{}`, "")
		r := h.attempt()
		if r.ep != ep.ID || r.log.Err != trace.ErrConnection || r.log.Out != lRetry {
			t.Errorf("attempt at %s: err %v outcome %v, want connection error retried", r.ep, r.log.Err, r.log.Out)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessConfig{
			opts:   func(o *Options) { o.Policy.Timeout = 50 * time.Millisecond },
			behave: func(*hit) reply { return reply{Status: 200, Hold: 5 * time.Second} },
		})
		h.publish("t", `{}`, "")
		r := h.attempt()
		if r.log.Err != trace.ErrTimeout || r.log.Out != lRetry || r.log.Status != 0 {
			t.Errorf("err %v status %d outcome %v, want a timeout retried", r.log.Err, r.log.Status, r.log.Out)
		}
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	date := func(now time.Time) string {
		return now.Add(90 * time.Second).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	}
	for _, tc := range []struct {
		name   string
		status int
		ra     func(now time.Time) string
		want   time.Duration // minimum delay
		max    time.Duration // maximum delay
	}{
		{"429 seconds", 429, func(time.Time) string { return "120" }, 120 * time.Second, 120 * time.Second},
		{"503 seconds", 503, func(time.Time) string { return "60" }, 60 * time.Second, 60 * time.Second},
		{"503 http-date", 503, date, 90 * time.Second, 90 * time.Second},
		{"capped at retry_after_max", 429, func(time.Time) string { return "999999" }, DefaultRetryAfterMax, DefaultRetryAfterMax},
		{"shorter than backoff", 429, func(time.Time) string { return "1" }, 4 * time.Second, 6 * time.Second},
		{"500 ignores it", 500, func(time.Time) string { return "120" }, 4 * time.Second, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var clock *fakeClock
			h := newHarness(t, harnessConfig{behave: func(*hit) reply {
				return reply{Status: tc.status, Headers: map[string]string{"Retry-After": tc.ra(clock.Now())}}
			}, opts: func(o *Options) { clock = o.Clock.(*fakeClock) }})
			h.publish("t", `{}`, "")
			r := h.attempt()
			if d := r.delay(); d < tc.want || d > tc.max {
				t.Errorf("delay %v, want in [%v, %v]", d, tc.want, tc.max)
			}
			h.retryNow(r)
			if n := h.rcv.next(); n.N != 2 && n.N != 1 {
				t.Errorf("no retry after Retry-After")
			}
		})
	}
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{path: "/gone", behave: func(x *hit) reply {
		if x.Path == "/gone" {
			return reply{Status: 410}
		}
		return reply{Status: 200}
	}})
	other, err := h.p.CreateEndpoint(EndpointRequest{URL: h.rcv.url + "/ok"})
	if err != nil {
		t.Fatal(err)
	}
	h.publish("t", `{"n":1}`, "")
	var gone rec
	for range 2 {
		r := h.attempt()
		if r.ep == h.ep.ID {
			gone = r
		}
	}
	if gone.log.Out != lGone {
		t.Fatalf("410 outcome %v, want gone", gone.log.Out)
	}
	ep, err := h.p.Endpoint(h.ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Active || ep.Status != "disabled" || ep.DisabledReason == "" {
		t.Errorf("after 410: %+v, want disabled with a reason", ep)
	}
	h.publish("t", `{"n":2}`, "")
	r := h.attempt()
	if r.ep != other.ID {
		t.Errorf("second event attempted at %s, want only %s", r.ep, other.ID)
	}
	for _, x := range h.rcv.snapshot() {
		if x.Path == "/gone" && x.N > 1 {
			t.Errorf("disabled endpoint got request %d", x.N)
		}
	}
	if _, err := h.p.EnableEndpoint(h.ep.ID); err != nil {
		t.Fatal(err)
	}
	if ep, _ := h.p.Endpoint(h.ep.ID); !ep.Active {
		t.Errorf("enable: %+v", ep)
	}
}

func TestDeletedEndpointGetsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{behave: statusSeq(503, 200)})
	h.publish("t", `{}`, "")
	r := h.attempt()
	if err := h.p.DeleteEndpoint(h.ep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Endpoint(h.ep.ID); err == nil {
		t.Errorf("deleted endpoint still visible")
	}
	h.retryNow(r) // the pending retry is cancelled, not sent
	id := h.publish("t", `{}`, "")
	ev, _ := h.p.Event(id)
	if len(ev.Deliveries) != 0 {
		t.Errorf("new event has deliveries %+v to a deleted endpoint", ev.Deliveries)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.p.Pending() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := len(h.rcv.snapshot()); got != 1 {
		t.Errorf("receiver got %d requests, want 1 (before the delete)", got)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	a := h.publish("t", `{"n":1}`, "key-1")
	b := h.publish("t", `{"n":1}`, "key-1")
	c := h.publish("t", `{"n":2}`, "key-2")
	if a != b {
		t.Errorf("same key gave ids %s and %s", a, b)
	}
	if a == c {
		t.Errorf("different keys gave the same id")
	}
	h.clock.Advance(DefaultIdempotencyWindow + time.Second)
	d := h.publish("t", `{"n":1}`, "key-1")
	if d == a {
		t.Errorf("key remembered beyond the window")
	}
	got := map[string]int{}
	for range 3 {
		got[h.rcv.next().ID]++
	}
	if got[a] != 1 || got[c] != 1 || got[d] != 1 {
		t.Errorf("deliveries by id %v, want one each of %s %s %s", got, a, c, d)
	}
}

func TestQueueBound(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{behave: statusSeq(503), opts: func(o *Options) { o.QueueSize = 2 }})
	h.publish("t", `{}`, "")
	h.publish("t", `{}`, "")
	_, err := h.p.Publish(EventRequest{Type: "t", Payload: json.RawMessage(`{}`)}, "")
	if err != ErrQueueFull {
		t.Fatalf("third event: %v, want ErrQueueFull", err)
	}
	if n := h.p.Pending(); n != 2 {
		t.Errorf("pending %d, want 2", n)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		mod   func(o *Options)
		field string
	}{
		{"ok", func(*Options) {}, ""},
		{"time scale", func(o *Options) { o.TimeScale = 0 }, "time_scale"},
		{"bad fault", func(o *Options) { o.Faults = []string{"nope"} }, "faults"},
		{"twice", func(o *Options) { o.Faults = []string{"slow", "slow"} }, "faults"},
		{"policy", func(o *Options) { o.Policy.MaxAttempts = 0 }, "policy"},
		{"timeout", func(o *Options) { o.Policy.Timeout = 0 }, "policy"},
		{"scheme", func(o *Options) { o.Policy.Scheme = "rot13" }, "policy"},
		{"concurrency", func(o *Options) { o.Concurrency = 0 }, "concurrency"},
		{"queue", func(o *Options) { o.QueueSize = 0 }, "queue_size"},
		{"listen", func(o *Options) { o.Listen = "" }, "listen"},
		{"secret not base64", func(o *Options) { o.Policy.Secrets = []string{"notbase64!!"} }, "policy.secrets[0]"},
		{"second secret bad", func(o *Options) { o.Policy.Secrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"} }, "policy.secrets[1]"},
		{"whsec secret", func(o *Options) { o.Policy.Secrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} }, ""},
		{"any secret for github", func(o *Options) { o.Policy.Scheme, o.Policy.Secrets = "github", []string{"notbase64!!"} }, ""},
		{"unsigned ignores secrets", func(o *Options) { o.Policy.Scheme, o.Policy.Secrets = "none", []string{"notbase64!!"} }, ""},
		{"listen no port", func(o *Options) { o.Listen = "127.0.0.1" }, "listen"},
		{"public without --public", func(o *Options) { o.Listen = "0.0.0.0:0"; o.APIKey = "k" }, "listen"},
		{"all interfaces without --public", func(o *Options) { o.Listen = ":0"; o.APIKey = "k" }, "listen"},
		{"public without a key", func(o *Options) { o.Listen = "0.0.0.0:0"; o.AllowRemote = true }, "listen"},
		{"public with a key", func(o *Options) { o.Listen = "0.0.0.0:0"; o.AllowRemote = true; o.APIKey = "k" }, ""},
		{"localhost", func(o *Options) { o.Listen = "localhost:0" }, ""},
		{"ipv6 loopback", func(o *Options) { o.Listen = "[::1]:0" }, ""},
		{"max api conns", func(o *Options) { o.MaxAPIConns = 0 }, "max_api_conns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOptions()
			tc.mod(&o)
			err := o.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			oe, ok := err.(*OptionError)
			if !ok || oe.Field != tc.field {
				t.Fatalf("Validate: %v, want an OptionError on %q", err, tc.field)
			}
		})
	}
}

func TestPolicyIsScaled(t *testing.T) {
	t.Parallel()
	o := NewOptions()
	o.TimeScale = 0.001
	o.Faults = []string{"no-jitter"}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pol := p.Policy()
	if pol.Timeout != 15*time.Millisecond || pol.Backoff.Schedule[1] != 300*time.Millisecond || pol.RetryAfterMax != 3600*time.Millisecond {
		t.Errorf("scaled policy: timeout %v schedule %v retry_after_max %v", pol.Timeout, pol.Backoff.Schedule, pol.RetryAfterMax)
	}
	if pol.Backoff.Jitter != "proportional" || pol.MaxAttempts != 10 || pol.Persistent {
		t.Errorf("policy changed by a fault or missing data dir: %+v", pol)
	}
}
