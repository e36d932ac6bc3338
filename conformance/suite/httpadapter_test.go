package suite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/trace"
)

// TestHTTPAdapterSecretRotation grades check 6.7 through the generic http
// adapter (examples/reference-http.yaml and its rotate_secret step) against
// the reference provider's HTTP API: PASS when the provider keeps signing
// with the old secret during the overlap, FAIL when it drops it at once.
func TestHTTPAdapterSecretRotation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fault string
		want  conformance.Verdict
	}{{"", conformance.Pass}, {"drop-old-secret", conformance.Fail}} {
		t.Run("fault="+c.fault, func(t *testing.T) {
			t.Parallel()
			var faults []string
			if c.fault != "" {
				faults = []string{c.fault}
			}
			p := startReferenceAPI(t, faults...)
			sc, err := scenarios.Load("../../examples/reference-http.yaml", map[string]string{"PROVIDER_URL": p.URL()})
			if err != nil {
				t.Fatal(err)
			}
			o := NewOptions()
			o.Provider = sc.Provider
			o.Policy, o.PolicySet = p.Policy(), true
			o.TypeHeader = ReferenceTypeHeader
			o.Eval.Only = []string{"6.7"}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			rep, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Capabilities.RotateSecret {
				t.Errorf("capabilities %+v", rep.Capabilities)
			}
			for _, r := range rep.Results {
				if r.ID == "6.7" {
					t.Logf("6.7 %s: %s", r.Verdict, r.Summary)
				}
				if r.ID == "6.7" && r.Verdict != c.want {
					t.Errorf("6.7 = %s (%s), want %s; fragments %+v", r.Verdict, r.Summary, c.want, rep.Fragments)
				}
			}
		})
	}
}

// startReferenceAPI starts a reference provider with the suite's policy for
// an out-of-process style run through the http adapter.
func startReferenceAPI(t *testing.T, faults ...string) *provider.Provider {
	t.Helper()
	ro := provider.NewOptions()
	ro.Policy = ReferencePolicy()
	ro.TimeScale = DefaultTimeScale
	ro.Faults = faults
	p, err := provider.New(ro)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestHTTPAdapterEndpointAimed drives the reference through a trigger aimed
// at one endpoint at a time ({{endpoint.endpoint_id}}): fan-out still
// passes, event-type routing SKIPs (hookbench routes), and a deleted
// endpoint that keeps receiving fails 8.3.
func TestHTTPAdapterEndpointAimed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fault string
		want  map[string]conformance.Verdict
	}{
		{"", map[string]conformance.Verdict{"1.3": conformance.Pass, "1.4": conformance.Skip, "8.3": conformance.Pass}},
		{"deliver-to-deleted-endpoint", map[string]conformance.Verdict{"8.3": conformance.Fail}},
	} {
		t.Run("fault="+c.fault, func(t *testing.T) {
			t.Parallel()
			var faults []string
			if c.fault != "" {
				faults = []string{c.fault}
			}
			p := startReferenceAPI(t, faults...)
			sc, err := scenarios.Load("../../examples/reference-http.yaml", map[string]string{"PROVIDER_URL": p.URL()})
			if err != nil {
				t.Fatal(err)
			}
			o := NewOptions()
			o.Provider = sc.Provider
			o.Provider.HTTP.Trigger.Body = `{"type":"{{type}}","payload":{{payload}},"endpoints":["{{endpoint.endpoint_id}}"]}`
			o.Policy, o.PolicySet = p.Policy(), true
			o.TypeHeader = ReferenceTypeHeader
			o.Eval.Only = []string{"1.3", "1.4", "8.3"}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			rep, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Results {
				if want, ok := c.want[r.ID]; ok && r.Verdict != want {
					t.Errorf("%s = %s (%s), want %s", r.ID, r.Verdict, r.Summary, want)
				}
			}
		})
	}
}

func TestReportNothingSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		sent  []trace.Sent
		notes []string
		want  string
	}{
		{"no triggers", nil, nil, ""},
		{"one accepted", []trace.Sent{{Status: 500}, {Status: 202}}, nil, ""},
		{"none accepted", []trace.Sent{{Err: trace.ErrOther}, {Status: 400}, {Status: 400}, {Status: 503}},
			[]string{"trigger e1: trigger: body: template value {{x}} is not known here"},
			"none of the 4 triggers was accepted (1 failed before an answer, 2 answered 400, 1 answered 503); first: trigger e1: trigger: body: template value {{x}} is not known here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Trace: &trace.Trace{Sent: tt.sent}, Fragments: []FragmentRun{{ID: "a"}, {ID: "b", Notes: tt.notes}}}
			got, ok := rep.NothingSent()
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("NothingSent = %q %v\nwant %q", got, ok, tt.want)
			}
			if strings.Contains(got, "\n") {
				t.Error("reason spans lines")
			}
		})
	}
}
