package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/conformance"
	"github.com/hookbench/hookbench/conformance/suite"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/reports"
	"github.com/hookbench/hookbench/trace"
)

// writeTrace writes a small conformance trace: a policy mark and the
// deliver fragment, one event delivered (dup: delivered twice).
func writeTrace(t *testing.T, withPolicy, dup bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.trace")
	w, err := trace.Create(path, trace.NewHeader([]string{"hookbench", "conform"}, "test"))
	if err != nil {
		t.Fatal(err)
	}
	if withPolicy {
		p := policy.Policy{MaxAttempts: 3, Backoff: policy.Backoff{Kind: "schedule", Schedule: []time.Duration{100 * time.Millisecond, 400 * time.Millisecond}, Jitter: "none"}, Scheme: "standard"}
		d, _ := json.Marshal(&p)
		w.WriteMark(&trace.Mark{Type: trace.PolicyMark, Name: "test", Detail: string(d)})
	}
	frag, _ := json.Marshal(conformance.Fragment{Endpoints: []string{"/f/deliver"}, EventPrefix: "deliver/"})
	w.WriteMark(&trace.Mark{AtNs: 0, Type: trace.FragmentMark, Name: conformance.FragDeliver, Detail: string(frag)})
	w.WriteSent(&trace.Sent{EventID: "deliver/1", Type: "t", IntendedNs: 1e6, SentNs: 1e6, Status: 202})
	w.WriteAttempt(&trace.Attempt{Endpoint: "/f/deliver", EventID: "deliver/1", EventType: "t", MsgID: "m1", ArrivalNs: 2e6, Status: 200, Sig: trace.SigValid})
	if dup {
		w.WriteAttempt(&trace.Attempt{Endpoint: "/f/deliver", EventID: "deliver/1", EventType: "t", MsgID: "m2", ArrivalNs: 3e6, Status: 200, Sig: trace.SigValid})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckCommand(t *testing.T) {
	clean, dup, bare := writeTrace(t, true, false), writeTrace(t, true, true), writeTrace(t, false, false)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"passes", []string{"check", clean, "--only", "1.1,1.2,7.6,9.3"}, exitOK, []string{"[PASS] 1.1", "[PASS] 7.6", "4 checks: 4 passed"}},
		{"a duplicate with a new id fails", []string{"check", dup, "--only", "1,7.6"}, exitFail, []string{"[FAIL] 7.6", "[WARN] 1.2", "msg m1", "2 different ids: m1, m2"}},
		{"strict turns the warning into a failure", []string{"check", dup, "--only", "1.2", "--strict"}, exitFail, []string{"[FAIL] 1.2", "(strict)"}},
		{"skip", []string{"check", dup, "--only", "1,7.6", "--skip", "7"}, exitOK, []string{"[WARN] 1.2"}},
		{"profile overrides", []string{"check", bare, "--only", "1.1", "--profile", "github"}, exitOK, []string{"policy from --profile github"}},
		{"nothing graded is no pass", []string{"check", clean, "--only", "6.7,11"}, exitFail, []string{"[SKIP] 6.7", "nothing graded: none of the 4 checks passed or failed"}},
		{"nothing graded under --strict", []string{"check", clean, "--only", "6.7", "--strict"}, exitFail, []string{"nothing graded"}},
		{"no policy", []string{"check", bare}, exitUsage, []string{"records no declared policy: pass --profile NAME"}},
		{"unknown profile", []string{"check", clean, "--profile", "paypal"}, exitUsage, []string{"--profile", "paypal"}},
		{"unknown check", []string{"check", clean, "--only", "13"}, exitUsage, []string{`"13" matches no check`}},
		{"no file", []string{"check", filepath.Join(dir, "nope")}, exitUsage, []string{"read trace"}},
		{"two files", []string{"check", clean, clean}, exitUsage, []string{"expected one trace file"}},
		{"help", []string{"check", "--help"}, exitOK, []string{"Usage: hookbench check TRACE", "Examples:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, out, errs)
				}
			}
		})
	}
}

func TestCheckReportFiles(t *testing.T) {
	dup := writeTrace(t, true, true)
	dir := t.TempDir()
	js, ju := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	if code, out, errs := runCLI(t, "check", dup, "--only", "7.6", "--json", js, "--junit", ju); code != exitFail {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	var rep conformance.Report
	b, err := os.ReadFile(js)
	if err != nil || json.Unmarshal(b, &rep) != nil || rep.Passed || len(rep.Checks) != 1 || rep.Checks[0].Verdict != conformance.Fail {
		t.Fatalf("json report: %v %s", err, b)
	}
	// hookbench report --results reads it.
	rs, err := reports.ReadResults(bytes.NewReader(b))
	if err != nil || len(rs) != 1 || rs[0].ID != "7.6" || rs[0].Verdict != conformance.Fail || len(rs[0].Evidence) == 0 {
		t.Fatalf("reports.ReadResults: %v %+v", err, rs)
	}
	b, err = os.ReadFile(ju)
	var suites struct {
		Failures int `xml:"failures,attr"`
	}
	if err != nil || xml.Unmarshal(b, &suites) != nil || suites.Failures != 1 {
		t.Fatalf("junit report: %v %s", err, b)
	}
	if code, _, errs := runCLI(t, "check", dup, "--json", filepath.Join(dir, "no", "such", "dir.json")); code != exitUsage || !strings.Contains(errs, "create") {
		t.Fatalf("unwritable report: exit %d %s", code, errs)
	}
}

// TestConformCommand runs the real suite, cut to a few quick checks, clean
// and with a fault, through the CLI.
func TestConformCommand(t *testing.T) {
	t.Parallel()
	tr := filepath.Join(t.TempDir(), "run.trace")
	code, out, errs := runCLI(t, "conform", "-q", "--only", "2.5,9.3", "--trace", tr)
	if code != exitOK || !strings.Contains(out, "[PASS] 2.5") || !strings.Contains(out, "[PASS] 9.3") || !strings.Contains(out, "suite wall time") {
		t.Fatalf("clean: exit %d\n%s%s", code, out, errs)
	}
	// The saved trace grades the same offline.
	if code, out, errs := runCLI(t, "check", tr); code != exitOK || !strings.Contains(out, "[PASS] 2.5") || !strings.Contains(out, "[PASS] 9.3") {
		t.Fatalf("check of the saved trace: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "conform", "-q", "--only", "2.5", "--fault", "retry-4xx")
	if code != exitFail || !strings.Contains(out, "[FAIL] 2.5") || !strings.Contains(out, "expected: no retry after a permanent") || !strings.Contains(errs, "1 of 1 checks failed") {
		t.Fatalf("retry-4xx: exit %d\n%s%s", code, out, errs)
	}
}

// TestConformCloudEvents: --format makes the embedded reference deliver
// CloudEvents and grades group 12, offline too from the saved trace (whose
// policy mark carries the format).
func TestConformCloudEvents(t *testing.T) {
	t.Parallel()
	tr := filepath.Join(t.TempDir(), "ce.trace")
	code, out, errs := runCLI(t, "conform", "-q", "--format", "cloudevents-structured", "--only", "12", "--trace", tr)
	if code != exitOK || strings.Count(out, "[PASS] 12.") != 4 || !strings.Contains(out, "cloudevents-structured") {
		t.Fatalf("clean: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "check", tr); code != exitOK || strings.Count(out, "[PASS] 12.") != 4 {
		t.Fatalf("check of the saved trace: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "conform", "-q", "--format", "cloudevents-binary", "--only", "12.4", "--fault", "deliver-despite-refused-handshake")
	if code != exitFail || !strings.Contains(out, "[FAIL] 12.4") {
		t.Fatalf("deliver-despite-refused-handshake: exit %d\n%s%s", code, out, errs)
	}
}

func TestConformUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"conform", "--fault", "nope"}, `--fault "nope": no such fault (known:`},
		{[]string{"conform", "--fault", "no-jiter"}, `--fault "no-jiter": no such fault (did you mean "no-jitter"?)`},
		{[]string{"conform", "--time-scale", "0"}, "--time-scale 0: want a positive factor (1 = real time"},
		{[]string{"conform", "--time-scale", "-0.5"}, "--time-scale -0.5: want a positive factor"},
		{[]string{"conform", "--time-scale", "NaN"}, "--time-scale NaN: want a positive factor"},
		{[]string{"conform", "--var", "PROVIDER_URL=http://x"}, "--var PROVIDER_URL=http://x: variables fill in a scenario file, and none was given"},
		{[]string{"conform", "--var", "PROVIDER_URL"}, `--var "PROVIDER_URL": want NAME=VALUE`},
		{[]string{"conform", "/no/such/scenario.yaml", "--var", "X"}, `--var "X": want NAME=VALUE`},
		{[]string{"conform", "--only", "13"}, `"13" matches no check`},
		{[]string{"conform", "a.yaml", "b.yaml"}, "at most one scenario"},
		{[]string{"conform", "a.yaml", "--provider-config", "b.yaml"}, "not both"},
		{[]string{"conform", "/no/such/scenario.yaml"}, "no such file"},
		{[]string{"conform", "--load-events", "-1"}, "load events"},
		{[]string{"conform", "--profile", "paypal"}, "paypal"},
		{[]string{"conform", "--max-endpoints", "-1"}, "--max-endpoints"},
		{[]string{"conform", "--max-endpoints", "2"}, "--max-endpoints"},
		{[]string{"conform", "--max-endpoints", "x"}, "--max-endpoints"},
		{[]string{"conform", "--type-prefix", "a b"}, "--type-prefix"},
		{[]string{"conform", "--max-hang", "-1s"}, "--max-hang"},
		{[]string{"conform", "--list-types", "--max-endpoints", "2"}, "--max-endpoints"},
		{[]string{"conform", "--format", "cloudevents"}, `--format "cloudevents": expected cloudevents-binary or cloudevents-structured`},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(out+errs, tt.want) {
			t.Errorf("%v: exit %d, output %q%q; want exit 2 and %q", tt.args, code, out, errs, tt.want)
		}
	}
	if code, out, _ := runCLI(t, "conform", "--list"); code != exitOK || !strings.Contains(out, "3.4   SHOULD") || !strings.Contains(out, "11. Failure recovery") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "conform", "--help"); code != exitOK || !strings.Contains(out, "--fault") || !strings.Contains(out, "no-jitter") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}

func TestConformListTypes(t *testing.T) {
	scenario := filepath.Join(t.TempDir(), "s.yaml")
	yaml := `name: s
policy: standard-webhooks
provider: {adapter: reference}
sink:
  endpoints: [{path: /orders}]
conform: {type_prefix: "acme.", max_endpoints: 8}
phases: [{duration: 1s, rate: 1}]
`
	if err := os.WriteFile(scenario, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	// The counts are the library's: the command only prints them.
	count := func(max int) (endpoints, batches string) {
		o := suite.NewOptions()
		o.MaxEndpoints = max
		regs, err := suite.Registrations(&o)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d endpoints", len(regs)), fmt.Sprintf("in %d batch(es) of at most %d", regs[len(regs)-1].Batch, max)
	}
	all, _ := count(0)
	_, by6 := count(6)
	_, by8 := count(8)
	tests := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"defaults", []string{"conform", "--list-types"}, []string{all, "hookbench.deliver ", "/f/deliver", "hookbench.types.a ", "/f/types/a"}, []string{"batch"}},
		{"only some checks", []string{"conform", "--list-types", "--only", "6.1"}, []string{"1 endpoints", "hookbench.sign ", "/f/sign"}, []string{"/f/deliver"}},
		{"flags", []string{"conform", "--list-types", "--type-prefix", "shop.", "--max-endpoints", "6"}, []string{all, by6, "shop.deliver ", "shop.types.b "}, []string{"hookbench."}},
		{"from the scenario", []string{"conform", scenario, "--list-types"}, []string{by8, "acme.fanout "}, []string{"hookbench."}},
		{"a flag beats the scenario", []string{"conform", scenario, "--list-types", "--type-prefix", "x.", "--max-endpoints", "0"}, []string{all, "x.deliver "}, []string{"batch", "acme."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// A scenario's subscriber settings reach the suite: the first sink
// endpoint's scheme is the one graded (the reference signs with it), and the
// conform block names the event types.
func TestConformScenarioSettings(t *testing.T) {
	t.Parallel()
	scenario := filepath.Join(t.TempDir(), "s.yaml")
	yaml := `name: s
policy: standard-webhooks
provider: {adapter: reference}
sink:
  endpoints: [{path: /orders, scheme: svix, options: "tolerance=60s"}]
conform: {type_prefix: "acme."}
phases: [{duration: 1s, rate: 1}]
`
	if err := os.WriteFile(scenario, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := filepath.Join(t.TempDir(), "run.trace")
	code, out, errs := runCLI(t, "conform", scenario, "-q", "--only", "1.1,6.1,6.3", "--trace", tr)
	if code != exitOK || !strings.Contains(out, "signature svix") || !strings.Contains(out, "[PASS] 6.1") || !strings.Contains(out, "[PASS] 1.1") || !strings.Contains(out, "[PASS] 6.3") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	got, err := trace.ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	p, ok, err := conformance.PolicyFromTrace(got)
	if err != nil || !ok || p.Scheme != "svix" || p.Tolerance != time.Minute {
		t.Errorf("recorded policy scheme %q tolerance %v (%v, %v), want svix and 1m0s", p.Scheme, p.Tolerance, ok, err)
	}
	types := 0
	for _, a := range got.Attempts {
		if strings.HasPrefix(a.EventType, "acme.") {
			types++
		} else {
			t.Errorf("attempt of type %q, want the prefix acme.", a.EventType)
		}
	}
	if types == 0 {
		t.Error("no attempts recorded")
	}
	// Graded again against a profile, the run's signature settings stay.
	if code, out, errs := runCLI(t, "check", tr, "--only", "6.1", "--profile", "github"); code != exitOK || !strings.Contains(out, "signature settings from the trace") || !strings.Contains(out, "[PASS] 6.1") {
		t.Errorf("check --profile: exit %d\n%s%s", code, out, errs)
	}
}

// A trace in which the timeout fragment held the provider while the
// retry-5xx fragment waited: its retry (without an event id) came after it
// closed, so 2.1 would fail; check says why it does not judge it.
func TestCheckNotesInterference(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.trace")
	w, err := trace.Create(path, trace.NewHeader([]string{"hookbench", "conform"}, "test"))
	if err != nil {
		t.Fatal(err)
	}
	p := policy.Policy{MaxAttempts: 3, Backoff: policy.Backoff{Kind: "schedule", Schedule: []time.Duration{100 * time.Millisecond, 400 * time.Millisecond}, Jitter: "none"}, Timeout: 3 * time.Second}
	d, _ := json.Marshal(&p)
	w.WriteMark(&trace.Mark{Type: trace.PolicyMark, Name: "test", Detail: string(d)})
	for _, id := range []string{conformance.FragRetry5xx, conformance.FragTimeout} {
		frag, _ := json.Marshal(conformance.Fragment{Endpoints: []string{"/f/" + id}, EventPrefix: id + "/", FailFirst: 1})
		w.WriteMark(&trace.Mark{AtNs: 0, Type: trace.FragmentMark, Name: id, Detail: string(frag)})
	}
	w.WriteSent(&trace.Sent{EventID: "retry-5xx/1", Type: "t", IntendedNs: 1e6, SentNs: 1e6, Status: 202})
	w.WriteSent(&trace.Sent{EventID: "timeout/1", Type: "t", IntendedNs: 1e6, SentNs: 1e6, Status: 202})
	w.WriteAttempt(&trace.Attempt{Endpoint: "/f/timeout", EventID: "timeout/1", ArrivalNs: 5e6, HandleNs: 3e9, Flags: trace.FlagAborted | trace.FlagProviderGaveUp})
	w.WriteAttempt(&trace.Attempt{Endpoint: "/f/retry-5xx", ArrivalNs: 10e6, Status: 500})
	w.WriteAttempt(&trace.Attempt{Endpoint: "/f/retry-5xx", ArrivalNs: 3010e6, Status: 200})
	w.WriteAttempt(&trace.Attempt{Endpoint: "/f/timeout", EventID: "timeout/1", ArrivalNs: 3110e6, Status: 200})
	w.WriteMark(&trace.Mark{AtNs: 1000e6, Type: conformance.FragmentEndMark, Name: conformance.FragRetry5xx})
	w.WriteMark(&trace.Mark{AtNs: 6000e6, Type: conformance.FragmentEndMark, Name: conformance.FragTimeout})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "check", path, "--only", "2.1,5.2")
	if code != exitOK {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errs)
	}
	for _, want := range []string{"[SKIP] 2.1", "[PASS] 5.2", "it would have been FAIL",
		"note: interference in fragment retry-5xx: 1 delivery for this fragment arrived after it closed while fragment timeout held the provider", "--isolate"} {
		if !strings.Contains(out+errs, want) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", want, out, errs)
		}
	}
}
