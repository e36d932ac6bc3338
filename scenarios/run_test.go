package scenarios

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/trace"
)

func marksOf(tr *trace.Trace, typ string) []trace.Mark {
	var out []trace.Mark
	for _, m := range tr.Marks {
		if m.Type == typ {
			out = append(out, m)
		}
	}
	return out
}

func runTrace(t *testing.T, ctx context.Context, sc *Scenario) (*RunResult, *trace.Trace) {
	t.Helper()
	var buf bytes.Buffer
	opts := NewRunOptions()
	opts.TraceOut = &buf
	opts.Args = []string{"hookbench", "run", sc.File}
	var mu sync.Mutex
	calls := 0
	opts.OnProgress = func(Progress) { mu.Lock(); calls++; mu.Unlock() }
	res, err := Run(ctx, sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("OnProgress never called")
	}
	tr, err := trace.Read(&buf)
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	if tr.Dropped != 0 {
		t.Errorf("trace dropped %d bytes", tr.Dropped)
	}
	return res, tr
}

// TestRunSvix runs examples/svix.yaml end to end against the Svix-style
// imitation: the generator triggers messages, the provider delivers them
// signed with the secret it generated, the sink verifies them.
func TestRunSvix(t *testing.T) {
	t.Parallel()
	const token = "sk_run_test"
	srv := newSvixServer(t, token)
	sc, err := Load("../examples/svix.yaml", map[string]string{"SVIX_URL": srv.URL, "SVIX_TOKEN": token})
	if err != nil {
		t.Fatal(err)
	}
	res, tr := runTrace(t, t.Context(), sc)
	if !res.Drained || res.Interrupted {
		t.Errorf("drained %v interrupted %v; progress %+v; warnings %v", res.Drained, res.Interrupted, res.Progress, res.Warnings)
	}
	if len(tr.Sent) == 0 || uint64(len(tr.Sent)) != res.Progress.Sent {
		t.Fatalf("sent records %d, progress %+v", len(tr.Sent), res.Progress)
	}
	byEvent := map[string]map[string]bool{}
	for _, a := range tr.Attempts {
		if a.Sig != trace.SigValid {
			t.Errorf("attempt at %s: signature %v, want valid (secret read back from the provider)", a.Endpoint, a.Sig)
		}
		if byEvent[a.EventID] == nil {
			byEvent[a.EventID] = map[string]bool{}
		}
		byEvent[a.EventID][a.Endpoint] = true
	}
	for _, s := range tr.Sent {
		if s.Status != 202 || !strings.HasPrefix(s.ProviderID, "msg_") {
			t.Errorf("sent %+v", s)
		}
		if !byEvent[s.EventID]["/all"] {
			t.Errorf("event %s never reached /all", s.EventID)
		}
		if byEvent[s.EventID]["/invoices"] != (s.Type == "invoice.paid") {
			t.Errorf("event %s of type %s at /invoices: %v", s.EventID, s.Type, byEvent[s.EventID]["/invoices"])
		}
	}
	if len(marksOf(tr, "policy")) != 1 || len(marksOf(tr, "phase")) < 3 {
		t.Errorf("marks %+v", tr.Marks)
	}
	for _, m := range tr.Marks {
		for _, secret := range res.Endpoints {
			if secret.Secret != "" && secret.Secret != Redacted {
				t.Errorf("result shows a secret: %+v", secret)
			}
		}
		if strings.Contains(m.Detail, token) || strings.Contains(m.Detail, "whsec_") {
			t.Errorf("mark leaks a secret: %+v", m)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.apps) != 0 || len(srv.endpoints) != 0 {
		t.Errorf("teardown left %d apps, %d endpoints", len(srv.apps), len(srv.endpoints))
	}
}

// TestRunMinimal runs examples/minimal-server.yaml against the minimal-server imitation:
// the deliveries carry no id, so the run tracks them by count.
func TestRunMinimal(t *testing.T) {
	t.Parallel()
	srv := newMinimalServer(t)
	sc, err := Load("../examples/minimal-server.yaml", map[string]string{"PROVIDER_URL": srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	res, tr := runTrace(t, t.Context(), sc)
	if !res.Progress.ByCount || res.Capabilities.EventIDs {
		t.Errorf("progress %+v caps %+v", res.Progress, res.Capabilities)
	}
	if !res.Drained {
		t.Errorf("not drained: %+v %v", res.Progress, res.Warnings)
	}
	if len(tr.Attempts) != len(tr.Sent) || len(tr.Sent) == 0 {
		t.Errorf("%d attempts for %d triggers", len(tr.Attempts), len(tr.Sent))
	}
	for _, a := range tr.Attempts {
		if a.EventID != "" || a.MsgID != "" || a.Sig != trace.SigNone || a.Status != 200 {
			t.Errorf("attempt %+v", a)
		}
	}
	if len(res.Capabilities.Notes) == 0 {
		t.Error("no capability notes (no id in deliveries, no secret)")
	}
}

// TestRunCancel cancels a run mid-phase: Run returns promptly with a
// readable trace and Interrupted set, and teardown still runs.
func TestRunCancel(t *testing.T) {
	t.Parallel()
	const token = "tok"
	srv := newSvixServer(t, token)
	src := strings.Replace(mustRead(t, "../examples/svix.yaml"), "duration: 2s", "duration: 1h", 1)
	sc, err := Parse("svix-long.yaml", []byte(src), map[string]string{"SVIX_URL": srv.URL, "SVIX_TOKEN": token})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var buf bytes.Buffer
	opts := NewRunOptions()
	opts.TraceOut = &buf
	opts.ProgressInterval = 10_000_000 // 10 ms
	var once sync.Once
	opts.OnProgress = func(p Progress) {
		if p.Delivered >= 3 {
			once.Do(cancel)
		}
	}
	res, err := Run(ctx, sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Drained {
		t.Errorf("interrupted %v drained %v", res.Interrupted, res.Drained)
	}
	tr, err := trace.Read(&buf)
	if err != nil || tr.Dropped != 0 {
		t.Fatalf("trace after cancel: %v (dropped %d)", err, tr.Dropped)
	}
	found := false
	for _, m := range tr.Marks {
		found = found || (m.Type == "note" && m.Name == "interrupted")
	}
	if !found || len(tr.Attempts) < 3 {
		t.Errorf("marks %+v, %d attempts", tr.Marks, len(tr.Attempts))
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.apps) != 0 {
		t.Error("teardown did not run after cancel")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunReference runs a short scenario end to end against the embedded
// reference provider: retries (503 twice), a rule change with a restore,
// a provider crash and restart, the sink down for a while and an endpoint
// down and up. Every accepted event must still be delivered.
func TestRunReference(t *testing.T) {
	t.Parallel()
	src := `name: reference-e2e
seed: 11
provider:
  adapter: reference
  reference:
    time_scale: 0.001
policy:
  profile: standard-webhooks
  max_attempts: 10
  timeout: 5m
  backoff: {kind: schedule, schedule: [5s, 30s, 1m, 2m, 2m, 2m, 2m, 2m, 2m], jitter: proportional, jitter_frac: 0.2}
sink:
  endpoints:
    - path: /a
      event_types: [order.created]
    - path: /b
  rules:
    - endpoint=/a,attempt=1-2,status=503
phases:
  - name: load
    duration: 1500ms
    rate: 40
    event_types: [order.created, order.paid]
    sink:
      - at: 100ms
        endpoint: /b
        rules: [status=500]
        for: 300ms
    chaos:
      - at: 500ms
        action: provider-restart
      - at: 800ms
        action: sink-down
        for: 200ms
      - at: 1100ms
        action: endpoint-down
        endpoint: /b
        for: 200ms
  - name: quiet
    duration: 200ms
drain: 20s
`
	sc, err := Parse("e2e.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, tr := runTrace(t, t.Context(), sc)
	if !res.Drained || res.Progress.Outstanding != 0 {
		t.Fatalf("not drained: %+v, warnings %v", res.Progress, res.Warnings)
	}
	if res.Policy.Backoff.Schedule[0] != 5*time.Millisecond || !res.Policy.Persistent {
		t.Errorf("effective policy not the provider's scaled, persistent one: %+v", res.Policy)
	}
	ok := map[string]map[string]bool{}
	for _, a := range tr.Attempts {
		if a.Sig != trace.SigValid && a.Status != 0 {
			t.Errorf("attempt %+v: signature %v", a, a.Sig)
		}
		if a.Status >= 200 && a.Status < 300 {
			if ok[a.EventID] == nil {
				ok[a.EventID] = map[string]bool{}
			}
			ok[a.EventID][a.Endpoint] = true
		}
	}
	accepted := 0
	for _, s := range tr.Sent {
		if s.Status != 202 || s.DuplicateOf != "" {
			continue
		}
		accepted++
		if !ok[s.EventID]["/b"] {
			t.Errorf("event %s never delivered to /b", s.EventID)
		}
		if ok[s.EventID]["/a"] != (s.Type == "order.created") {
			t.Errorf("event %s (%s) delivered to /a: %v", s.EventID, s.Type, ok[s.EventID]["/a"])
		}
	}
	if accepted < 30 {
		t.Errorf("only %d events accepted", accepted)
	}
	want := map[string]bool{"provider/restart": false, "note/chaos": false, "behavior//b": false, "phase/quiet": false, "phase/drain": false, "policy/standard-webhooks": false}
	for _, m := range tr.Marks {
		k := m.Type + "/" + m.Name
		if _, ok := want[k]; ok {
			want[k] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no %s mark", k)
		}
	}
	retried := false
	for _, a := range tr.Attempts {
		retried = retried || (a.Endpoint == "/a" && a.Nth == 3 && a.Status == 200)
	}
	if !retried {
		t.Error("no event at /a was delivered on its third attempt")
	}
}

// startReference starts a reference provider for the http and command
// adapters to drive through its public API.
func startReference(t *testing.T) *provider.Provider {
	t.Helper()
	o := provider.NewOptions()
	o.TimeScale = 0.001
	o.Policy.Timeout = 5 * time.Minute // 300 ms scaled: no spurious timeouts under -race
	p, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func checkAllDelivered(t *testing.T, res *RunResult, tr *trace.Trace) {
	t.Helper()
	if !res.Drained || res.Progress.Accepted == 0 || res.Progress.Delivered != res.Progress.Accepted {
		t.Errorf("progress %+v, warnings %v", res.Progress, res.Warnings)
	}
	for _, a := range tr.Attempts {
		if a.Sig != trace.SigValid || a.EventID == "" {
			t.Errorf("attempt %+v", a)
		}
	}
	for _, s := range tr.Sent {
		if s.ProviderID == "" {
			t.Errorf("no provider id in %+v", s)
		}
	}
}

// TestRunReferenceHTTP drives the reference provider's own API with the
// generic http adapter (examples/reference-http.yaml).
func TestRunReferenceHTTP(t *testing.T) {
	t.Parallel()
	p := startReference(t)
	sc, err := Load("../examples/reference-http.yaml", map[string]string{"PROVIDER_URL": p.URL()})
	if err != nil {
		t.Fatal(err)
	}
	res, tr := runTrace(t, t.Context(), sc)
	checkAllDelivered(t, res, tr)
	if !res.Capabilities.SetSecret || !res.Capabilities.IdempotencyKey || !res.Capabilities.DeleteEndpoint {
		t.Errorf("capabilities %+v", res.Capabilities)
	}
	if n := len(p.Endpoints()); n != 0 {
		t.Errorf("teardown left %d endpoints", n)
	}
}

// TestRunCommand drives the reference provider through curl with the
// command adapter (examples/command.yaml).
func TestRunCommand(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	p := startReference(t)
	sc, err := Load("../examples/command.yaml", map[string]string{"PROVIDER_URL": p.URL()})
	if err != nil {
		t.Fatal(err)
	}
	res, tr := runTrace(t, t.Context(), sc)
	checkAllDelivered(t, res, tr)
	if len(tr.Sent) < 5 {
		t.Errorf("only %d triggers", len(tr.Sent))
	}
}
