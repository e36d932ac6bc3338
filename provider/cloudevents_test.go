package provider

import (
	"encoding/json"
	"testing"

	"github.com/hookbench/hookbench/policy"
)

// A CloudEvents provider validates an endpoint once, then delivers every
// event in the declared content mode with the origin header.
func TestCloudEventsDelivery(t *testing.T) {
	t.Parallel()
	for _, format := range []string{policy.FormatCEBinary, policy.FormatCEStructured} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{opts: ceFormat(format), behave: grantHandshake})
			payload := `{"b": 1,  "a": [1.50, "x"]}`
			ids := []string{h.publish("order.paid", payload, ""), h.publish("order.paid", payload, "")}
			x := h.rcv.next()
			if x.Method != "OPTIONS" || x.Header["webhook-request-origin"] != Origin || len(x.Body) != 0 {
				t.Fatalf("first request: %s origin %q", x.Method, x.Header["webhook-request-origin"])
			}
			for i := range ids {
				x := h.rcv.next()
				if x.Method != "POST" || x.Header["webhook-request-origin"] != Origin {
					t.Fatalf("delivery %d: %s, origin %q", i, x.Method, x.Header["webhook-request-origin"])
				}
				if format == policy.FormatCEBinary {
					if x.Header["ce-specversion"] != "1.0" || x.Header["ce-id"] != x.ID || x.Header["ce-source"] != CESource ||
						x.Header["ce-type"] != "order.paid" || x.Header["ce-time"] == "" || string(x.Body) != payload {
						t.Errorf("binary delivery: %v body %s", x.Header, x.Body)
					}
					continue
				}
				var ev struct {
					SpecVersion, ID, Source, Type, Time string
					Data                                json.RawMessage
				}
				if x.ContentType != "application/cloudevents+json" || json.Unmarshal(x.Body, &ev) != nil {
					t.Fatalf("structured delivery: %s %s", x.ContentType, x.Body)
				}
				if ev.SpecVersion != "1.0" || ev.ID != x.ID || ev.Source != CESource || ev.Type != "order.paid" || ev.Time == "" || string(ev.Data) != payload {
					t.Errorf("structured event %+v", ev)
				}
				if !verifyStandard(h.secret, x, x.Body) {
					t.Error("the signature does not cover the bytes sent")
				}
			}
		})
	}
}

// An endpoint that does not grant the handshake gets no delivery: each
// attempt asks again, on the retry schedule, until the attempts run out.
func TestCloudEventsRefusedHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{opts: func(o *Options) {
		ceFormat(policy.FormatCEStructured)(o)
		fixedSchedule(3, 1, 1)(o)
	}})
	h.publish("t", `{}`, "")
	for n := 1; n <= 3; n++ {
		r := h.attempt()
		if want := map[bool]logOutcome{false: lRetry, true: lExhausted}[n == 3]; r.log.Out != want || r.log.Status != 200 {
			t.Fatalf("attempt %d: outcome %v status %d, want %v after a 200 without consent", n, r.log.Out, r.log.Status, want)
		}
		if n < 3 {
			h.retryNow(r)
		}
	}
	for _, x := range h.rcv.snapshot() {
		if x.Method != "OPTIONS" {
			t.Errorf("%s request to an endpoint that never granted the handshake", x.Method)
		}
	}
	if got := len(h.rcv.snapshot()); got != 3 {
		t.Errorf("%d validation requests, want 3 (one per attempt)", got)
	}
}

func TestStructuredEventBase64(t *testing.T) {
	t.Parallel()
	b := structuredEvent(nil, "id\"1", "/s", "t", "2024-01-01T00:00:00Z", []byte("not json"))
	var ev map[string]string
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if ev["id"] != "id\"1" || ev["data_base64"] != "bm90IGpzb24=" || ev["data"] != "" {
		t.Errorf("event %s", b)
	}
}
