package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance/suite"
	"github.com/hookbench/hookbench/policy"
)

func TestProgressText(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		p    suite.Progress
		want string
	}{
		{suite.Progress{Done: 12, Total: 28, Elapsed: 7400 * time.Millisecond, Remaining: 4100 * time.Millisecond}, "fragments 12/28 · 7.4 s · ETA 5 s"},
		{suite.Progress{Done: 27, Total: 28, Elapsed: 74 * s, Overdue: 12 * s}, "fragments 27/28 · 74.0 s · ETA 0 s · 12 s behind the estimate"},
		// Deliveries take time of their own: a second over is no news.
		{suite.Progress{Done: 3, Total: 28, Elapsed: 2 * s, Remaining: 10 * s, Overdue: s}, "fragments 3/28 · 2.0 s · ETA 10 s"},
		{suite.Progress{Done: 28, Total: 28, Elapsed: 80 * s, Overdue: 12 * s}, "fragments 28/28 · 80.0 s"},
	} {
		if got := progressText(tc.p); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestConformProgressOutput: on a terminal the line is redrawn in place
// and cleared before other output; elsewhere plain lines come only as
// often as they say something new.
func TestConformProgressOutput(t *testing.T) {
	plan := suite.Plan{Policy: policy.Policy{Profile: "p", MaxAttempts: 1}, Estimate: 62 * time.Second,
		Fragments: []suite.PlannedFragment{{ID: "backoff", Checks: []string{"3.1", "3.2", "3.3", "3.4"}, Expected: 62 * time.Second}, {ID: "deliver", Expected: time.Second}, {ID: "rotate", Skip: "no"}}}
	for _, tty := range []bool{true, false} {
		var b bytes.Buffer
		p := &conformProgress{w: &b, tty: tty}
		p.header("the reference", plan)
		for i := range 3 {
			p.update(suite.Progress{Done: i, Total: 3, Remaining: time.Minute})
		}
		p.note("batch %d/%d", 2, 2)
		p.update(suite.Progress{Done: 3, Total: 3})
		p.update(suite.Progress{Done: 3, Total: 3})
		p.clear()
		out := b.String()
		for _, want := range []string{"grading the reference\n", "policy: p: 1 attempt(s)", "3 fragments (2 run), about 62 s",
			"longest waits: backoff 62 s (3.1, 3.2, 3.3, …), deliver 1.0 s\n", "batch 2/2\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("tty %v: output lacks %q:\n%s", tty, want, out)
			}
		}
		if n := strings.Count(out, "fragments 3/3"); n != 1 {
			t.Errorf("tty %v: the last line drawn %d times:\n%q", tty, n, out)
		}
		if tty != strings.Contains(out, "\r") || tty != strings.HasSuffix(out, "\r\x1b[K") {
			t.Errorf("tty %v: redrawn lines:\n%q", tty, out)
		}
		if !tty && strings.Contains(out, "fragments 1/3") {
			t.Errorf("plain output repeats itself within seconds:\n%s", out)
		}
	}
}
