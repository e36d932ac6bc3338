package provider

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
)

func startAt(t *testing.T, dir string, clock *fakeClock, faults []string) *Provider {
	t.Helper()
	o := NewOptions()
	o.DataDir = dir
	o.Clock = clock
	o.Faults = faults
	p, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return p
}

// TestRestartResumesPendingDeliveries: an event whose first attempt failed
// is delivered by the next provider on the same data dir, with the same
// id, the next attempt number and the original secret; lose-on-restart
// claims persistence but loses it.
func TestRestartResumesPendingDeliveries(t *testing.T) {
	t.Parallel()
	for _, faulty := range []bool{false, true} {
		name := map[bool]string{false: "clean", true: "lose-on-restart"}[faulty]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var faults []string
			if faulty {
				faults = []string{"lose-on-restart"}
			}
			dir := t.TempDir()
			rcv := newReceiver(t, statusSeq(503, 200))
			clock := newFakeClock()
			a := startAt(t, dir, clock, faults)
			ep, err := a.CreateEndpoint(EndpointRequest{URL: rcv.url + "/r", EventTypes: []string{"t"}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.Publish(EventRequest{Type: "t", Payload: json.RawMessage(`{"n":1}`)}, "key")
			if err != nil {
				t.Fatal(err)
			}
			first := rcv.next()
			waitAttempts(t, a, res.ID, 1)
			if !a.Policy().Persistent {
				t.Errorf("policy does not claim persistence with a data dir")
			}
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			clock2 := newFakeClock()
			clock2.AdvanceTo(clock.Now().Add(time.Minute)) // the retry is overdue
			b := startAt(t, dir, clock2, faults)
			defer b.Close()
			if eps := b.Endpoints(); len(eps) != 1 || eps[0].ID != ep.ID || eps[0].URL != ep.URL {
				t.Fatalf("endpoints after restart: %+v", eps)
			}
			if again, err := b.Publish(EventRequest{Type: "t", Payload: json.RawMessage(`{"n":1}`)}, "key"); err != nil || again.ID != res.ID {
				t.Errorf("idempotency key after restart: %+v %v, want %s", again, err, res.ID)
			}
			if faulty {
				if n := b.Pending(); n != 0 {
					t.Errorf("lose-on-restart: %d deliveries pending after restart, want 0 (lost)", n)
				}
				if ev, err := b.Event(res.ID); err != nil || len(ev.Deliveries) != 0 {
					t.Errorf("lose-on-restart: event %+v %v", ev, err)
				}
				return
			}
			second := rcv.next()
			if second.ID != first.ID || second.Attempt != "2" || string(second.Body) != `{"n":1}` {
				t.Errorf("after restart: id %s attempt %s body %s; before: id %s", second.ID, second.Attempt, second.Body, first.ID)
			}
			if r := verify(t, "standard", []string{ep.Secret}, second, clock2.Now()); r != trace.SigValid {
				t.Errorf("signature after restart: %v", r)
			}
			d := waitDelivered(t, b, res.ID, 1)
			if d[0].State != "delivered" || d[0].Attempts != 2 {
				t.Errorf("delivery after restart: %+v", d[0])
			}
			at, _ := b.Attempts(res.ID)
			if len(at) != 2 || at[0].Status != 503 || at[1].Status != 200 {
				t.Errorf("delivery log after restart: %+v", at)
			}
		})
	}
}

// TestRestartRedoesAttemptsInFlight: Close cuts off an attempt in flight;
// the next provider makes it again.
func TestRestartRedoesAttemptsInFlight(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rcv := newReceiver(t, func(x *hit) reply {
		if x.N == 1 {
			return reply{Status: 200, Hold: time.Minute} // until the receiver closes
		}
		return reply{Status: 200}
	})
	clock := newFakeClock()
	a := startAt(t, dir, clock, nil)
	if _, err := a.CreateEndpoint(EndpointRequest{URL: rcv.url + "/r"}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Publish(EventRequest{Type: "t", Payload: json.RawMessage(`{}`)}, "")
	if err != nil {
		t.Fatal(err)
	}
	rcv.next() // attempt 1 is in flight, held by the receiver
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := startAt(t, dir, clock, nil)
	defer b.Close()
	x := rcv.next()
	if x.ID != res.ID || x.Attempt != "1" {
		t.Errorf("after restart: id %s attempt %s, want %s attempt 1 again", x.ID, x.Attempt, res.ID)
	}
	waitDelivered(t, b, res.ID, 1)
}

func TestDataDirLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := startAt(t, dir, newFakeClock(), nil)
	defer a.Close()
	o := NewOptions()
	o.DataDir = dir
	_, err := New(o)
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second provider on the same dir: %v, want a lock error", err)
	}
}

func waitAttempts(t *testing.T, p *Provider, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		at, err := p.Attempts(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(at) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s: %d attempts, want %d", id, len(at), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRestartKeepsTheAddress(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, statusSeq(503, 200))
	o := NewOptions()
	o.DataDir = t.TempDir()
	o.TimeScale = 0.001
	o.Policy.Timeout = time.Hour
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateEndpoint(EndpointRequest{URL: rcv.url + "/r"}); err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(EventRequest{Type: "t", Payload: json.RawMessage(`{}`)}, "")
	if err != nil {
		t.Fatal(err)
	}
	rcv.next()
	q, err := p.Restart()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.URL() != p.URL() {
		t.Errorf("restarted on %s, was %s", q.URL(), p.URL())
	}
	rcv.next() // the retry, by whichever provider made it
	if d := waitDelivered(t, q, res.ID, 1); d[0].State != "delivered" {
		t.Errorf("after restart: %+v", d)
	}
}

// TestEnsureEndpointAcrossRestarts: registering the same URL at every
// start (hookbench provider --data D --endpoint URL) keeps one endpoint
// with its secret, so an event is delivered once, not once per start.
func TestEnsureEndpointAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := newFakeClock()
	const url = "http://127.0.0.1:1/hook"
	p := startAt(t, dir, clock, nil)
	first, created, err := p.EnsureEndpoint(EndpointRequest{URL: url})
	if err != nil || !created || first.Secret == "" {
		t.Fatalf("first start: %+v created %v err %v", first, created, err)
	}
	again, created, err := p.EnsureEndpoint(EndpointRequest{URL: url})
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("same start, again: %+v created %v err %v; want endpoint %s reused", again, created, err, first.ID)
	}
	p.Close()

	p = startAt(t, dir, clock, nil)
	defer p.Close()
	got, created, err := p.EnsureEndpoint(EndpointRequest{URL: url})
	if err != nil || created || got.ID != first.ID || got.Secret != first.Secret {
		t.Fatalf("second start: %+v created %v err %v; want endpoint %s with its secret", got, created, err, first.ID)
	}
	if eps := p.Endpoints(); len(eps) != 1 {
		t.Fatalf("%d endpoints after two starts, want 1: %+v", len(eps), eps)
	}
	other, created, err := p.EnsureEndpoint(EndpointRequest{URL: url + "2"})
	if err != nil || !created || other.ID == first.ID {
		t.Fatalf("another URL: %+v created %v err %v; want a new endpoint", other, created, err)
	}
	if err := p.DeleteEndpoint(first.ID); err != nil {
		t.Fatal(err)
	}
	if re, created, err := p.EnsureEndpoint(EndpointRequest{URL: url}); err != nil || !created || re.ID == first.ID {
		t.Fatalf("after delete: %+v created %v err %v; want a new endpoint", re, created, err)
	}
	if _, _, err := p.EnsureEndpoint(EndpointRequest{URL: "ftp://x/"}); err == nil {
		t.Fatal("ftp URL accepted")
	}
}
