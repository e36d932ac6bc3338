package suite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
)

// genericPolicy is the reference policy signing "X-Signature:
// t=<unix>,v1=<hex>" over "<t>,<body>" with the generic scheme.
func genericPolicy() policy.Policy {
	p := ReferencePolicy()
	p.Scheme = "generic"
	p.SchemeOptions = map[string]string{"header": "X-Signature", "timestamp_param": "t", "signature_param": "v1", "template": "{timestamp},{body}"}
	return p
}

// TestSignatureChecksGeneric: the signature checks against the reference
// provider signing with the generic scheme (configured by the policy
// alone), and the sink naming what a provider signed instead of the raw
// bytes: 6.2 fails with the re-encoding named.
func TestSignatureChecksGeneric(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fault string
		generic     bool
		want        map[string]conformance.Verdict
		summary     map[string]string
	}{
		{name: "generic/clean", generic: true,
			want:    map[string]conformance.Verdict{"6.1": conformance.Pass, "6.2": conformance.Pass, "6.3": conformance.Pass, "6.5": conformance.Info},
			summary: map[string]string{"6.5": "signs a timestamp"}},
		{name: "generic/sign-reserialised-body", fault: "sign-reserialised-body", generic: true,
			want:    map[string]conformance.Verdict{"6.1": conformance.Fail, "6.2": conformance.Fail},
			summary: map[string]string{"6.2": "the signature covers the JSON serialised again with keys sorted, numbers normalised and <, > and & escaped, not the bytes sent"}},
		{name: "generic/bad-signature", fault: "bad-signature", generic: true,
			want: map[string]conformance.Verdict{"6.1": conformance.Fail, "6.2": conformance.Fail}},
		{name: "standard/sign-reserialised-body", fault: "sign-reserialised-body",
			want:    map[string]conformance.Verdict{"6.1": conformance.Fail, "6.2": conformance.Fail},
			summary: map[string]string{"6.2": "keys sorted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := testOptions(tc.fault)
			o.Eval.Only = []string{"6.1", "6.2", "6.3", "6.5"}
			if tc.generic {
				o.Policy, o.PolicySet = genericPolicy(), true
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			rep, err := Run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Results {
				want, ok := tc.want[r.ID]
				if !ok {
					continue
				}
				t.Logf("%s %s: %s", r.ID, r.Verdict, r.Summary)
				if r.Verdict != want {
					t.Errorf("%s: %s %q, want %s", r.ID, r.Verdict, r.Summary, want)
				}
				if s := tc.summary[r.ID]; s != "" && !strings.Contains(r.Summary, s) {
					t.Errorf("%s: summary %q, want it to say %q", r.ID, r.Summary, s)
				}
			}
		})
	}
}
