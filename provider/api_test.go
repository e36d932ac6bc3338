package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call makes one API request and decodes a JSON answer into out (when
// non-nil). It returns the status and the raw body.
func call(t *testing.T, method, url, key, body string, hdr map[string]string, out any) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: answer %q: %v", method, url, b, err)
		}
	}
	return resp.StatusCode, resp.Header, b
}

func startAPI(t *testing.T, mod func(o *Options)) (*Provider, *receiver) {
	t.Helper()
	rcv := newReceiver(t, nil)
	o := NewOptions()
	o.MaxBody = 1024
	if mod != nil {
		mod(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, rcv
}

func TestAPIRejectsBadInputAndCreatesNothing(t *testing.T) {
	t.Parallel()
	p, rcv := startAPI(t, nil)
	u := p.URL()
	var ep Endpoint
	if st, _, b := call(t, "POST", u+"/endpoints", "", `{"url":"`+rcv.url+`/a","event_types":["t"]}`, nil, &ep); st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") || ep.ID == "" || !ep.Active || ep.Scheme != "standard" {
		t.Errorf("created endpoint %+v", ep)
	}
	for _, tc := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"unknown field", "/endpoints", `{"url":"http://a/","colour":"red"}`, 400, "colour"},
		{"missing url", "/endpoints", `{}`, 400, "url"},
		{"null url", "/endpoints", `{"url":null}`, 400, "url"},
		{"url type", "/endpoints", `{"url":5}`, 400, "url"},
		{"ftp url", "/endpoints", `{"url":"ftp://a/b"}`, 400, "url"},
		{"relative url", "/endpoints", `{"url":"/hook"}`, 400, "url"},
		{"malformed", "/endpoints", `{"url":`, 400, ""},
		{"syntax", "/endpoints", `{"url" "x"}`, 400, ""},
		{"trailing", "/endpoints", `{"url":"http://a/"} {}`, 400, ""},
		{"array", "/endpoints", `[]`, 400, ""},
		{"empty", "/endpoints", ``, 400, ""},
		{"scheme", "/endpoints", `{"url":"http://a/","scheme":"rot13"}`, 400, "scheme"},
		{"secret", "/endpoints", `{"url":"http://a/","secret":"not base64!"}`, 400, "secret"},
		{"secret and secrets", "/endpoints", `{"url":"http://a/","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}`, 400, "secrets"},
		{"event type", "/endpoints", `{"url":"http://a/","event_types":["ok",""]}`, 400, "event_types[1]"},
		{"event type control", "/endpoints", `{"url":"http://a/","event_types":["a\nb"]}`, 400, "event_types[0]"},
		{"event types type", "/endpoints", `{"url":"http://a/","event_types":"t"}`, 400, "event_types"},
		{"oversized", "/endpoints", `{"url":"http://a/` + strings.Repeat("x", 2000) + `"}`, 413, "body"},
		{"event no type", "/events", `{"payload":{}}`, 400, "type"},
		{"event no payload", "/events", `{"type":"t"}`, 400, "payload"},
		{"event null payload", "/events", `{"type":"t","payload":null}`, 400, "payload"},
		{"event unknown endpoint", "/events", `{"type":"t","payload":{},"endpoints":["` + ep.ID + `","nope"]}`, 400, "endpoints[1]"},
		{"event unknown field", "/events", `{"type":"t","payload":{},"data":1}`, 400, "data"},
		{"event oversized", "/events", `{"type":"t","payload":"` + strings.Repeat("x", 2000) + `"}`, 413, "body"},
		{"webhook empty", "/webhook", `{"webhookUrl":""}`, 400, "webhookUrl"},
		{"webhook unknown", "/webhook", `{"url":"http://a/"}`, 400, "url"},
		{"trigger unknown", "/trigger", `{"kind":"x"}`, 400, "kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			st, _, b := call(t, "POST", u+tc.path, "", tc.body, nil, &e)
			if st != tc.status || e.Field != tc.field || e.Error == "" {
				t.Errorf("%s %s: %d %s, want %d naming field %q", tc.path, tc.body, st, b, tc.status, tc.field)
			}
		})
	}
	var list []Endpoint
	call(t, "GET", u+"/endpoints", "", "", nil, &list)
	if len(list) != 1 || list[0].ID != ep.ID || list[0].Secret != "" {
		t.Errorf("after rejected requests: endpoints %+v, want only %s (no secret shown)", list, ep.ID)
	}
	p.mu.Lock()
	nev := len(p.events)
	p.mu.Unlock()
	if nev != 0 || p.Pending() != 0 {
		t.Errorf("rejected triggers created %d events, %d deliveries", nev, p.Pending())
	}
}

func TestAPIEventsAndEndpoints(t *testing.T) {
	t.Parallel()
	p, rcv := startAPI(t, func(o *Options) {
		o.TimeScale = 0.001
		o.Policy.Timeout = 5000 * time.Second // 5 s once scaled: no spurious timeouts on a busy machine
	})
	u := p.URL()
	var ep Endpoint
	call(t, "POST", u+"/endpoints", "", `{"url":"`+rcv.url+`/a"}`, nil, &ep)

	var a, b PublishResult
	st, _, body := call(t, "POST", u+"/events", "", `{"type":"order.created","payload":{"id": 1}}`, map[string]string{"Idempotency-Key": "k"}, &a)
	if st != 202 || a.ID == "" {
		t.Fatalf("trigger: %d %s", st, body)
	}
	st, hdr, _ := call(t, "POST", u+"/events", "", `{"type":"order.created","payload":{"id": 1}}`, map[string]string{"Idempotency-Key": "k"}, &b)
	if st != 202 || b.ID != a.ID || !b.Replayed || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeated trigger: %d %+v, want the first id %s replayed", st, b, a.ID)
	}
	x := rcv.next()
	if x.ID != a.ID || string(x.Body) != `{"id": 1}` {
		t.Errorf("delivered %s %q", x.ID, x.Body)
	}
	waitDelivered(t, p, a.ID, 1)
	var ev Event
	if st, _, b := call(t, "GET", u+"/events/"+a.ID, "", "", nil, &ev); st != 200 || len(ev.Deliveries) != 1 || ev.Deliveries[0].State != "delivered" {
		t.Errorf("GET event: %d %s", st, b)
	}
	var at []Attempt
	if st, _, b := call(t, "GET", u+"/events/"+a.ID+"/attempts", "", "", nil, &at); st != 200 || len(at) != 1 ||
		at[0].Status != 200 || at[0].Outcome != "delivered" || at[0].Endpoint != ep.ID || at[0].N != 1 {
		t.Errorf("GET attempts: %d %s", st, b)
	}
	if st, _, _ := call(t, "GET", u+"/events/nope/attempts", "", "", nil, nil); st != 404 {
		t.Errorf("unknown event: %d", st)
	}
	var pol PolicyDoc
	if st, _, b := call(t, "GET", u+"/policy", "", "", nil, &pol); st != 200 || pol.TimeScale != 0.001 ||
		pol.Policy.Timeout != 5*time.Second || pol.Policy.Backoff.Schedule[0] != 5*time.Millisecond || pol.Policy.MaxAttempts != 10 || pol.Faults == nil {
		t.Errorf("GET /policy: %d %s", st, b)
	}
	var rot Endpoint
	if st, _, b := call(t, "POST", u+"/endpoints/"+ep.ID+"/rotate", "", "", nil, &rot); st != 200 || rot.Secret == "" || rot.Secret == ep.Secret {
		t.Errorf("rotate: %d %s", st, b)
	}
	if st, _, _ := call(t, "DELETE", u+"/endpoints/"+ep.ID, "", "", nil, nil); st != 204 {
		t.Errorf("delete: %d", st)
	}
	if st, _, _ := call(t, "GET", u+"/endpoints/"+ep.ID, "", "", nil, nil); st != 404 {
		t.Errorf("get deleted: %d", st)
	}
	if st, _, _ := call(t, "DELETE", u+"/endpoints/"+ep.ID, "", "", nil, nil); st != 404 {
		t.Errorf("delete twice: %d", st)
	}
	if st, hdr, _ := call(t, "PUT", u+"/events", "", "", nil, nil); st != 405 || hdr.Get("Allow") != "POST" {
		t.Errorf("PUT /events: %d allow %q", st, hdr.Get("Allow"))
	}
	if st, _, _ := call(t, "GET", u+"/nothing", "", "", nil, nil); st != 404 {
		t.Errorf("unknown path: %d", st)
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	p, _ := startAPI(t, func(o *Options) { o.APIKey = "s3cret" })
	u := p.URL()
	for _, tc := range []struct {
		key  string
		want int
	}{{"", 401}, {"wrong", 401}, {"s3cret", 200}} {
		if st, _, b := call(t, "GET", u+"/endpoints", tc.key, "", nil, nil); st != tc.want {
			t.Errorf("key %q: %d %s, want %d", tc.key, st, b, tc.want)
		}
	}
	if st, _, _ := call(t, "GET", u+"/healthz", "", "", nil, nil); st != 200 {
		t.Errorf("healthz without key: %d", st)
	}
	// The scheme name is case-insensitive.
	for _, auth := range []string{"bearer s3cret", "BEARER s3cret", "Bearer  s3cret"} {
		if st, _, b := call(t, "GET", u+"/endpoints", "", "", map[string]string{"Authorization": auth}, nil); st != 200 {
			t.Errorf("Authorization %q: %d %s, want 200", auth, st, b)
		}
	}
}

func TestBearerOK(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"Bearer k", true}, {"bearer k", true}, {"BeArEr k", true}, {"Bearer   k", true},
		{"", false}, {"Bearer", false}, {"Bearer ", false}, {"Bearerk", false}, {"Bearer k2", false},
		{"Basic k", false}, {"bearer\tk", false}, {"xbearer k", false},
	} {
		if got := bearerOK([]byte(tc.value), "k"); got != tc.want {
			t.Errorf("bearerOK(%q) = %v, want %v", tc.value, got, tc.want)
		}
	}
}

func TestAPIQueueFull(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p, rcv := startAPI(t, func(o *Options) { o.QueueSize = 1; o.Clock = clock })
	rcv.behave = statusSeq(503)
	u := p.URL()
	call(t, "POST", u+"/endpoints", "", `{"url":"`+rcv.url+`/a"}`, nil, nil)
	if st, _, b := call(t, "POST", u+"/events", "", `{"type":"t","payload":1}`, nil, nil); st != 202 {
		t.Fatalf("first: %d %s", st, b)
	}
	st, hdr, b := call(t, "POST", u+"/events", "", `{"type":"t","payload":2}`, nil, nil)
	if st != 503 || hdr.Get("Retry-After") == "" || !bytes.Contains(b, []byte("queue full")) {
		t.Errorf("over the bound: %d %q %s, want 503 with Retry-After", st, hdr.Get("Retry-After"), b)
	}
}

func TestMinimalServerShape(t *testing.T) {
	t.Parallel()
	p, rcv := startAPI(t, nil)
	u := p.URL()
	var a, b struct {
		Endpoint
		Message string `json:"message"`
	}
	if st, _, body := call(t, "POST", u+"/webhook", "", `{"webhookUrl":"`+rcv.url+`/seed"}`, nil, &a); st != 201 || a.Message == "" || a.Secret == "" {
		t.Fatalf("register: %d %s", st, body)
	}
	if st, _, body := call(t, "POST", u+"/webhook", "", `{"webhookUrl":"`+rcv.url+`/seed"}`, nil, &b); st != 200 || b.ID != a.ID {
		t.Errorf("register again: %d %s, want 200 and id %s", st, body, a.ID)
	}
	var tr struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	}
	if st, _, body := call(t, "POST", u+"/trigger", "", "", nil, &tr); st != 202 || tr.ID == "" || tr.Message != "Event triggered!" {
		t.Fatalf("trigger: %d %s", st, body)
	}
	x := rcv.next()
	if x.Path != "/seed" || string(x.Body) != seedPayload || x.EventType != seedEventType || !verifyStandard(a.Secret, x, x.Body) {
		t.Errorf("seed delivery %s %q type %q", x.Path, x.Body, x.EventType)
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{badInput("url", "bad"), 400},
		{&InputError{Reason: "too big", Status: 413}, 413},
		{fmt.Errorf("endpoint e1: %w", ErrNotFound), 404},
		{ErrQueueFull, 503},
		{ErrClosed, 503},
		{errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
