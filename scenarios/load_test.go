package scenarios

import (
	"errors"
	"github.com/hookbench/hookbench/adapter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/sink"
)

const validScenario = `name: ok
provider:
  adapter: reference
  reference:
    time_scale: 0.001
policy: svix
sink:
  endpoints:
    - path: /a
      event_types: [a.b]
    - path: /b
      scheme: stripe
      secret: ${SECRET}
  rules:
    - endpoint=/a,attempt=1,status=503
phases:
  - name: one
    duration: 2s
    rate: ${RATE}
    timeout: ${TIMEOUT:-3s}
    sink:
      - at: 1s
        endpoint: /b
        rules: [status=500]
        for: 500ms
  - name: two
    count: 100
    chaos:
      - action: sink-down
        for: 1s
drain: 7s
`

func TestParseValid(t *testing.T) {
	t.Parallel()
	sc, err := Parse("ok.yaml", []byte(validScenario), map[string]string{"RATE": "25.5", "SECRET": "whsec_abc"})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "ok" || sc.Drain != 7*time.Second || sc.File != "ok.yaml" {
		t.Errorf("name/drain/file = %q %v %q", sc.Name, sc.Drain, sc.File)
	}
	if !sc.PolicySet || sc.Policy.Profile != policy.ProfileSvix || sc.Policy.MaxAttempts != 8 {
		t.Errorf("policy = %+v", sc.Policy)
	}
	p := sc.Phases[0]
	if p.Rate != 25.5 || p.Timeout != 3*time.Second || p.Duration != 2*time.Second {
		t.Errorf("phase 0 = %+v", p)
	}
	if sc.Phases[1].Name != "two" || sc.Phases[1].Count != 100 {
		t.Errorf("phase 1 = %+v", sc.Phases[1])
	}
	a, b := sc.Sink.Endpoints[0], sc.Sink.Endpoints[1]
	if a.Name != "/a" || a.Scheme != "svix" || b.Scheme != "stripe" || b.Secret != "whsec_abc" {
		t.Errorf("endpoints = %+v %+v", a, b)
	}
	if got := sc.Redactor.Redact("key whsec_abc here"); got != "key "+Redacted+" here" {
		t.Errorf("redact = %q", got)
	}
	if sc.Provider.Reference == nil || sc.Provider.Reference.TimeScale != 0.001 {
		t.Errorf("reference = %+v", sc.Provider.Reference)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	sc, err := Parse("d.yaml", []byte("sink:\n  endpoints:\n    - path: /x\nphases:\n  - duration: 1s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Provider.Adapter != "reference" || sc.Drain != DefaultDrain || sc.PolicySet {
		t.Errorf("defaults: adapter %q drain %v policySet %v", sc.Provider.Adapter, sc.Drain, sc.PolicySet)
	}
	if sc.Policy.Profile != policy.ProfileStandardWebhooks || sc.Sink.Endpoints[0].Scheme != "standard" {
		t.Errorf("reference default policy = %+v", sc.Policy)
	}
	if sc.Phases[0].Name != "phase-1" {
		t.Errorf("phase name = %q", sc.Phases[0].Name)
	}
}

func TestParsePolicyOverlay(t *testing.T) {
	t.Parallel()
	src := "policy:\n  profile: github\n  max_attempts: 3\n  backoff: {kind: schedule, schedule: [1s, 2s]}\n  secrets: [\"s3cr3t\"]\nsink:\n  endpoints:\n    - path: /x\nphases:\n  - duration: 1s\n"
	sc, err := Parse("p.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Policy
	if p.Profile != "github" || p.MaxAttempts != 3 || p.Timeout != 10*time.Second || p.Scheme != "github" || len(p.Backoff.Schedule) != 2 {
		t.Errorf("policy = %+v", p)
	}
	if sc.Sink.Endpoints[0].Secret != "s3cr3t" || sc.Redactor.Redact("s3cr3t") != Redacted {
		t.Errorf("policy secret not applied or not redacted: %+v", sc.Sink.Endpoints[0])
	}
}

// base is a valid scenario the error cases below break one line of. Line
// numbers in the table refer to the broken text.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		src   string
		vars  map[string]string
		line  int
		field string
		msg   string
	}{
		{"unknown top key", "name: x\nbogus: 1\n", nil, 2, "", `unknown field "bogus"`},
		{"unknown nested key", "sink:\n  endpoints:\n    - path: /a\n      colour: red\n", nil, 4, "", `unknown field "colour" in sink.endpoints[0]`},
		{"misspelt top key", "name: x\nphase:\n  - duration: 1s\n", nil, 2, "", `unknown field "phase" (did you mean "phases"?)`},
		{"misspelt nested key", "sink:\n  endpoints:\n    - path: /a\n      secrte: x\n", nil, 4, "", `unknown field "secrte" in sink.endpoints[0] (did you mean "secret"?)`},
		{"misspelt phase key", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rat: 5\n", nil, 6, "", `unknown field "rat" in phases[0] (did you mean "rate"?)`},
		{"misspelt chaos key", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    chaos:\n      - acton: restart\n", nil, 7, "", `unknown field "acton" in phases[0].chaos[0] (did you mean "action"?)`},
		{"misspelt policy key", "policy:\n  max_attempt: 3\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "", `unknown field "max_attempt" in policy (did you mean "max_attempts"?)`},
		{"misspelt nested policy key", "policy:\n  backoff:\n    kindd: schedule\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "", `unknown field "kindd" in policy.backoff (did you mean "kind"?)`},
		{"wrong type", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rate: fast\n", nil, 6, "phases[0].rate", "expected a number"},
		{"bad duration", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 10 seconds\n", nil, 5, "phases[0].duration", "expected a duration"},
		{"integer duration", "drain: 5\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 1, "drain", "expected a duration"},
		{"negative count", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    count: -3\n", nil, 6, "phases[0].count", "out of range"},
		{"rate out of range", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rate: 5000000\n", nil, 6, "phases[0].rate", "must be in [0, 1e+06]"},
		{"duplicates out of range", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rate: 1\n    duplicates: 1.5\n", nil, 7, "phases[0].duplicates", "fraction"},
		{"unknown threshold metric", "thresholds:\n  - errors<1%\n  - eror<1%\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "thresholds[1]", `did you mean "errors"`},
		{"threshold without unit", "thresholds: [e2e_p99<500]\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 1, "thresholds[0]", "has no unit"},
		{"no phases", "sink:\n  endpoints:\n    - path: /a\n", nil, 1, "phases", "at least one phase"},
		{"no endpoints", "sink: {}\nphases:\n  - duration: 1s\n", nil, 1, "sink.endpoints", "at least one endpoint"},
		{"bad path", "sink:\n  endpoints:\n    - path: orders\nphases:\n  - duration: 1s\n", nil, 3, "sink.endpoints[0].path", "must start with /"},
		{"duplicate path", "sink:\n  endpoints:\n    - path: /a\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 4, "sink.endpoints[1].path", "duplicate endpoint path"},
		{"unknown adapter", "provider:\n  adapter: grpc\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "provider.adapter", "must be reference, http or command"},
		{"unknown profile", "policy: paypal\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 1, "policy", "unknown policy profile"},
		{"policy field invalid", "policy:\n  profile: svix\n  max_attempts: 0\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "policy.max_attempts", "at least 1"},
		{"policy jitter invalid", "policy:\n  profile: svix\n  backoff: {kind: schedule, schedule: [1s], jitter: wobbly}\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 0, "policy.backoff.jitter", "none, full, equal or proportional"},
		{"policy delay negative", "policy:\n  max_attempts: 3\n  backoff: {kind: schedule, schedule: [1s, -1s]}\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 0, "policy.backoff.schedule[1]", "is negative"},
		{"policy format invalid", "policy:\n  profile: svix\n  format: cloudevents\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "policy.format", "cloudevents-binary"},
		{"policy unknown key", "policy:\n  retries: 3\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "", `unknown field "retries" in policy`},
		{"unset variable", "sink:\n  endpoints:\n    - path: /a\n      secret: ${NOPE}\nphases:\n  - duration: 1s\n", nil, 4, "sink.endpoints[0].secret", "${NOPE} is not set"},
		{"bad variable name", "name: ${1X}\n", nil, 1, "name", "invalid variable name"},
		{"chaos misspelt action", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    chaos:\n      - action: sink-dwn\n", nil, 7, "phases[0].chaos[0].action", `got "sink-dwn" (did you mean "sink-down"?)`},
		{"misspelt reference fault", "provider:\n  reference:\n    faults: [no-jiter]\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "provider.reference.faults[0]", `unknown fault "no-jiter" (did you mean "no-jitter"?)`},
		{"chaos unknown action", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    chaos:\n      - action: meteor\n", nil, 7, "phases[0].chaos[0].action", "must be one of"},
		{"chaos endpoint missing", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    chaos:\n      - action: endpoint-down\n        endpoint: /zz\n", nil, 8, "phases[0].chaos[0].endpoint", "needs the path of a sink endpoint"},
		{"rule change after phase", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    sink:\n      - at: 2s\n        rules: [status=503]\n", nil, 7, "phases[0].sink[0].at", "after the phase ends"},
		{"http without block", "provider:\n  adapter: http\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 1, "provider", "needs an http block"},
		{"http unknown template", "provider:\n  adapter: http\n  http:\n    base_url: http://127.0.0.1:1\n    endpoint:\n      - path: /e\n        body: '{\"u\":\"{{sink}}\"}'\n    trigger:\n      path: /t\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 7, "provider.http.endpoint[0].body", "unknown template value {{sink}}"},
		{"http bad json path", "provider:\n  adapter: http\n  http:\n    base_url: http://127.0.0.1:1\n    setup:\n      - path: /s\n        extract:\n          id: id\n    trigger:\n      path: /t\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 8, "provider.http.setup[0].extract.id", "JSON path"},
		{"http bad status", "provider:\n  adapter: http\n  http:\n    base_url: http://127.0.0.1:1\n    trigger:\n      path: /t\n      expect: [99]\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 7, "provider.http.trigger.expect[0]", "HTTP status"},
		{"command provider restart", "provider:\n  adapter: command\n  command:\n    trigger:\n      run: [true]\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    chaos:\n      - action: provider-restart\n", nil, 12, "phases[0].chaos[0].action", "needs the reference adapter"},
		{"sink listen not loopback", "sink:\n  listen: 0.0.0.0:9000\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "sink.listen", "set sink.public: true"},
		{"sink listen no port", "sink:\n  listen: 127.0.0.1\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "sink.listen", "host:port"},
		{"sink listen everywhere without url", "sink:\n  listen: 0.0.0.0:9000\n  public: true\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "sink.listen", "set sink.url to the URL the provider reaches the sink at (e.g. http://10.0.0.5:9000)"},
		{"sink url with a path", "sink:\n  url: http://10.0.0.5:9000/hooks\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "sink.url", "with nothing after it"},
		{"sink url not http", "sink:\n  url: tcp://10.0.0.5:9000\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 2, "sink.url", "want http://HOST[:PORT]"},
		{"reference listen not loopback", "provider:\n  reference:\n    listen: 10.0.0.1:8080\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "provider.reference.listen", "set provider.reference.public: true"},
		{"reference public without key", "provider:\n  reference:\n    listen: 10.0.0.1:8080\n    public: true\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n", nil, 3, "provider.reference.listen", "api_key is required"},
		{"two documents", "name: a\n---\nname: b\n", nil, 0, "", "exactly one YAML document"},
		{"syntax error", "name: [unclosed\n", nil, 1, "", ""},
		{"unquoted variable in a flow list", "policy:\n  secrets: [${S}]\n", map[string]string{"S": "x"}, 2, "", `quote a variable`},
		{"top-level list", "- a\n- b\n", nil, 1, "", "must be a mapping"},
		{"empty", "", nil, 0, "", "exactly one YAML document"},
		{"duplicate key", "name: a\nname: b\n", nil, 2, "", "already defined"},
		{"secret redacted in error", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: ${API_TOKEN}\n", map[string]string{"API_TOKEN": "tok_supersecret"}, 5, "phases[0].duration", "expected a duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.src), tc.vars)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid: %v", err)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("not a *LoadError: %T %v", err, err)
			}
			if le.File != "bad.yaml" || (tc.line > 0 && le.Line != tc.line) || le.Field != tc.field {
				t.Errorf("got file %q line %d field %q, want line %d field %q (%v)", le.File, le.Line, le.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "supersecret") {
				t.Errorf("error leaks a secret: %v", err)
			}
			if tc.line > 0 && !strings.HasPrefix(err.Error(), "bad.yaml:") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestParseCollectsSeveralErrors(t *testing.T) {
	t.Parallel()
	src := "sink:\n  endpoints:\n    - path: a\nphases:\n  - duration: 1s\n    rate: -1\n"
	_, err := Parse("m.yaml", []byte(src), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"m.yaml:3: sink.endpoints[0].path", "m.yaml:6: phases[0].rate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte("sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rate: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil)
	if err == nil || !strings.HasPrefix(err.Error(), path+":6: phases[0].rate: ") {
		t.Errorf("Load error = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), nil); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("missing file: %v (must be an I/O error, not ErrInvalid)", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("name: "+strings.Repeat("x", MaxFileSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

func TestExpandVars(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"A": "1", "EMPTY": "", "KEY": "k$y"}
	cases := []struct {
		in, want, err string
	}{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${A}", "x1y1", ""},
		{"${MISSING:-dflt}", "dflt", ""},
		{"${EMPTY:-dflt}", "dflt", ""},
		{"${EMPTY}", "", ""},
		{"$${A}", "${A}", ""},
		{"cost $5", "cost $5", ""},
		{"${KEY}", "k$y", ""},
		{"${MISSING}", "", "is not set"},
		{"${A", "", "unterminated"},
		{"${}", "", "invalid variable name"},
		{"${A-B}", "", "invalid variable name"},
	}
	for _, tc := range cases {
		got, err := expandVars(tc.in, vars, nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expandVars(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expandVars(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestVariableTyping(t *testing.T) {
	t.Parallel()
	// A plain scalar takes the type of its substituted text.
	src := "seed: ${SEED}\nsink:\n  keep_bodies: ${KEEP}\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rate: ${RATE}\n"
	_, err := Parse("t.yaml", []byte(src), map[string]string{"SEED": "42", "KEEP": "true", "RATE": "five"})
	if err == nil || !strings.Contains(err.Error(), "t.yaml:8: phases[0].rate: expected a number") {
		t.Fatalf("non-numeric variable into a number: %v", err)
	}
	sc, err := Parse("t.yaml", []byte(src), map[string]string{"SEED": "42", "KEEP": "true", "RATE": "5"})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Seed != 42 || !sc.Sink.KeepBodies || sc.Phases[0].Rate != 5 {
		t.Errorf("typed substitution: seed %d keep %v rate %v", sc.Seed, sc.Sink.KeepBodies, sc.Phases[0].Rate)
	}
	// A substituted value cannot inject YAML structure.
	sc, err = Parse("t.yaml", []byte("name: ${N}\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n"), map[string]string{"N": "a: b\nphases: []"})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "a: b\nphases: []" || len(sc.Phases) != 1 {
		t.Errorf("injection: name %q phases %d", sc.Name, len(sc.Phases))
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	var r Redactor
	r.Add("abcd", "", "x", "abcdefg", "abcd")
	if got := r.Redact("x abcdefg y abcd z"); got != "x "+Redacted+" y "+Redacted+" z" {
		t.Errorf("Redact = %q", got)
	}
	c := r.Clone()
	c.Add("zzzz")
	if r.Redact("zzzz") != "zzzz" || c.Redact("zzzz") != Redacted {
		t.Error("Clone is not independent")
	}
	var nilR *Redactor
	if nilR.Redact("abcd") != "abcd" {
		t.Error("nil redactor changed text")
	}
	err := r.RedactError(errors.New("token abcd"))
	if err.Error() != "token "+Redacted {
		t.Errorf("RedactError = %v", err)
	}
	if !adapter.SecretName("API_KEY") || !adapter.SecretName("Authorization") || adapter.SecretName("RATE") {
		t.Error("secretName")
	}
}

// TestRuleForms: a rule written as a mapping (the form of a sink rules
// file) loads to the same sink rule as its --rule string, and a mapping
// value may hold the commas the string form would split on.
func TestRuleForms(t *testing.T) {
	t.Parallel()
	src := `sink:
  endpoints:
    - path: /a
  rules:
    - endpoint=/a,attempt=1-2,status=503,retry-after=30
    - endpoint: /a
      attempt: 1-2
      status: 503
      retry-after: ${RA}
    - status: 500
      body: '{"error":"busy","retry":true}'
    - {p: 0.5, reset: }
phases:
  - duration: 1s
    sink:
      - endpoint: /a
        rules:
          - {status: 429, retry-after: 5}
`
	sc, err := Parse("r.yaml", []byte(src), map[string]string{"RA": "30"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range sc.Sink.Rules {
		r, err := sc.Sink.Rules[i].Rule()
		if err != nil {
			t.Fatalf("rules[%d]: %v", i, err)
		}
		got = append(got, r.String())
	}
	if got[0] != got[1] {
		t.Errorf("string form %q, mapping form %q: want the same rule", got[0], got[1])
	}
	r2, _ := sc.Sink.Rules[2].Rule()
	if a, ok := r2.Behavior.(*sink.Action); !ok || a.Body != `{"error":"busy","retry":true}` {
		t.Errorf("body with commas: %+v", r2.Behavior)
	}
	if !strings.Contains(got[3], "reset") || !strings.Contains(got[3], "p=0.5") {
		t.Errorf("flag key with no value: %q", got[3])
	}
	pr, err := sc.Phases[0].Sink[0].Rules[0].Rule()
	if err != nil || !strings.Contains(pr.String(), "status=429") {
		t.Errorf("phase rule: %v, %v", pr, err)
	}
	if s := sc.Sink.Rules[1].String(); s != "endpoint=/a,attempt=1-2,status=503,retry-after=30" {
		t.Errorf("String() of the mapping form = %q", s)
	}
}

func TestParseSinkErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, field, msg string
		line                  int
	}{
		{"bad rule", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - endpoint=/a,status=abc\nphases:\n  - duration: 1s\n", "sink.rules[0]", "status", 5},
		{"rule for unknown endpoint", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - endpoint=/zz,status=500\nphases:\n  - duration: 1s\n", "sink.rules[0]", "not a sink endpoint", 5},
		{"bad endpoint option", "sink:\n  endpoints:\n    - path: /a\n      options: colour=red\nphases:\n  - duration: 1s\n", "sink.endpoints[0]", "unknown key", 3},
		{"unknown scheme", "sink:\n  endpoints:\n    - path: /a\n      scheme: rot13\nphases:\n  - duration: 1s\n", "sink.endpoints[0]", "rot13", 3},
		{"misspelt rule key", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - stauts=503\nphases:\n  - duration: 1s\n", "sink.rules[0]", `stauts: unknown key (did you mean "status"?)`, 5},
		{"misspelt rule mapping key", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - endpoint: /a\n      stauts: 503\nphases:\n  - duration: 1s\n", "sink.rules[0]", `stauts: unknown key (did you mean "status"?)`, 5},
		{"rule mapping bad value", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - status: abc\nphases:\n  - duration: 1s\n", "sink.rules[0]", "status: expected an HTTP status", 5},
		{"rule mapping for unknown endpoint", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - {endpoint: /zz, status: 500}\nphases:\n  - duration: 1s\n", "sink.rules[0]", "not a sink endpoint", 5},
		{"rule mapping nested value", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - status: [500]\nphases:\n  - duration: 1s\n", "sink.rules[0]", "status: expected a single value, found sequence", 5},
		{"rule neither form", "sink:\n  endpoints:\n    - path: /a\n  rules:\n    - [status=500]\nphases:\n  - duration: 1s\n", "sink.rules[0]", "expected a rule: a string (status=503,delay=1s) or a mapping (status: 503), found sequence", 5},
		{"phase rule mapping", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    sink:\n      - endpoint: /a\n        rules:\n          - flap: x\n", "phases[0].sink[0].rules[0]", "flap", 9},
		{"bad phase rule", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    sink:\n      - endpoint: /a\n        rules: [flap=x]\n", "phases[0].sink[0].rules[0]", "flap", 8},
		{"conform type prefix", "sink:\n  endpoints:\n    - path: /a\nconform:\n  type_prefix: a b\nphases:\n  - duration: 1s\n", "conform.type_prefix", "spaces", 5},
		{"conform max endpoints", "sink:\n  endpoints:\n    - path: /a\nconform:\n  max_endpoints: -2\nphases:\n  - duration: 1s\n", "conform.max_endpoints", "must be in [0, 10000]", 5},
		{"bad payload template", "sink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n    rate: 1\n    payload: '{\"a\":{{nope}}}'\n", "phases[0].payload", "nope", 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yaml", []byte(tc.src), nil)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v", err)
			}
			if le.Line != tc.line || le.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v (line %d field %q), want line %d field %q containing %q", err, le.Line, le.Field, tc.line, tc.field, tc.msg)
			}
		})
	}
}

func TestParseConformAndSubscriber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		src           string
		wantScheme    string
		wantInherited bool
		wantSecret    string
		wantOptions   string
		wantConform   ConformSpec
	}{
		{"scheme from the policy", "policy: svix\nsink:\n  endpoints:\n    - path: /a\n      event_types: [x]\n    - path: /b\n      scheme: github\nphases:\n  - duration: 1s\n",
			"svix", true, "", "", ConformSpec{}},
		{"unsigned policy", "policy: {max_attempts: 1, scheme: none}\nsink:\n  endpoints:\n    - path: /a\nphases:\n  - duration: 1s\n",
			"", true, "", "", ConformSpec{}},
		{"endpoint unsigned", "policy: svix\nsink:\n  endpoints:\n    - path: /a\n      scheme: none\nphases:\n  - duration: 1s\n",
			"", false, "", "", ConformSpec{}},
		{"generic with its options", "policy: {max_attempts: 1}\nsink:\n  endpoints:\n    - path: /a\n      scheme: generic\n      secret: s3\n      options: sig-header=X-Sig,id-header=X-Id,template={id}.{body}\nconform: {type_prefix: acme., max_endpoints: 12}\nphases:\n  - duration: 1s\n",
			"generic", false, "s3", "sig-header=X-Sig,id-header=X-Id,template={id}.{body}", ConformSpec{TypePrefix: "acme.", MaxEndpoints: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc, err := Parse("c.yaml", []byte(tt.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			sub := sc.Subscriber()
			if sub == nil || sub.Path != "/a" || sub.EventTypes != nil {
				t.Fatalf("subscriber %+v, want the first endpoint without its event types", sub)
			}
			if sub.Scheme != tt.wantScheme || sub.InheritsScheme() != tt.wantInherited || sub.Secret != tt.wantSecret || sub.Options != tt.wantOptions {
				t.Errorf("subscriber scheme %q (inherited %v) secret %q options %q; want %q (%v) %q %q", sub.Scheme, sub.InheritsScheme(), sub.Secret, sub.Options, tt.wantScheme, tt.wantInherited, tt.wantSecret, tt.wantOptions)
			}
			if sc.Conform != tt.wantConform {
				t.Errorf("conform %+v, want %+v", sc.Conform, tt.wantConform)
			}
		})
	}
}

// TestParseGenericSignature: the generic scheme configured by YAML only:
// policy.scheme_options reach endpoints that take the policy's scheme,
// and an endpoint's options may be a mapping (values with commas need no
// quoting rule of their own).
func TestParseGenericSignature(t *testing.T) {
	t.Parallel()
	src := `policy:
  profile: standard-webhooks
  scheme: generic
  scheme_options: {header: X-Signature, timestamp_param: t, signature_param: v1, template: "{timestamp},{body}"}
sink:
  endpoints:
    - path: /a
      secret: k1
      options: {tolerance: 60s}
    - path: /b
      scheme: generic
      secret: "k2,with comma"
      options:
        sig-header: X-Other
        template: "{body}"
        timestamp_param: ""
        signature_param: sha256
        types: [a, b]
    - path: /c
      scheme: github
      options: "max-body=1KiB"
phases:
  - duration: 1s
`
	sc, err := Parse("g.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sc.Sink.Endpoints[0].SinkConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	if s := a.Signature; s.Scheme != "generic" || s.Header != "X-Signature" || s.TimestampParam != "t" || s.Template != "{timestamp},{body}" || s.Tolerance != time.Minute {
		t.Errorf("/a signature = %+v", s)
	}
	b, err := sc.Sink.Endpoints[1].SinkConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	if s := b.Signature; s.Header != "X-Other" || s.Template != "{body}" || s.TimestampParam != "" || s.SignatureParam != "sha256" ||
		len(s.Secrets) != 1 || s.Secrets[0] != "k2,with comma" || len(b.Types) != 2 {
		t.Errorf("/b = %+v", b)
	}
	if c, err := sc.Sink.Endpoints[2].SinkConfig(false); err != nil || c.MaxBody != 1024 || c.Signature.Header != "" {
		t.Errorf("/c = %+v, %v", c, err)
	}
	for _, bad := range []struct{ src, field, msg string }{
		{strings.Replace(src, "template: \"{timestamp},{body}\"}", "template: \"{nobody}\"}", 1), "policy.scheme_options", "template"},
		{strings.Replace(src, "tolerance: 60s}", "tolerance: {x: 1}}", 1), "sink.endpoints[0].options.tolerance", "expected a string"},
		{strings.Replace(src, "scheme: generic\n  scheme_options", "scheme: standard\n  scheme_options", 1), "policy", "scheme_options"},
	} {
		_, err := Parse("g.yaml", []byte(bad.src), nil)
		var le *LoadError
		if !errors.As(err, &le) || !strings.Contains(le.Field, bad.field) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("want an error on %s mentioning %q, got %v", bad.field, bad.msg, err)
		}
	}
}
