package suite

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/provider"
)

// faultTable lists, for the clean reference provider ("") and for each of
// its faults, exactly the checks that must FAIL and those that must WARN
// (a broken SHOULD: FAIL under --strict). Every other check must PASS, be
// INFO, or SKIP. Where a fault fails more than its own check, the extra
// failures are consequences a user would also see, noted beside the row.
type faultRow struct {
	fault      string
	fail, warn []string
}

var faultTable = []faultRow{
	{fault: ""},
	{fault: "no-retry", // nothing is retried: every retry-dependent delivery and check fails (a 3xx too)
		fail: []string{"1.5", "2.1", "2.2", "2.3", "2.4", "2.6", "2.7", "4.4", "5.2", "7.4", "11.1", "11.3"}},
	{fault: "retry-4xx", fail: []string{"2.5"}},
	{fault: "give-up-early", // 2 attempts instead of 5: events needing a third are lost
		fail: []string{"1.5", "2.7", "11.1", "11.3"}},
	{fault: "constant-backoff", fail: []string{"3.1", "3.2", "3.5"}},
	{fault: "no-jitter", fail: []string{"3.3", "3.4"}},
	{fault: "retry-storm", fail: []string{"3.1", "3.2", "3.5"}},
	{fault: "late-retries", warn: []string{"3.1", "3.5"}}, // 1.9× the schedule: late, short of the 2× that fails
	{fault: "ignore-retry-after", fail: []string{"4.1", "4.2", "4.3"}},
	{fault: "follow-redirects", fail: []string{"2.6"}},
	{fault: "follow-302-as-get", fail: []string{"2.6"}},
	{fault: "redirect-no-location-success", fail: []string{"2.6"}},
	{fault: "no-timeout", fail: []string{"5.1"}},
	{fault: "timeout-as-success", fail: []string{"5.2"}},
	{fault: "short-timeout", fail: []string{"5.3"}},
	{fault: "ignore-410", fail: []string{"8.1", "8.2"}},
	{fault: "deliver-to-deleted-endpoint", fail: []string{"8.3"}},
	{fault: "new-id-per-attempt", fail: []string{"7.1", "7.5"}},
	{fault: "mutate-body-on-retry", fail: []string{"7.2", "9.2"}},
	{fault: "lossy-payload", fail: []string{"9.1", "9.2"}},
	{fault: "sign-reserialised-body", fail: []string{"6.1", "6.2", "6.7"}},
	{fault: "bad-signature", fail: []string{"6.1", "6.2", "6.7"}},
	{fault: "wrong-secret", fail: []string{"6.1", "6.2", "6.7"}},
	{fault: "unsigned", // no signature and, with it, no webhook-id header
		fail: []string{"6.1", "6.2", "6.7"}, warn: []string{"7.1", "7.5"}},
	{fault: "stale-timestamp", fail: []string{"6.3"}},
	{fault: "future-timestamp", fail: []string{"6.4"}},
	{fault: "reuse-timestamp", fail: []string{"6.6"}},
	{fault: "drop-old-secret", fail: []string{"6.7"}},
	{fault: "drop-events", // every 5th event of each instance is lost
		fail: []string{"1.1", "1.3", "1.4", "1.5", "10.3", "11.1", "11.3"}},
	{fault: "duplicate-deliveries", fail: []string{"7.1", "7.6"}, warn: []string{"1.2"}},
	{fault: "ignore-idempotency-key", fail: []string{"7.3"}},
	{fault: "slow", fail: []string{"10.1", "10.2"}},
	{fault: "lose-on-restart", fail: []string{"11.3"}},
	{fault: "drop-event-type-header", fail: []string{"9.3"}},
	// wrong-content-type breaks nothing the suite can see: the sink does
	// not record the Content-Type header (see unobservable below).
	{fault: "wrong-content-type"},
}

// ceFaultTable is the fault table of a reference that declares and
// delivers a CloudEvents format, graded on the CloudEvents group only (the
// plain table cannot see these faults: its policy declares no format).
type ceFaultRow struct {
	format string
	faultRow
}

var ceFaultTable = []ceFaultRow{
	{policy.FormatCEBinary, faultRow{fault: ""}},
	{policy.FormatCEStructured, faultRow{fault: ""}},
	{policy.FormatCEBinary, faultRow{fault: "ce-missing-attributes", fail: []string{"12.1"}}},
	{policy.FormatCEStructured, faultRow{fault: "ce-missing-attributes", fail: []string{"12.1"}}},
	{policy.FormatCEBinary, faultRow{fault: "skip-abuse-handshake", // it never asks, so it also delivers where it was never granted
		fail: []string{"12.3", "12.4"}}},
	{policy.FormatCEBinary, faultRow{fault: "deliver-despite-refused-handshake", fail: []string{"12.4"}}},
	{policy.FormatCEStructured, faultRow{fault: "new-id-per-attempt", fail: []string{"12.2"}}},
}

// ceGroup is the CloudEvents group: it SKIPs for a provider declaring no
// CloudEvents format.
const ceGroup = 12

// unobservable lists reference faults no check can see, and why.
var unobservable = map[string]string{
	"wrong-content-type": "the sink records no Content-Type",
}

// noFault lists graded checks that no reference fault makes fail yet.
var noFault = map[string]string{}

// suiteParallel is how many suites the fault table runs at once; more
// starve each other's timers on a small machine.
func suiteParallel() int {
	if n, err := strconv.Atoi(os.Getenv("HOOKBENCH_SUITE_PARALLEL")); err == nil && n > 0 {
		return n
	}
	if raceEnabled {
		return 3
	}
	return 6
}

// testOptions are the suite options the table runs with: the defaults,
// with a smaller load fragment.
func testOptions(fault string) Options {
	o := NewOptions()
	o.LoadEvents = 60
	if fault != "" {
		o.Provider.Reference.Faults = []string{fault}
	}
	return o
}

func verdictSet(rs []conformance.Result, v conformance.Verdict) []string {
	var out []string
	for _, r := range rs {
		if r.Verdict == v {
			out = append(out, r.ID)
		}
	}
	return out
}

func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	sort.Slice(out, func(i, j int) bool {
		gi, gj := conformance.GroupOf(out[i]), conformance.GroupOf(out[j])
		if gi != gj {
			return gi < gj
		}
		_, a, _ := strings.Cut(out[i], ".")
		_, b, _ := strings.Cut(out[j], ".")
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x < y
	})
	return out
}

func explain(rs []conformance.Result, ids []string) string {
	var b strings.Builder
	for _, r := range rs {
		if slices.Contains(ids, r.ID) {
			fmt.Fprintf(&b, "\n  %s %s: %s", r.ID, r.Verdict, r.Summary)
			if len(r.Evidence) > 0 {
				fmt.Fprintf(&b, "\n    %+v", r.Evidence[0])
			}
		}
	}
	return b.String()
}

// maxStall is how long the machine may leave the process without CPU
// (Report.MaxStall) before a run counts as disturbed: that shifts every
// timing the checks measure.
const maxStall = 400 * time.Millisecond

// mismatch says how a run's verdicts differ from its row, "" when they match.
func mismatch(rs []conformance.Result, fail, warn []string) string {
	gotFail, gotWarn := verdictSet(rs, conformance.Fail), verdictSet(rs, conformance.Warn)
	wantFail, wantWarn := sortedIDs(fail), sortedIDs(warn)
	var b strings.Builder
	if !slices.Equal(gotFail, wantFail) {
		fmt.Fprintf(&b, "FAIL %v, want %v%s\n", gotFail, wantFail, explain(rs, gotFail))
	}
	if !slices.Equal(gotWarn, wantWarn) {
		fmt.Fprintf(&b, "WARN %v, want %v%s\n", gotWarn, wantWarn, explain(rs, gotWarn))
	}
	return b.String()
}

// selectedRows is the fault table, or the rows HOOKBENCH_FAULTS names
// (comma-separated, "clean" for the clean row) when set: for working on a
// few faults without running them all.
func selectedRows(t *testing.T) []faultRow {
	names := os.Getenv("HOOKBENCH_FAULTS")
	if names == "" {
		return faultTable
	}
	var out []faultRow
	for _, n := range strings.Split(names, ",") {
		found := false
		for _, row := range faultTable {
			if row.fault == n || (n == "clean" && row.fault == "") {
				out = append(out, row)
				found = true
			}
		}
		if !found {
			t.Fatalf("HOOKBENCH_FAULTS: no row %q", n)
		}
	}
	return out
}

// TestSuiteFaults runs the whole suite against the reference provider clean
// and once per fault, and checks that each fault makes exactly its checks
// fail. The runs go in parallel (bounded), then each is judged in a subtest.
func TestSuiteFaults(t *testing.T) {
	t.Parallel()
	type outcome struct {
		rep   *Report
		err   error
		stall time.Duration
		runs  int
	}
	table := selectedRows(t)
	results := make([]outcome, len(table))
	sem := make(chan struct{}, suiteParallel())
	var wg sync.WaitGroup
	for i, row := range table {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// Stagger the first wave so the runs' opening bursts differ.
			if i < cap(sem) {
				if err := sleep(t.Context(), time.Duration(i)*400*time.Millisecond); err != nil {
					results[i].err = err
					return
				}
			}
			// A run the machine stalled for longer than maxStall, and whose
			// verdicts then differ from the row, is run again (twice at
			// most): its timings say more about the machine than about the
			// provider. A run on a quiet machine gets no second chance.
			for attempt := 1; ; attempt++ {
				ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
				rep, err := Run(ctx, testOptions(row.fault))
				cancel()
				results[i] = outcome{rep: rep, err: err, runs: attempt}
				if err != nil {
					return
				}
				results[i].stall = rep.MaxStall
				if attempt == 3 || rep.MaxStall < maxStall || mismatch(rep.Results, row.fail, row.warn) == "" {
					return
				}
			}
		}()
	}
	wg.Wait()

	var walls []time.Duration
	for i, row := range table {
		name := row.fault
		if name == "" {
			name = "clean"
		}
		t.Run(name, func(t *testing.T) {
			res := results[i]
			if res.err != nil {
				t.Fatalf("suite run: %v", res.err)
			}
			rs := res.rep.Results
			walls = append(walls, res.rep.Wall)
			if res.runs > 1 {
				t.Logf("run %d times (the machine stalled this process for %s)", res.runs, res.stall.Round(time.Millisecond))
			}
			if m := mismatch(rs, row.fail, row.warn); m != "" {
				t.Errorf("%s(longest stall of this process during the run: %s)", m, res.stall.Round(time.Millisecond))
			}
			if row.fault == "" {
				skips := slices.DeleteFunc(verdictSet(rs, conformance.Skip), func(id string) bool { return conformance.GroupOf(id) == ceGroup })
				if len(skips) > 0 {
					t.Errorf("clean reference: SKIP %v, want none%s", skips, explain(rs, skips))
				}
			}
			for _, id := range verdictSet(rs, conformance.Fail) {
				for _, r := range rs {
					if r.ID == id && len(r.Evidence) == 0 && !strings.Contains(r.Summary, " ") {
						t.Errorf("%s FAIL without evidence or explanation", id)
					}
				}
			}
			// Every count a summary quotes agrees with the trace.
			if err := conformance.CheckCounts(res.rep.Trace, rs); err != nil {
				t.Errorf("counts disagree with the trace:\n%v", err)
			}
			// --strict turns exactly the WARNs into FAILs, offline.
			p := res.rep.Policy
			strict, err := conformance.Evaluate(res.rep.Trace, &p, conformance.Options{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			want := sortedIDs(append(slices.Clone(row.fail), row.warn...))
			if got := verdictSet(strict, conformance.Fail); !slices.Equal(got, want) {
				t.Errorf("strict FAIL %v, want %v", got, want)
			}
		})
	}
	slices.Sort(walls)
	if len(walls) > 0 {
		t.Logf("suite wall time: clean %s; over %d runs min %s, median %s, max %s",
			results[0].rep.Wall.Round(10*time.Millisecond), len(walls), walls[0].Round(10*time.Millisecond),
			walls[len(walls)/2].Round(10*time.Millisecond), walls[len(walls)-1].Round(10*time.Millisecond))
	}
}

// picked names a side table's row ("clean" for no fault) and says whether
// HOOKBENCH_FAULTS (when set) selects it.
func picked(fault string) (string, bool) {
	name := fault
	if name == "" {
		name = "clean"
	}
	pick := os.Getenv("HOOKBENCH_FAULTS")
	return name, pick == "" || slices.Contains(strings.Split(pick, ","), name)
}

// runSteady runs the suite once, and again (three runs at most) while the
// machine stalled it past maxStall and its verdicts differ from fail and
// warn: such a run's timings speak of the machine, not the provider.
func runSteady(t *testing.T, o Options, fail, warn []string, timeout time.Duration) *Report {
	t.Helper()
	var rep *Report
	for attempt := 1; attempt <= 3; attempt++ {
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		var err error
		rep, err = Run(ctx, o)
		cancel()
		if err != nil {
			t.Fatalf("suite run: %v", err)
		}
		if rep.MaxStall < maxStall || mismatch(rep.Results, fail, warn) == "" {
			break
		}
	}
	return rep
}

// TestSuiteFaultsCloudEvents runs the CloudEvents group against the
// reference declaring and delivering a CloudEvents format, clean and with
// the faults of ceFaultTable (HOOKBENCH_FAULTS picks rows here too).
func TestSuiteFaultsCloudEvents(t *testing.T) {
	for _, row := range ceFaultTable {
		name, ok := picked(row.fault)
		if !ok {
			continue
		}
		t.Run(row.format+"/"+name, func(t *testing.T) {
			o := testOptions(row.fault)
			o.Policy, o.PolicySet = ReferencePolicy(), true
			o.Policy.Format = row.format
			o.Eval.Only = []string{strconv.Itoa(ceGroup)}
			rep := runSteady(t, o, row.fail, row.warn, time.Minute)
			if rep.Policy.Format != row.format {
				t.Fatalf("graded policy format %q, want %q", rep.Policy.Format, row.format)
			}
			if m := mismatch(rep.Results, row.fail, row.warn); m != "" {
				t.Error(m)
			}
			if err := conformance.CheckCounts(rep.Trace, rep.Results); err != nil {
				t.Errorf("counts disagree with the trace:\n%v", err)
			}
			if skips := verdictSet(rep.Results, conformance.Skip); len(skips) > 0 {
				t.Errorf("SKIP %v, want none%s", skips, explain(rep.Results, skips))
			}
		})
	}
}

// TestFaultTableCoversEverything checks the table against the provider's
// fault list and the suite's checks: every fault has a row (or a reason it
// is unobservable), and every graded check fails under some fault (or is
// listed in noFault with a reason).
func TestFaultTableCoversEverything(t *testing.T) {
	rows := map[string]bool{}
	failedBy := map[string][]string{}
	for _, row := range faultTable {
		if rows[row.fault] {
			t.Errorf("fault %q has two rows", row.fault)
		}
		rows[row.fault] = true
		for _, id := range append(slices.Clone(row.fail), row.warn...) {
			failedBy[id] = append(failedBy[id], row.fault)
		}
		if row.fault != "" && len(row.fail)+len(row.warn) == 0 && unobservable[row.fault] == "" {
			t.Errorf("fault %q fails no check and is not listed as unobservable", row.fault)
		}
	}
	ceRows := map[string]bool{}
	for _, row := range ceFaultTable {
		if ceRows[row.format+"/"+row.fault] {
			t.Errorf("fault %q (%s) has two rows", row.fault, row.format)
		}
		ceRows[row.format+"/"+row.fault] = true
		rows[row.fault] = true
		for _, id := range append(slices.Clone(row.fail), row.warn...) {
			failedBy[id] = append(failedBy[id], row.fault)
		}
	}
	for _, row := range windowFaultTable {
		rows[row.fault] = true
		for _, id := range append(slices.Clone(row.fail), row.warn...) {
			failedBy[id] = append(failedBy[id], row.fault)
		}
	}
	for _, f := range provider.Faults() {
		if !rows[f.Name] {
			t.Errorf("reference fault %q has no row in the table", f.Name)
		}
	}
	graded := 0
	for _, c := range conformance.Checks() {
		if c.Level == conformance.Informational {
			if len(failedBy[c.ID]) > 0 {
				t.Errorf("informational check %s is listed as failing", c.ID)
			}
			continue
		}
		graded++
		switch by, why := failedBy[c.ID], noFault[c.ID]; {
		case len(by) == 0 && why == "":
			t.Errorf("check %s (%s): no fault makes it fail", c.ID, c.Title)
		case len(by) > 0 && why != "":
			t.Errorf("check %s fails under %v: remove it from noFault", c.ID, by)
		}
	}
	if proven := graded - len(noFault); proven < 40 {
		t.Errorf("%d graded checks proven to fail, want at least 40", proven)
	}
}
