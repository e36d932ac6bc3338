package conformance_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// Grading a (tiny, hand-made) trace: two events were triggered in the
// deliver fragment, one never arrived, the other arrived twice under two
// different message ids.
func ExampleEvaluate() {
	frag, _ := json.Marshal(conformance.Fragment{Endpoints: []string{"/f/deliver"}, EventPrefix: "deliver/"})
	tr := &trace.Trace{
		Marks: []trace.Mark{{Type: trace.FragmentMark, Name: conformance.FragDeliver, Detail: string(frag)}},
		Sent: []trace.Sent{
			{EventID: "deliver/1", Type: "order.created", SentNs: 1e6, Status: 202},
			{EventID: "deliver/2", Type: "order.created", SentNs: 2e6, Status: 202},
		},
		Attempts: []trace.Attempt{
			{Endpoint: "/f/deliver", EventID: "deliver/1", EventType: "order.created", MsgID: "msg_a", ArrivalNs: 3e6, Status: 200},
			{Endpoint: "/f/deliver", EventID: "deliver/1", EventType: "order.created", MsgID: "msg_b", ArrivalNs: 4e6, Status: 200},
		},
	}
	p := policy.Policy{MaxAttempts: 1, Timeout: 15e9}
	rs, err := conformance.Evaluate(tr, &p, conformance.Options{Only: []string{"1", "7.6"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs {
		fmt.Printf("%s %s: %s\n", r.ID, r.Verdict, r.Summary)
	}
	// Output:
	// 1.1 FAIL: 1 of 2 event deliveries broke the rule
	// 1.2 WARN: 1 of 1 deliveries broke the rule
	// 1.3 SKIP: the trace has no fragment "fanout" (not a conformance-suite run, or the fragment was left out)
	// 1.4 SKIP: the trace has no fragment "types" (not a conformance-suite run, or the fragment was left out)
	// 1.5 SKIP: the trace has no fragment "recover" (not a conformance-suite run, or the fragment was left out)
	// 7.6 FAIL: 1 of 1 duplicated events broke the rule
}

// The h2spec-style tree for a result.
func ExampleWriteText() {
	rs := []conformance.Result{{ID: "2.1", Title: "5xx answers are retried", Source: "Standard Webhooks", Verdict: conformance.Fail,
		Summary:  "1 of 1 5xx answers broke the rule",
		Evidence: []conformance.Evidence{{EventID: "retry-5xx/1", Endpoint: "/f/retry-5xx/503", Expected: "a retry after attempt 1 (503)", Observed: "no attempt within 4.988s after it: 503", TimesMs: []int64{12}}}}}
	conformance.WriteText(os.Stdout, rs, conformance.TextOptions{})
	// Output:
	// 2. Retry triggers
	//   [FAIL] 2.1   5xx answers are retried
	//            -> 1 of 1 5xx answers broke the rule
	//               event retry-5xx/1 at /f/retry-5xx/503
	//                 expected: a retry after attempt 1 (503)
	//                 observed: no attempt within 4.988s after it: 503
	//                 attempts at (ms): 12
	//               source: Standard Webhooks
	//
	// 1 checks: 0 passed, 1 failed, 0 warnings, 0 skipped, 0 informational
}
