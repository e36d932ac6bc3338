package suite

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// directProvider is a fake provider that delivers each event itself, the
// way its own users' subscriber settings say: a generic HMAC-SHA256 (hex)
// over "{id}.{body}" in X-Sig, its message id in X-Msg-Id and the event type
// in X-Kind. It retries a failed attempt once. Its registrations feed a
// shared ledger, so a test sees how many endpoints are registered at once.
type directProvider struct {
	secret  string
	client  *http.Client
	ledger  *ledger
	retries int
	gap     time.Duration

	// mu guards eps.
	mu  sync.Mutex
	eps []adapter.EndpointSpec
	wg  sync.WaitGroup
}

var _ adapter.Adapter = (*directProvider)(nil)

// ledger counts the endpoints registered across adapters.
type ledger struct {
	// mu guards every field.
	mu      sync.Mutex
	now     int
	most    int
	setups  int
	removed int
	names   []string
}

func (p *directProvider) Setup(_ context.Context, eps []adapter.EndpointSpec) error {
	p.mu.Lock()
	p.eps = append(p.eps, eps...)
	p.mu.Unlock()
	l := p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setups++
	l.now += len(eps)
	l.most = max(l.most, l.now)
	for _, ep := range eps {
		l.names = append(l.names, ep.Name)
	}
	return nil
}

func (p *directProvider) Teardown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	p.mu.Lock()
	n := len(p.eps)
	p.eps = nil
	p.mu.Unlock()
	l := p.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now -= n
	l.removed += n
	return nil
}

func (p *directProvider) Capabilities() adapter.Capabilities {
	return adapter.Capabilities{TargetEndpoints: true, EventTypes: true, EventIDs: true}
}

func (p *directProvider) Trigger(ctx context.Context, ev adapter.Event) (adapter.TriggerResult, error) {
	p.mu.Lock()
	var urls []string
	for _, ep := range p.eps {
		if slices.Contains(ev.Endpoints, ep.Name) || len(ev.Endpoints) == 0 && slices.Contains(ep.EventTypes, ev.Type) {
			urls = append(urls, ep.URL)
		}
	}
	p.mu.Unlock()
	for _, u := range urls {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.deliver(context.WithoutCancel(ctx), u, ev)
		}()
	}
	return adapter.TriggerResult{Status: 202}, nil
}

func (p *directProvider) deliver(ctx context.Context, url string, ev adapter.Event) {
	id := "msg_" + ev.ID
	mac := hmac.New(sha256.New, []byte(p.secret))
	mac.Write([]byte(id + "."))
	mac.Write(ev.Payload)
	sig := hex.EncodeToString(mac.Sum(nil))
	for range p.retries + 1 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(ev.Payload)))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Sig", sig)
		req.Header.Set("X-Msg-Id", id)
		req.Header.Set("X-Kind", ev.Type)
		resp, err := p.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return
			}
		}
		time.Sleep(p.gap)
	}
}

// directPolicy is what directProvider does: one retry after gap, no
// signature of its own (the subscriber settings name it).
func directPolicy(gap, timeout time.Duration) policy.Policy {
	return policy.Policy{MaxAttempts: 2, Backoff: policy.Backoff{Kind: "schedule", Schedule: []time.Duration{gap}, Jitter: "none"}, Timeout: timeout}
}

// genericSubscriber is a scenario's first sink endpoint for directProvider.
func genericSubscriber(secret string) *adapter.EndpointSpec {
	return &adapter.EndpointSpec{Path: "/orders", Scheme: "generic", Secret: secret,
		Options: "sig-header=X-Sig,template={id}.{body},id-header=X-Msg-Id,type-header=X-Kind"}
}

func runDirect(t *testing.T, o Options, p *directProvider) *Report {
	t.Helper()
	o.NewAdapter = func(adapter.Options) (adapter.Adapter, error) {
		return &directProvider{secret: p.secret, client: p.client, ledger: p.ledger, retries: p.retries, gap: p.gap}, nil
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func verdictOf(rs []conformance.Result, id string) conformance.Result {
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	return conformance.Result{ID: id, Summary: "not graded"}
}

// The scenario's subscriber settings (a generic scheme and its options,
// the secret, its own id and type headers) reach every suite endpoint: the
// sink verifies the provider's signatures with them and reads its ids and
// types; the wrong secret is caught.
func TestSubscriberSettingsReachEndpoints(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		signWith   string
		want61     conformance.Verdict
		wantSigned trace.SigResult
	}{
		{"the provider signs with the user's secret", "user-secret", conformance.Pass, trace.SigValid},
		{"the provider signs with another", "other-secret", conformance.Fail, trace.SigMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions()
			o.Policy, o.PolicySet = directPolicy(20*time.Millisecond, 2*time.Second), true
			o.Subscriber = genericSubscriber("user-secret")
			o.TypePrefix = "acme."
			o.Grace = 300 * time.Millisecond
			o.Eval.Only = []string{"1.1", "6.1"}
			rep := runDirect(t, o, &directProvider{secret: c.signWith, client: &http.Client{Timeout: 5 * time.Second}, ledger: &ledger{}, gap: 20 * time.Millisecond, retries: 1})
			if r := verdictOf(rep.Results, "6.1"); r.Verdict != c.want61 {
				t.Errorf("6.1 %s, want %s: %s", r.Verdict, c.want61, r.Summary)
			}
			if rep.Policy.Scheme != "generic" {
				t.Errorf("graded scheme %q, want the subscriber's generic", rep.Policy.Scheme)
			}
			var deliver, sign int
			for i := range rep.Trace.Attempts {
				a := &rep.Trace.Attempts[i]
				switch a.Endpoint {
				case "/f/deliver":
					deliver++
					if a.MsgID != "msg_"+a.EventID || a.EventType != "acme.deliver" {
						t.Errorf("deliver attempt: message id %q, type %q; want msg_%s from X-Msg-Id and acme.deliver from X-Kind", a.MsgID, a.EventType, a.EventID)
					}
				case "/f/sign":
					sign++
					if a.Sig != c.wantSigned {
						t.Errorf("sign attempt: signature %s, want %s", a.Sig, c.wantSigned)
					}
				}
			}
			if deliver == 0 || sign == 0 {
				t.Fatalf("no attempts reached /f/deliver (%d) or /f/sign (%d)", deliver, sign)
			}
		})
	}
}

// The sink cuts a hang at the scenario's max_hang: a provider that never
// gives up is seen waiting that long, not DefaultMaxHang.
func TestSubscriberMaxHang(t *testing.T) {
	t.Parallel()
	o := NewOptions()
	o.Policy, o.PolicySet = directPolicy(20*time.Millisecond, 100*time.Millisecond), true
	o.Subscriber = genericSubscriber("user-secret")
	o.MaxHang = 600 * time.Millisecond
	o.Grace = 300 * time.Millisecond
	o.Eval.Only, o.Eval.Slack = []string{"5.1"}, 5*time.Millisecond
	rep := runDirect(t, o, &directProvider{secret: "user-secret", client: &http.Client{}, ledger: &ledger{}, gap: 20 * time.Millisecond, retries: 1})
	if r := verdictOf(rep.Results, "5.1"); r.Verdict != conformance.Fail {
		t.Errorf("5.1 %s, want FAIL (the provider has no timeout): %s", r.Verdict, r.Summary)
	}
	hung := 0
	for _, a := range rep.Trace.Attempts {
		if a.Endpoint == "/f/timeout" && a.HandleNs >= int64(o.MaxHang) {
			hung++
			if a.HandleNs >= int64(DefaultMaxHang) {
				t.Errorf("an attempt hung %v: the sink ignored max hang %v", time.Duration(a.HandleNs), o.MaxHang)
			}
		}
	}
	if hung == 0 {
		t.Error("no attempt hung until the cap")
	}
}

// With MaxEndpoints, no more endpoints are registered at once than allowed,
// and every endpoint is registered once.
func TestBatches(t *testing.T) {
	t.Parallel()
	l := &ledger{}
	o := NewOptions()
	o.Policy, o.PolicySet = directPolicy(20*time.Millisecond, 2*time.Second), true
	o.Subscriber = genericSubscriber("user-secret")
	o.Grace = 300 * time.Millisecond
	o.Eval.Only = []string{"1"}
	o.MaxEndpoints = 4
	// runDirect's provider grades, not the embedded reference.
	o.NewAdapter = func(adapter.Options) (adapter.Adapter, error) { return nil, errors.New("replaced by runDirect") }
	want, err := Registrations(&o)
	if err != nil {
		t.Fatal(err)
	}
	rep := runDirect(t, o, &directProvider{secret: "user-secret", client: &http.Client{Timeout: 5 * time.Second}, ledger: l, gap: 20 * time.Millisecond, retries: 1})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.most > o.MaxEndpoints {
		t.Errorf("%d endpoints registered at once, want at most %d", l.most, o.MaxEndpoints)
	}
	if batches := want[len(want)-1].Batch; l.setups != batches || batches < 2 {
		t.Errorf("%d setups, want one per batch (%d, at least 2)", l.setups, batches)
	}
	var names []string
	for _, r := range want {
		names = append(names, r.Path)
	}
	if slices.Sort(l.names); !slices.Equal(l.names, slices.Sorted(slices.Values(names))) {
		t.Errorf("registered %v, want %v", l.names, names)
	}
	if l.now != 0 || l.removed != len(want) {
		t.Errorf("%d endpoints left registered, %d removed; want 0 and %d", l.now, l.removed, len(want))
	}
	if r := verdictOf(rep.Results, "1.1"); r.Verdict != conformance.Pass {
		t.Errorf("1.1 %s, want PASS: %s", r.Verdict, r.Summary)
	}
}
