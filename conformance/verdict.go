package conformance

import "strconv"

// Verdict is the outcome of one check, after Autobahn and h2spec.
type Verdict uint8

// Verdicts, from best to worst for sorting and summaries.
const (
	Pass Verdict = iota // the rule holds
	Info                // a fact worth knowing, not graded
	Skip                // the run could not observe it (Result.Summary says why)
	Warn                // breaks a SHOULD or a recommendation (--strict: fail)
	Fail                // breaks a MUST or the declared policy
)

var verdictNames = [...]string{"PASS", "INFO", "SKIP", "WARN", "FAIL"}

// String returns "PASS", "INFO", "SKIP", "WARN" or "FAIL".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "verdict(" + strconv.Itoa(int(v)) + ")"
}

// Evidence is one observation behind a verdict, concrete enough to find in
// the trace: which event, at which endpoint, what was expected and seen.
type Evidence struct {
	EventID  string  `json:"event_id,omitempty"`
	MsgID    string  `json:"msg_id,omitempty"`
	Endpoint string  `json:"endpoint,omitempty"`
	Expected string  `json:"expected,omitempty"`
	Observed string  `json:"observed,omitempty"`
	TimesMs  []int64 `json:"times_ms,omitempty"` // attempt arrival times, ms since start
}

// Result is one check's verdict with its evidence.
type Result struct {
	ID       string     `json:"id"`     // stable, e.g. "3.2"
	Title    string     `json:"title"`  // the requirement in one line
	Source   string     `json:"source"` // spec section or provider documentation
	Verdict  Verdict    `json:"-"`
	Summary  string     `json:"summary"` // one line: why this verdict
	Evidence []Evidence `json:"evidence,omitempty"`
	// Count is what Summary counts, when it counts items (nil otherwise):
	// the numbers the summary quotes, kept for checking them against the
	// trace (CheckCounts).
	Count *Count `json:"-"`
}
