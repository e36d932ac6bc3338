package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/reports"
	"github.com/hookbench/hookbench/trace"
)

// Build a report from a trace stream and read a few measurements.
func Example() {
	var buf bytes.Buffer
	w, _ := trace.NewWriter(&buf, trace.Header{RunID: "example", StartWall: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	_ = w.WriteSent(&trace.Sent{EventID: "ev1", Type: "order.created", IntendedNs: 1e9, SentNs: 1e9 + 1e6, LatencyNs: 2e6, Status: 202})
	_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/orders", EventID: "ev1", Nth: 1, ArrivalNs: 1e9 + 12e6, Status: 503})
	_ = w.WriteAttempt(&trace.Attempt{Endpoint: "/orders", EventID: "ev1", Nth: 2, ArrivalNs: 2e9 + 12e6, Status: 200})
	_ = w.Close()

	r, _ := reports.New(reports.NewOptions())
	if err := reports.Feed(context.Background(), r, reports.Source{Name: "example.hbt", R: &buf}); err != nil {
		fmt.Println(err)
		return
	}
	sum, _ := r.Close()
	fmt.Println("first arrival:", sum.Metric(reports.MetricE2EFirst).Max)
	fmt.Println("delivered after retries:", sum.Metric(reports.MetricE2ESuccess).Max)
	fmt.Println("trigger, corrected:", sum.Metric(reports.MetricTrigger).Max)
	fmt.Println("retried deliveries:", sum.Counts.DeliveriesRetried)
	// Output:
	// first arrival: 12ms
	// delivered after retries: 1.012s
	// trigger, corrected: 3ms
	// retried deliveries: 1
}

// The conform command writes JUnit straight from its results.
func ExampleWriteJUnit() {
	results := []conformance.Result{
		{ID: "1.1", Title: "Signs every delivery", Verdict: conformance.Pass, Summary: "ok"},
		{ID: "3.1", Title: "Retries 5xx", Verdict: conformance.Fail, Summary: "no retry after 503",
			Evidence: []conformance.Evidence{{EventID: "ev7", Endpoint: "/orders", Expected: "a retry", Observed: "none"}}},
	}
	_ = reports.WriteJUnit(os.Stdout, "reference", results, 1500*time.Millisecond)
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <testsuites name="hookbench" tests="2" failures="1" errors="0" skipped="0" time="1.500">
	//   <testsuite name="reference" tests="2" failures="1" errors="0" skipped="0" time="1.500">
	//     <testcase name="1.1 Signs every delivery" classname="reference.section1" time="0">
	//       <system-out><![CDATA[PASS: ok]]></system-out>
	//     </testcase>
	//     <testcase name="3.1 Retries 5xx" classname="reference.section3" time="0">
	//       <failure message="no retry after 503" type="FAIL"><![CDATA[Evidence 1: event=ev7 endpoint=/orders
	//   expected: a retry
	//   observed: none]]></failure>
	//     </testcase>
	//   </testsuite>
	// </testsuites>
}
