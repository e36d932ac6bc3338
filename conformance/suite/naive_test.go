package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/adapter"
	"github.com/hookbench/hookbench/conformance"
)

// The seeds' naive systems, imitated in a few lines each, graded by the
// suite: they must fail the retry and signature checks with readable
// evidence, and the run must end (no hang) with a report.

// minimalServer imitates the minimal server's webhook server: POST /webhook registers
// {"webhookUrl"}, POST /trigger sends one fixed, unsigned event to every
// registered URL, once, never retrying.
func minimalServer(tb testing.TB) *httptest.Server {
	var mu sync.Mutex
	var hooks []string
	client := &http.Client{Timeout: 10 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			WebhookURL string `json:"webhookUrl"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.WebhookURL == "" {
			http.Error(w, "Missing webhookUrl", http.StatusBadRequest)
			return
		}
		mu.Lock()
		hooks = append(hooks, req.WebhookURL)
		mu.Unlock()
		w.Write([]byte("Webhook registered successfully!"))
	})
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		urls := slices.Clone(hooks)
		mu.Unlock()
		event := []byte(`{"type":"new_order","data":{"orderID":123}}`)
		for _, u := range urls {
			go func() {
				resp, err := client.Post(u, "application/json", bytes.NewReader(event))
				if err == nil {
					resp.Body.Close()
				}
			}()
		}
		w.Write([]byte("Event triggered!"))
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// naiveAdapter drives a naive system with plain HTTP; fields are the steps.
type naiveAdapter struct {
	caps    adapter.Capabilities
	setup   func(ctx context.Context, eps []adapter.EndpointSpec) error
	trigger func(ctx context.Context, ev adapter.Event) (adapter.TriggerResult, error)
}

var _ adapter.Adapter = (*naiveAdapter)(nil)

func (a *naiveAdapter) Setup(ctx context.Context, eps []adapter.EndpointSpec) error {
	return a.setup(ctx, eps)
}
func (a *naiveAdapter) Trigger(ctx context.Context, ev adapter.Event) (adapter.TriggerResult, error) {
	return a.trigger(ctx, ev)
}
func (a *naiveAdapter) Teardown(context.Context) error     { return nil }
func (a *naiveAdapter) Capabilities() adapter.Capabilities { return a.caps }

func post(ctx context.Context, url, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func minimalAdapter(srv *httptest.Server) *naiveAdapter {
	return &naiveAdapter{
		setup: func(ctx context.Context, eps []adapter.EndpointSpec) error {
			for _, ep := range eps {
				b, _ := json.Marshal(map[string]string{"webhookUrl": ep.URL})
				if _, err := post(ctx, srv.URL+"/webhook", string(b)); err != nil {
					return err
				}
			}
			return nil
		},
		trigger: func(ctx context.Context, ev adapter.Event) (adapter.TriggerResult, error) {
			st, err := post(ctx, srv.URL+"/trigger", "{}")
			return adapter.TriggerResult{Status: st}, err
		},
	}
}

// senderAdapter imitates a hand-written sender: the "provider" is a function
// that POSTs the payload once to the endpoint, logs an error and moves on.
func senderAdapter() *naiveAdapter {
	var mu sync.Mutex
	urls := map[string]string{}
	return &naiveAdapter{
		caps: adapter.Capabilities{TargetEndpoints: true, EventIDs: true},
		setup: func(_ context.Context, eps []adapter.EndpointSpec) error {
			mu.Lock()
			defer mu.Unlock()
			for _, ep := range eps {
				urls[ep.Name] = ep.URL
			}
			return nil
		},
		trigger: func(ctx context.Context, ev adapter.Event) (adapter.TriggerResult, error) {
			for _, name := range ev.Endpoints {
				mu.Lock()
				u := urls[name]
				mu.Unlock()
				go func() {
					c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
					defer cancel()
					post(c, u, string(ev.Payload)) // "console.error" and move on
				}()
			}
			return adapter.TriggerResult{Status: 200}, nil
		},
	}
}

func TestNaiveSystems(t *testing.T) {
	t.Parallel()
	// Both claim the policy the reference runs by default (Standard
	// Webhooks, time-scaled): the suite holds them to it.
	policy := ReferencePolicy().Scaled(DefaultTimeScale)
	cases := []struct {
		name string
		// only: the minimal server broadcasts every event to every endpoint and
		// carries no ids, so fragments run one by one: grade the delivery,
		// retry, signature and lifecycle groups to keep the test short.
		only []string
		ad   func(t *testing.T) adapter.Adapter
		// must FAIL: retries and signatures at least
		fail []string
	}{
		{"minimal server", []string{"1", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "6", "7.4", "8"}, func(t *testing.T) adapter.Adapter { return minimalAdapter(minimalServer(t)) },
			[]string{"2.1", "2.2", "2.3", "2.4", "6.1"}},
		{"hand-written sender", nil, func(t *testing.T) adapter.Adapter { return senderAdapter() },
			[]string{"1.5", "2.1", "2.2", "2.3", "2.4", "2.6", "5.1", "6.1", "7.4", "11.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := NewOptions()
			o.Policy, o.PolicySet = policy, true
			o.NewAdapter = func(adapter.Options) (adapter.Adapter, error) { return c.ad(t), nil }
			o.LoadEvents = 30
			o.Eval.Only = c.only
			// missing lists the expected FAILs that are not FAILs.
			missing := func(rs []conformance.Result) []string {
				var out []string
				for _, id := range c.fail {
					if !slices.ContainsFunc(rs, func(r conformance.Result) bool { return r.ID == id && r.Verdict == conformance.Fail }) {
						out = append(out, id)
					}
				}
				return out
			}
			// As in TestSuiteFaults, a run the machine stalled (a naive
			// sender's posts arriving after the fragment ended) is run again.
			var rep *Report
			for attempt := 1; ; attempt++ {
				ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
				var err error
				rep, err = Run(ctx, o)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if attempt == 3 || rep.MaxStall < maxStall || len(missing(rep.Results)) == 0 {
					break
				}
				t.Logf("run again: the machine stalled the process for %s", rep.MaxStall.Round(time.Millisecond))
			}
			var b bytes.Buffer
			conformance.WriteText(&b, rep.Results, conformance.TextOptions{Title: c.name})
			out := b.String()
			for _, id := range missing(rep.Results) {
				t.Errorf("%s: want FAIL (longest stall %s)%s", id, rep.MaxStall.Round(time.Millisecond), explain(rep.Results, []string{id}))
			}
			for _, r := range rep.Results {
				if slices.Contains(c.fail, r.ID) && r.Verdict == conformance.Fail && (len(r.Evidence) == 0 || r.Evidence[0].Expected == "" || r.Evidence[0].Observed == "") {
					t.Errorf("%s: FAIL without readable evidence: %+v", r.ID, r)
				}
			}
			if !conformance.Failed(rep.Results) || !strings.Contains(out, "[FAIL] 2.1") {
				t.Errorf("report does not show the failures:\n%s", out)
			}
			t.Logf("%s graded in %s: %+v", c.name, rep.Wall.Round(time.Millisecond), conformance.Tally(rep.Results))
			if testing.Verbose() {
				t.Log("\n" + out)
			}
		})
	}
}
