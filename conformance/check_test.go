package conformance

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestChecksWellFormed(t *testing.T) {
	seen := map[string]bool{}
	groups := map[int]bool{}
	for _, g := range Groups() {
		groups[g.N] = true
	}
	prev := ""
	graded := 0
	for _, c := range Checks() {
		if seen[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
		if !groups[GroupOf(c.ID)] {
			t.Errorf("%s: no group %d", c.ID, GroupOf(c.ID))
		}
		if prev != "" && !idLess(prev, c.ID) {
			t.Errorf("ids out of order: %s then %s", prev, c.ID)
		}
		prev = c.ID
		if c.Title == "" || c.Source == "" || c.Run == nil || len(c.Fragments) == 0 {
			t.Errorf("%s: title, source, fragments and Run are required", c.ID)
		}
		if c.Level != Informational {
			graded++
		}
	}
	if graded < 40 {
		t.Errorf("%d graded checks, want at least 40", graded)
	}
}

func idLess(a, b string) bool {
	ga, gb := GroupOf(a), GroupOf(b)
	if ga != gb {
		return ga < gb
	}
	_, na, _ := strings.Cut(a, ".")
	_, nb, _ := strings.Cut(b, ".")
	return len(na) < len(nb) || (len(na) == len(nb) && na < nb)
}

func TestOptionsSelection(t *testing.T) {
	cases := []struct {
		o    Options
		id   string
		want bool
	}{
		{Options{}, "3.1", true},
		{Options{Only: []string{"3"}}, "3.1", true},
		{Options{Only: []string{"3"}}, "11.3", false},
		{Options{Only: []string{"1"}}, "11.3", false},
		{Options{Only: []string{"11"}}, "11.3", true},
		{Options{Only: []string{"6.2"}}, "6.2", true},
		{Options{Only: []string{"6.2"}}, "6.1", false},
		{Options{Skip: []string{"6"}}, "6.1", false},
		{Options{Only: []string{"6"}, Skip: []string{"6.2"}}, "6.2", false},
		{Options{Only: []string{"6"}, Skip: []string{"6.2"}}, "6.3", true},
	}
	for _, c := range cases {
		if got := c.o.Selected(c.id); got != c.want {
			t.Errorf("%+v selects %s = %v, want %v", c.o, c.id, got, c.want)
		}
	}
	for _, bad := range []Options{{Only: []string{"13"}}, {Skip: []string{"3.99"}}, {Only: []string{""}}, {Slack: -1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: want a validation error", bad)
		}
	}
}

func TestEvaluateStrictAndErrors(t *testing.T) {
	tr := deliverTrace([]int{200, 200}).trace() // 1.2 warns
	p := testPolicy()
	rs, err := Evaluate(tr, &p, Options{Only: []string{"1.2"}})
	if err != nil || len(rs) != 1 || rs[0].Verdict != Warn {
		t.Fatalf("non-strict: %v %+v", err, rs)
	}
	rs, err = Evaluate(tr, &p, Options{Only: []string{"1.2"}, Strict: true})
	if err != nil || rs[0].Verdict != Fail || !strings.HasPrefix(rs[0].Summary, "(strict)") {
		t.Fatalf("strict: %v %+v", err, rs)
	}
	if rs[0].ID != "1.2" || rs[0].Title == "" || rs[0].Source == "" {
		t.Fatalf("result lacks id/title/source: %+v", rs[0])
	}
	bad := policy.Policy{}
	if _, err := Evaluate(tr, &bad, Options{}); err == nil {
		t.Fatal("invalid policy must be an error")
	}
	broken := &trace.Trace{Marks: []trace.Mark{{Type: trace.FragmentMark, Name: "x", Detail: "{not json"}}}
	if _, err := Evaluate(broken, &p, Options{}); err == nil || !strings.Contains(err.Error(), `fragment mark "x"`) {
		t.Fatalf("corrupt fragment detail: %v", err)
	}
	if _, err := Evaluate(nil, &p, Options{}); err == nil {
		t.Fatal("nil trace must be an error")
	}
}

func TestEvaluateEmptyTraceSkipsEverything(t *testing.T) {
	p := testPolicy()
	rs, err := Evaluate(&trace.Trace{}, &p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(Checks()) {
		t.Fatalf("%d results for %d checks", len(rs), len(Checks()))
	}
	for _, r := range rs {
		if r.Verdict != Skip && r.Verdict != Info && r.Verdict != Warn {
			t.Errorf("%s on an empty trace: %s %s", r.ID, r.Verdict, r.Summary)
		}
	}
}

func TestPolicyFromTrace(t *testing.T) {
	p := testPolicy()
	d, _ := json.Marshal(p)
	tr := &trace.Trace{Marks: []trace.Mark{{Type: trace.PolicyMark, Detail: string(d)}}}
	got, ok, err := PolicyFromTrace(tr)
	if err != nil || !ok || got.MaxAttempts != 4 || got.Backoff.Schedule[2] != p.Backoff.Schedule[2] || got.Secrets != nil {
		t.Fatalf("got %+v %v %v", got, ok, err)
	}
	if _, ok, _ := PolicyFromTrace(&trace.Trace{}); ok {
		t.Fatal("no mark, no policy")
	}
	tr.Marks[0].Detail = "{"
	if _, _, err := PolicyFromTrace(tr); err == nil {
		t.Fatal("corrupt policy mark must be an error")
	}
}

// goldenResults is a small, fixed set of results for output tests.
func goldenResults() []Result {
	return []Result{
		{ID: "1.1", Title: "Every accepted event is delivered", Source: "spec", Verdict: Pass, Summary: "3 event deliveries: all delivered"},
		{ID: "2.1", Title: "5xx answers are retried", Source: "Standard Webhooks", Verdict: Fail, Summary: "1 of 4 5xx answers broke the rule",
			Evidence: []Evidence{{EventID: "retry-5xx/2", MsgID: "msg_2", Endpoint: "/f/retry-5xx/503", Expected: "a retry after attempt 1 (503) by 130 ms", Observed: "no attempt within 4.988s after it: 503", TimesMs: []int64{12}}}},
		{ID: "3.3", Title: "Jitter", Source: "spec", Verdict: Warn, Summary: "the policy declares no jitter"},
		{ID: "6.5", Title: "Replay resistance", Source: "Stripe", Verdict: Info, Summary: "scheme github: replayable"},
		{ID: "11.3", Title: "Restart", Source: "policy", Verdict: Skip, Summary: "the provider was not restarted <&>"},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run with -update to create): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden (run with -update if intended):\n%s", name, got)
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, goldenResults(), TextOptions{Title: "hookbench conform: test"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.txt", b.Bytes())
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	p := testPolicy()
	p.Secrets = []string{"whsec_secret"}
	if err := WriteJSON(&b, "test", &p, goldenResults()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("whsec_secret")) {
		t.Fatal("secrets must never be written")
	}
	golden(t, "results.json", b.Bytes())
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Passed || back.Checks[1].Verdict != Fail || back.Counts.Fail != 1 {
		t.Fatalf("round trip: %+v", back)
	}
}

// FuzzEvaluate feeds arbitrary fragment and policy marks through the whole
// suite: it may return an error, never panic.
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"endpoints":["/f/deliver"],"event_prefix":"deliver/"}`, `{"max_attempts":3,"backoff":{"kind":"exponential","base":1000000,"factor":2,"jitter":"full"}}`, int64(5), 500)
	f.Add(`{"endpoints":["/f/backoff"],"payloads":[{"event_id":"x","body":"{}"}]}`, `{"max_attempts":1}`, int64(-5), 0)
	f.Add(`{`, `{"max_attempts":2,"backoff":{"kind":"schedule","schedule":[]}}`, int64(0), 410)
	f.Add(`{"endpoints":["/f/backoff"]}`, `{"max_attempts":0,"retry_window":1000000000,"backoff":{"kind":"schedule","schedule":[100000000],"repeat":true,"jitter":"none"}}`, int64(3), 503)
	f.Fuzz(func(t *testing.T, frag, pol string, at int64, status int) {
		var p policy.Policy
		if json.Unmarshal([]byte(pol), &p) != nil || p.Validate() != nil {
			return
		}
		tr := &trace.Trace{}
		for _, c := range Checks() {
			for _, name := range c.Fragments {
				tr.Marks = append(tr.Marks, trace.Mark{AtNs: at, Type: trace.FragmentMark, Name: name, Detail: frag})
			}
		}
		for _, ep := range []string{"/f/deliver", "/f/backoff", "/f/gone", "/f/redirect/target"} {
			tr.Sent = append(tr.Sent, trace.Sent{EventID: "deliver/1", IntendedNs: at, Status: status})
			tr.Attempts = append(tr.Attempts,
				trace.Attempt{Endpoint: ep, EventID: "deliver/1", ArrivalNs: at, Status: status, RetryAfter: at, Flags: uint8(status)},
				trace.Attempt{Endpoint: ep, EventID: "x", ArrivalNs: at * 2, HandleNs: at, Status: status, Body: []byte(frag)})
		}
		rs, err := Evaluate(tr, &p, Options{})
		if err == nil && len(rs) != len(Checks()) {
			t.Fatalf("%d results", len(rs))
		}
	})
}

func TestPolicySummary(t *testing.T) {
	p := testPolicy()
	p.Profile, p.TimeScale = "test", 0.001
	got := p.Summary()
	want := "test: 4 attempt(s) after 100ms 400ms 1.6s (±20% jitter), timeout 200ms, signature standard, time scale 0.001"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// ruleHeading is a rule's heading in docs/rules.md ("### §2.3 Retries ...").
var ruleHeading = regexp.MustCompile(`(?m)^### §(\d+\.\d+) `)

// ruleCitation is a citation of rules of docs/rules.md ("hookbench rules
// §2.7, §1.3", "rules §2.1 and §2.3").
var ruleCitation = regexp.MustCompile(`rules (§\d+\.\d+(?:(?:, | and )§\d+\.\d+)*)`)

// documentedRules returns the rule numbers docs/rules.md states.
func documentedRules(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rules: %v", err)
	}
	rules := map[string]bool{}
	for _, m := range ruleHeading.FindAllStringSubmatch(string(b), -1) {
		rules[m[1]] = true
	}
	if len(rules) < 10 {
		t.Fatalf("%s states %d rules, want the delivery rules §2.1-§2.10 at least", path, len(rules))
	}
	return rules
}

// citedRules returns the rule numbers a text cites.
func citedRules(s string) []string {
	var out []string
	for _, m := range ruleCitation.FindAllStringSubmatch(s, -1) {
		for _, n := range regexp.MustCompile(`§(\d+\.\d+)`).FindAllStringSubmatch(m[1], -1) {
			out = append(out, n[1])
		}
	}
	return out
}

// Every rule a check cites is stated in docs/rules.md, and no check cites
// a document outside the repository.
func TestSourcesCiteRules(t *testing.T) {
	rules := documentedRules(t, filepath.Join("..", "docs", "rules.md"))
	cited := 0
	for _, c := range Checks() {
		if strings.Contains(c.Source, "webhooks.md") {
			t.Errorf("%s cites a file outside the repository: %s", c.ID, c.Source)
		}
		if strings.Contains(c.Source, "rules §") && !strings.Contains(c.Source, "(docs/rules.md)") {
			t.Errorf("%s cites rules without naming docs/rules.md: %s", c.ID, c.Source)
		}
		for _, n := range citedRules(c.Source) {
			cited++
			if !rules[n] {
				t.Errorf("%s cites rule §%s, which docs/rules.md does not state: %s", c.ID, n, c.Source)
			}
		}
	}
	if cited == 0 {
		t.Fatal("no check cites a rule: the citation pattern no longer matches the sources")
	}
	for _, s := range []string{"hookbench rules §2.9 (docs/rules.md)", "rules §2.1 and §2.3", "hookbench rules §2.7, §1.3 (docs/rules.md)"} {
		if len(citedRules(s)) == 0 {
			t.Errorf("citedRules(%q) found nothing", s)
		}
	}
	if got := citedRules("hookbench rules §9.9 (docs/rules.md)"); len(got) != 1 || rules[got[0]] {
		t.Errorf("an unknown rule must be found and not be stated: %v", got)
	}
}
