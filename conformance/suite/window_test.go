package suite

import (
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
)

// windowPolicy is an unlimited policy: a repeating 200/400/800 s schedule
// (±20 %) for as long as a 3000 s retry window lasts, before time scaling
// (200 ms ... 3 s in the suite).
func windowPolicy() policy.Policy {
	p := ReferencePolicy()
	p.MaxAttempts = policy.Unlimited
	p.RetryWindow = 3000 * time.Second
	p.Backoff.Schedule = []time.Duration{200 * time.Second, 400 * time.Second, 800 * time.Second}
	p.Backoff.Repeat = true
	return p
}

// windowGroups are the groups the window table grades: delivery, retries,
// backoff.
var windowGroups = []string{"1", "2", "3"}

// windowFaultTable is the fault table of a reference that declares and
// keeps windowPolicy, graded on windowGroups.
var windowFaultTable = []faultRow{
	{fault: ""},
	// It stops after 4 attempts although the window has room for 8: the
	// events needing more than that are lost too.
	{fault: "give-up-early", fail: []string{"2.7"}},
	{fault: "no-retry", fail: []string{"1.5", "2.1", "2.2", "2.3", "2.4", "2.6", "2.7"}},
	{fault: "ignore-retry-window", fail: []string{"2.7"}},
}

// TestSuiteFaultsRetryWindow runs windowFaultTable: an unlimited policy
// bounded by a retry window, kept (clean) and broken.
func TestSuiteFaultsRetryWindow(t *testing.T) {
	for _, row := range windowFaultTable {
		name, ok := picked(row.fault)
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			o := testOptions(row.fault)
			o.Policy, o.PolicySet = windowPolicy(), true
			o.Eval.Only = windowGroups
			rep := runSteady(t, o, row.fail, row.warn, 2*time.Minute)
			if !rep.Policy.Unlimited() || rep.Policy.RetryWindow != 3*time.Second {
				t.Fatalf("graded policy: max_attempts %d, retry_window %s; want unlimited within 3s", rep.Policy.MaxAttempts, rep.Policy.RetryWindow)
			}
			if m := mismatch(rep.Results, row.fail, row.warn); m != "" {
				t.Error(m)
			}
			if row.fault == "" {
				if skips := verdictSet(rep.Results, conformance.Skip); len(skips) > 0 {
					t.Errorf("clean reference: SKIP %v, want none%s", skips, explain(rep.Results, skips))
				}
			}
			for _, r := range rep.Results {
				t.Logf("%s %s: %s", r.ID, r.Verdict, r.Summary)
			}
		})
	}
}
