package provider

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 120 * time.Second, true},
		{"0", 0, true},
		{" 7\t", 7 * time.Second, true},
		{"99999999999999999999", maxRetryAfter, true},
		{"Wed, 21 Oct 2015 07:28:30 GMT", 30 * time.Second, true},
		{"Wednesday, 21-Oct-15 07:29:00 GMT", time.Minute, true},
		{"Wed Oct 21 07:30:00 2015", 2 * time.Minute, true},
		{"Wed, 21 Oct 2015 07:00:00 GMT", 0, true}, // in the past
		{"", 0, false},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"12s", 0, false},
		{"soon", 0, false},
		{"Wed, 21 Oct 2015 07:28:30 PST", 0, false},
	} {
		got, ok := ParseRetryAfter([]byte(tc.in), now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", " 7 ", "Wed, 21 Oct 2015 07:28:30 GMT", "Wed Oct 21 07:30:00 2015",
		"Wednesday, 21-Oct-15 07:29:00 GMT", "-1", "1e3", "99999999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter([]byte(s), now)
		if !ok {
			if d != 0 {
				t.Fatalf("%q: not ok but %v", s, d)
			}
			return
		}
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("%q: %v out of range", s, d)
		}
		trimmed := bytes.Trim([]byte(s), " \t")
		if n, err := strconv.ParseInt(string(trimmed), 10, 64); err == nil && n >= 0 && n < int64(maxRetryAfter/time.Second) {
			if d != time.Duration(n)*time.Second {
				t.Fatalf("%q: %v, want %ds", s, d, n)
			}
		}
	})
}

func TestClassify(t *testing.T) {
	t.Parallel()
	def := DefaultPolicy()
	custom := DefaultPolicy()
	custom.Success = []int{200, 204}
	custom.NoRetry = []int{400, 500}
	custom.Gone = "retry"
	for _, tc := range []struct {
		name   string
		pol    *policy.Policy
		status int
		ek     trace.ErrKind
		fs     faultSet
		want   outcome
	}{
		{"2xx", &def, 299, 0, 0, oDelivered},
		{"5xx", &def, 500, 0, 0, oRetry},
		{"3xx", &def, 302, 0, 0, oRetry},
		{"1xx", &def, 199, 0, 0, oRetry},
		{"404", &def, 404, 0, 0, oFinal},
		{"408", &def, 408, 0, 0, oRetry},
		{"429", &def, 429, 0, 0, oRetry},
		{"410", &def, 410, 0, 0, oGone},
		{"timeout", &def, 0, trace.ErrTimeout, 0, oRetry},
		{"connection", &def, 0, trace.ErrConnection, 0, oRetry},
		{"other", &def, 0, trace.ErrOther, 0, oRetry},
		{"custom success", &custom, 201, 0, 0, oRetry},
		{"custom no-retry 500", &custom, 500, 0, 0, oFinal},
		{"custom 404 retried", &custom, 404, 0, 0, oRetry},
		{"custom gone retry", &custom, 410, 0, 0, oRetry},
		{"retry-4xx", &def, 404, 0, 1 << fRetry4xx, oRetry},
		{"ignore-410", &def, 410, 0, 1 << fIgnore410, oRetry},
		{"timeout-as-success", &def, 0, trace.ErrTimeout, 1 << fTimeoutAsSuccess, oDelivered},
		{"timeout-as-success, refused", &def, 0, trace.ErrConnection, 1 << fTimeoutAsSuccess, oRetry},
	} {
		if got := classify(tc.pol, tc.status, tc.ek, tc.fs); got != tc.want {
			t.Errorf("%s: classify(%d, %v) = %v, want %v", tc.name, tc.status, tc.ek, got, tc.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	pol := DefaultPolicy()
	expo := DefaultPolicy()
	expo.MaxAttempts = 5
	expo.Backoff = policy.Backoff{Kind: "exponential", Base: time.Second, Factor: 3, Cap: 5 * time.Second, Jitter: "equal"}
	for _, tc := range []struct {
		name string
		pol  *policy.Policy
		n    int
		fs   faultSet
		u    float64
		want time.Duration
		ok   bool
	}{
		{"first retry low", &pol, 1, 0, 0, 4 * time.Second, true},
		{"first retry mid", &pol, 1, 0, 0.5, 5 * time.Second, true},
		{"second retry", &pol, 2, 0, 0.5, 5 * time.Minute, true},
		{"ninth retry", &pol, 9, 0, 0.5, 24 * time.Hour, true},
		{"no tenth", &pol, 10, 0, 0.5, 0, false},
		{"no-retry", &pol, 1, 1 << fNoRetry, 0.5, 0, false},
		{"give-up-early last", &pol, 4, 1 << fGiveUpEarly, 0.5, 2 * time.Hour, true},
		{"give-up-early stops", &pol, 5, 1 << fGiveUpEarly, 0.5, 0, false},
		{"constant", &pol, 5, 1 << fConstantBackoff, 0.5, 5 * time.Second, true},
		{"no-jitter", &pol, 2, 1 << fNoJitter, 0, 5 * time.Minute, true},
		{"storm", &pol, 3, 1 << fRetryStorm, 0.9, 0, true},
		{"late", &pol, 1, 1 << fLateRetries, 0.5, 9500 * time.Millisecond, true},
		{"late, no jitter", &pol, 2, 1<<fLateRetries | 1<<fNoJitter, 0, 570 * time.Second, true},
		{"exp 1", &expo, 1, 0, 0, 500 * time.Millisecond, true},
		{"exp 2", &expo, 2, 0, 1, 3 * time.Second, true},
		{"exp capped", &expo, 3, 0, 1, 5 * time.Second, true},
		{"exp max attempts", &expo, 5, 0, 1, 0, false},
	} {
		got, ok := retryDelay(tc.pol, tc.n, tc.fs, tc.u)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: retryDelay(n=%d) = %v, %v; want %v, %v", tc.name, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

func TestHonorRetryAfter(t *testing.T) {
	t.Parallel()
	pol := DefaultPolicy()
	ignore := DefaultPolicy()
	ignore.RetryAfter = "ignore"
	for _, tc := range []struct {
		pol    *policy.Policy
		status int
		ra     time.Duration
		has    bool
		fs     faultSet
		want   time.Duration
	}{
		{&pol, 429, time.Minute, true, 0, time.Minute},
		{&pol, 503, time.Minute, true, 0, time.Minute},
		{&pol, 503, time.Second, true, 0, 5 * time.Second},
		{&pol, 500, time.Minute, true, 0, 5 * time.Second},
		{&pol, 429, 0, false, 0, 5 * time.Second},
		{&pol, 429, 48 * time.Hour, true, 0, time.Hour},
		{&ignore, 429, time.Minute, true, 0, 5 * time.Second},
		{&pol, 429, time.Minute, true, 1 << fIgnoreRetryAfter, 5 * time.Second},
	} {
		if got := honorRetryAfter(tc.pol, tc.status, tc.ra, tc.has, 5*time.Second, tc.fs); got != tc.want {
			t.Errorf("status %d RA %v (%v): %v, want %v", tc.status, tc.ra, tc.has, got, tc.want)
		}
	}
}

func TestReencodeAlwaysChangesBytes(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"a":1}`, `{"b": 1, "a": 2}`, `1`, `"x"`, `[]`, `{"big":12345678901234567890}`, `not json`} {
		for _, lossy := range []bool{false, true} {
			out := reencode([]byte(in), lossy)
			if bytes.Equal(out, []byte(in)) {
				t.Errorf("reencode(%s, %v) unchanged", in, lossy)
			}
			if json.Valid([]byte(in)) && !json.Valid(out) {
				t.Errorf("reencode(%s, %v) = %q: not JSON", in, lossy, out)
			}
		}
	}
	if out := reencode([]byte(`{"big":12345678901234567890}`), false); !bytes.Contains(out, []byte("12345678901234567890")) {
		t.Errorf("exact re-encoding lost precision: %s", out)
	}
}

func FuzzDecodeRequests(f *testing.F) {
	for _, s := range []string{`{"url":"http://a/"}`, `{"type":"t","payload":{}}`, `{"webhookUrl":"x"}`, `[`, `{"url":1}`,
		`{"type":"t","payload":{"a":1},"endpoints":["x"]}`, `{"secrets":["a","b"],"event_types":["t"]}`} {
		f.Add([]byte(s))
	}
	p, err := New(NewOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		var ep EndpointRequest
		if err := decodeStrict(body, &ep); err == nil {
			// Only loopback URLs are ever attempted: this does not start delivering.
			p.CreateEndpoint(ep)
		} else if err.Status != 400 {
			t.Fatalf("status %d", err.Status)
		}
		var ev EventRequest
		if err := decodeStrict(body, &ev); err == nil {
			if res, err := p.Publish(ev, ""); err == nil && res.ID == "" {
				t.Fatalf("accepted without an id")
			}
		}
	})
}
