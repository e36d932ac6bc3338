package sink

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/signature"
)

func TestParseRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, canonical string
		check         func(Rule) bool
	}{
		{"status=503", "status=503", nil},
		{"endpoint=/orders,attempt=1-2,status=503,retry-after=30", "endpoint=/orders,attempt=1-2,status=503,retry-after=30s",
			func(r Rule) bool {
				return r.Match.AttemptMin == 1 && r.Match.AttemptMax == 2 && r.Endpoint == "/orders"
			}},
		{"attempt=3,gone", "attempt=3,gone", func(r Rule) bool { return r.Behavior.(*Action).status() == 410 }},
		{"attempt=2-,status=500", "attempt=2-,status=500", func(r Rule) bool { return r.Match.AttemptMax == 0 }},
		{"retry-after=date:1m", "status=503,retry-after=date:1m0s", func(r Rule) bool { return r.Behavior.(*Action).RetryAfterDate }},
		{"p=0.1,reset", "p=0.1,reset", nil},
		{"delay=uniform:1s-3s", "delay=uniform:1s-3s", nil},
		{"delay=2s,status=202", "delay=2s,status=202", nil},
		{"type=a|b,every=10,status=500", "type=a|b,every=10,status=500", nil},
		{"after=10s,before=20s,hang", "after=10s,before=20s,hang", nil},
		{"hang=5s", "hang=5s", func(r Rule) bool { return r.Behavior.(*Action).HangCap == 5*time.Second }},
		{"redirect=/elsewhere", "status=307,redirect=/elsewhere", nil},
		{"redirect=/x,status=301", "status=301,redirect=/x", nil},
		{"trickle=100/s,body=slow", "status=200,trickle=100/s,body=slow", nil},
		{"ack-lost", "status=200,ack-lost", nil},
		{"ack-lost,status=202", "status=202,ack-lost", nil},
		{"flap=10s/5s", "flap=10s/5s,status=503", nil},
		{"flap=10s/5s,reset", "flap=10s/5s,reset", nil},
		{"rate=100/s,burst=20", "rate=100/s,burst=20,status=429", nil},
		{"rate=60/m", "rate=1/s,burst=1,status=429", nil},
		{"delay=exp:100ms", "delay=exp:100ms", nil},
		{"delay=normal:2s,500ms,status=202", "delay=normal:2s,500ms,status=202", nil},
		{"delay=pareto:100ms,1.5,reset", "delay=pareto:100ms,1.5,reset", nil},
	}
	for _, tt := range tests {
		r, err := ParseRule(tt.in)
		if err != nil {
			t.Errorf("ParseRule(%q): %v", tt.in, err)
			continue
		}
		if got := r.String(); got != tt.canonical {
			t.Errorf("ParseRule(%q).String() = %q, want %q", tt.in, got, tt.canonical)
		}
		if tt.check != nil && !tt.check(r) {
			t.Errorf("ParseRule(%q) = %+v %+v", tt.in, r, r.Behavior)
		}
		r2, err := ParseRule(r.String())
		if err != nil || r2.String() != r.String() {
			t.Errorf("round trip of %q: %v, %v", r.String(), r2, err)
		}
	}
}

func TestParseRuleErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "no action"},
		{"p=0.5", "no action"},
		{"status=99", "status"},
		{"status=abc", "status"},
		{"bogus=1", "bogus: unknown key (known: "},
		{"stauts=503", `stauts: unknown key (did you mean "status"?)`},
		{"status=503,retry_after=5", `retry_after: unknown key (did you mean "retry-after"?)`},
		{"status=500,status=501", "given twice"},
		{"attempt=0,status=500", "attempt"},
		{"attempt=3-1,status=500", "attempt"},
		{"p=0,status=500", "probability"},
		{"p=1.5,status=500", "probability"},
		{"every=0,status=500", "every"},
		{"after=20s,before=10s,status=500", "before"},
		{"flap=10s,status=500", "UP/DOWN"},
		{"flap=0s/1s", "positive"},
		{"rate=fast", "rate"},
		{"rate=10/d", "unit"},
		{"burst=5,status=500", "without rate"},
		{"delay=sometimes", "duration"},
		{"delay=uniform:3s-1s", "below"},
		{"delay=pareto:1s,-1", "shape"},
		{"reset,hang", "exclude each other"},
		{"gone,status=500", "410"},
		{"redirect=/x,status=200", "redirect needs"},
		{"reset,status=500", "no answer"},
		{"ack-lost,body=x", "no answer"},
		{"hang=-1s", "hang"},
		{"reset=maybe", "true/false"},
		{"endpoint=nope,status=500", "must start with '/'"},
		{"trickle=0/s", "trickle"},
		{"retry-after=0", "positive"},
	}
	for _, tt := range tests {
		_, err := ParseRule(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRule(%q) error = %v; want it to mention %q", tt.in, err, tt.want)
		}
	}
}

func TestParseRules(t *testing.T) {
	t.Parallel()
	good := `# rules
- endpoint: /orders
  attempt: 1-2
  status: 503
  retry-after: 30
- p: 0.05
  reset: true
- {type: a|b, delay: "uniform:1s-2s"}
- hang:
- body: |
    multi
    line
  status: 500
`
	rs, err := ParseRules("rules.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"endpoint=/orders,attempt=1-2,status=503,retry-after=30s", "p=0.05,reset", "type=a|b,delay=uniform:1s-2s", "hang",
		"status=500,body=multi\nline"}
	if len(rs) != len(want) {
		t.Fatalf("got %d rules, want %d: %v", len(rs), len(want), rs)
	}
	for i, r := range rs {
		if r.String() != want[i] {
			t.Errorf("rule %d = %q, want %q", i, r.String(), want[i])
		}
	}
	if rs, err := ParseRules("r.yaml", []byte("rules:\n  - status: 500\n")); err != nil || len(rs) != 1 {
		t.Errorf("rules: wrapper: %v, %v", rs, err)
	}
	if rs, err := ParseRules("r.yaml", nil); err != nil || len(rs) != 0 {
		t.Errorf("empty file: %v, %v", rs, err)
	}

	bad := []struct{ in, want string }{
		{"- status: 500\n  bogus: 1\n", "r.yaml:2: bogus: unknown key"},
		{"- status: 500\n  atempt: 1\n", `r.yaml:2: atempt: unknown key (did you mean "attempt"?)`},
		{"- status: 500\n- status: abc\n", "r.yaml:2: status: expected an HTTP status"},
		{"- status: 500\n\n- p: 0.5\n", "r.yaml:3: no action"},
		{"- status: [500]\n", "r.yaml:1: status: expected a single value"},
		{"status: 500\n", "r.yaml:1: expected a list of rules"},
		{"- 42\n", "r.yaml:1: expected a rule mapping"},
		{"- status: 500\n  status: 501\n", "r.yaml"},
		{"- [unclosed\n", "r.yaml"},
		{"- &x status: 1\n", "r.yaml:1"},
	}
	for _, tt := range bad {
		_, err := ParseRules("r.yaml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRules(%q) error = %v; want %q", tt.in, err, tt.want)
		}
	}
	if _, err := LoadRules("/no/such/rules.yaml"); err == nil || !strings.Contains(err.Error(), "read rules") {
		t.Errorf("LoadRules(missing) = %v", err)
	}
}

func TestDist(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		spec   string
		lo, hi time.Duration
	}{
		{"2s", 2 * time.Second, 2 * time.Second},
		{"uniform:1s-3s", time.Second, 3 * time.Second},
		{"normal:1s,100ms", 0, maxDelay},
		{"exp:100ms", 0, maxDelay},
		{"lognormal:200ms,0.5", 0, maxDelay},
		{"pareto:100ms,1.5", 100 * time.Millisecond, maxDelay},
		{"pareto:1h,0.01", time.Hour, maxDelay},
	}
	for _, tt := range tests {
		d, err := ParseDist(tt.spec)
		if err != nil {
			t.Fatalf("ParseDist(%q): %v", tt.spec, err)
		}
		if d2, err := ParseDist(d.String()); err != nil || d2 != d {
			t.Errorf("round trip of %q via %q: %v, %v", tt.spec, d.String(), d2, err)
		}
		for range 1000 {
			if v := d.Sample(r); v < tt.lo || v > tt.hi {
				t.Fatalf("%s: sample %v outside [%v, %v]", tt.spec, v, tt.lo, tt.hi)
			}
		}
	}
	// Same seed, same draws.
	d, _ := ParseDist("exp:1s")
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for range 100 {
		if d.Sample(a) != d.Sample(b) {
			t.Fatal("same seed gave different delays")
		}
	}
	// The mean of exp:1s is about 1s (loose statistical bound, 10000 draws).
	var sum time.Duration
	for range 10000 {
		sum += d.Sample(r)
	}
	if mean := sum / 10000; mean < 900*time.Millisecond || mean > 1100*time.Millisecond {
		t.Errorf("exp:1s mean %v", mean)
	}
	for _, bad := range []string{"x", "uniform:1s", "normal:1s", "exp:0s", "lognormal:1s,0", "weibull:1s,2", "pareto:0s,1"} {
		if _, err := ParseDist(bad); err == nil {
			t.Errorf("ParseDist(%q): no error", bad)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"endpoint=/o,attempt=1-2,status=503,retry-after=30", "p=0.1,reset", "delay=pareto:1s,1.5,status=200",
		"flap=1s/2s", "rate=5/s,burst=2", "type=a|b,every=3,hang=2s", "trickle=10/s,body=x", "ack-lost,status=202", "retry-after=date:5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("parsed rule does not validate: %v", err)
		}
		if strings.ContainsAny(s, "\n\r") || strings.Contains(r.Behavior.(*Action).Body, ",") {
			return // body text is not re-parseable in the comma form
		}
		r2, err := ParseRule(r.String())
		if err != nil || r2.String() != r.String() {
			t.Fatalf("round trip %q → %q: %v (%v)", s, r.String(), err, r2)
		}
		// The mapping form of the same keys and values is the same rule.
		var opts []signature.Option
		for _, kv := range splitRuleFields(r.String()) {
			k, v, _ := strings.Cut(kv, "=")
			opts = append(opts, signature.Option{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
		}
		r3, err := ParseRuleOptions(opts)
		if err != nil || r3.String() != r.String() {
			t.Fatalf("mapping form of %q: %v (%v)", r.String(), err, r3)
		}
	})
}

func FuzzParseRules(f *testing.F) {
	f.Add("- endpoint: /orders\n  attempt: 1-2\n  status: 503\n")
	f.Add("rules:\n  - {p: 0.5, reset: true}\n")
	f.Add("- body: |\n    x\n  status: 500\n")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseRules("f.yaml", []byte(s))
		if err != nil {
			return
		}
		for _, r := range rs {
			if err := r.Validate(); err != nil {
				t.Fatalf("parsed rule does not validate: %v", err)
			}
		}
	})
}

// TestParseRuleOptions: the mapping form builds the same rule as the
// string form, and takes a value with a comma the string form would split.
func TestParseRuleOptions(t *testing.T) {
	t.Parallel()
	opts := []signature.Option{{Key: "endpoint", Value: "/o"}, {Key: "attempt", Value: "1-2"}, {Key: "status", Value: "503"}, {Key: "retry-after", Value: "30"}}
	got, err := ParseRuleOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseRule("endpoint=/o,attempt=1-2,status=503,retry-after=30")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("mapping form %s, string form %s", got, want)
	}
	r, err := ParseRuleOptions([]signature.Option{{Key: "status", Value: "500"}, {Key: "body", Value: `{"a":1,"b":2}`}})
	if err != nil || r.Behavior.(*Action).Body != `{"a":1,"b":2}` {
		t.Errorf("body with a comma: %+v, %v", r.Behavior, err)
	}
	for _, tt := range []struct {
		opts []signature.Option
		want string
	}{
		{[]signature.Option{{Key: "stauts", Value: "503"}}, `stauts: unknown key (did you mean "status"?)`},
		{[]signature.Option{{Key: "status", Value: "503"}, {Key: "status", Value: "504"}}, "status: given twice"},
		{[]signature.Option{{Key: "p", Value: "0.5"}}, "no action"},
	} {
		if _, err := ParseRuleOptions(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRuleOptions(%v) = %v, want %q", tt.opts, err, tt.want)
		}
	}
}
