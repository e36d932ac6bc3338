package conformance

import (
	"math"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// countSpent reports whether attempt n is the last max_attempts allows
// (never under an unlimited policy).
func countSpent(p *policy.Policy, n int) bool { return p.MaxAttempts > 0 && n >= p.MaxAttempts }

// windowEnd is the instant (ns) the retry window of a delivery whose first
// attempt is first closes, and false when the policy declares none.
func windowEnd(p *policy.Policy, first *trace.Attempt) (int64, bool) {
	if p.RetryWindow <= 0 || first == nil || first.ArrivalNs > math.MaxInt64-int64(p.RetryWindow) {
		return 0, false
	}
	return first.ArrivalNs + int64(p.RetryWindow), true
}
