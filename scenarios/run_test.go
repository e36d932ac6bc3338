package scenarios

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"

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

// TestRunSeed003 runs examples/seed003.yaml against the seed 003 imitation:
// the deliveries carry no id, so the run tracks them by count.
func TestRunSeed003(t *testing.T) {
	t.Parallel()
	srv := newSeed003Server(t)
	sc, err := Load("../examples/seed003.yaml", map[string]string{"PROVIDER_URL": srv.URL})
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
