package threshold

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec   string
		name   string
		metric string
		op     Op
		limit  float64
		canon  string
	}{
		{"e2e_p99<500ms", "e2e_p99", "e2e_first_p99", Less, float64(500 * time.Millisecond), "e2e_p99<500ms"},
		{"e2e_first_p99.9 <= 1.5s", "e2e_first_p99.9", "e2e_first_p99.9", LessEqual, float64(1500 * time.Millisecond), "e2e_first_p99.9<=1.5s"},
		{"  errors < 1% ", "errors", "errors", Less, 1, "errors<1%"},
		{"delivered>=99.9%", "delivered", "delivered", GreaterEqual, 99.9, "delivered>=99.9%"},
		{"events_unknown==0", "events_unknown", "events_unknown", Equal, 0, "events_unknown==0"},
		{"sent_rate>1000/s", "sent_rate", "sent_rate", Greater, 1000, "sent_rate>1000/s"},
		{"sent_rate>=600/m", "sent_rate", "sent_rate", GreaterEqual, 10, "sent_rate>=10/s"},
		{"attempt_rate>50", "attempt_rate", "attempt_rate", Greater, 50, "attempt_rate>50/s"},
		{"latency_max<250us", "latency_max", "trigger_max", Less, float64(250 * time.Microsecond), "latency_max<250µs"},
		{"LATENCY_P50<1ms", "latency_p50", "trigger_p50", Less, float64(time.Millisecond), "latency_p50<1ms"},
		{"rate_error>-5%", "rate_error", "rate_error", Greater, -5, "rate_error>-5%"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			th, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if th.Name != tt.name || th.Metric.Canonical() != tt.metric || th.Op != tt.op || th.Limit != tt.limit {
				t.Fatalf("got %+v", th)
			}
			if got := th.String(); got != tt.canon {
				t.Fatalf("String() = %q, want %q", got, tt.canon)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		want    string // in the message
		unknown bool
		suggest string
	}{
		{"", "no metric name", false, ""},
		{"<5ms", "no metric name", false, ""},
		{"errors", "no operator", false, ""},
		{"errors=1%", `operator "=1%"`, false, ""},
		{"errors!=1%", `operator "!=1%"`, false, ""},
		{"errors<", "no value", false, ""},
		{"errors<1", "want a percentage", false, ""},
		{"errors<1ms", "want a percentage", false, ""},
		{"e2e_first_p99<500", "has no unit", false, ""},
		{"e2e_first_p99<-5ms", "want a duration", false, ""},
		{"sent<5%", "want a number", false, ""},
		{"sent<NaN", "want a number", false, ""},
		{"sent_rate>5/d", "want a rate", false, ""},
		{"e2e_frist_p99<5ms", "did you mean \"e2e_first_p99\"", true, "e2e_first_p99"},
		{"eror<1%", "did you mean \"errors\"", true, "errors"},
		{"throughput>5/s", "known metrics: DIST_STAT", true, ""},
		{strings.Repeat("a", MaxSpecLen+1), "longer than", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := Parse(tt.spec)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			var ue *UnknownMetricError
			if errors.As(err, &ue) != tt.unknown {
				t.Fatalf("UnknownMetricError: %v, want %v", !tt.unknown, tt.unknown)
			}
			if tt.unknown && ue.Suggestion != tt.suggest {
				t.Fatalf("suggestion %q, want %q", ue.Suggestion, tt.suggest)
			}
			var te *Error
			if !errors.As(err, &te) || te.Spec != tt.spec {
				t.Fatalf("not an *Error naming the spec: %v", err)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	values := map[string]float64{
		"e2e_first_p99": float64(312 * time.Millisecond),
		"errors":        0.25,
		"delivered":     99.95,
		"sent":          10,
		"sent_rate":     999.94,
	}
	lookup := func(n string) (float64, bool) { v, ok := values[n]; return v, ok }
	tests := []struct {
		spec string
		ok   bool
		line string
	}{
		{"e2e_p99<500ms", true, "✓ e2e_p99<500ms (312ms)"},
		{"e2e_p99<300ms", false, "✗ e2e_p99<300ms (312ms)"},
		{"e2e_first_p99<=312ms", true, "✓ e2e_first_p99<=312ms (312ms)"},
		{"errors<1%", true, "✓ errors<1% (0.25%)"},
		{"errors>=0.25%", true, "✓ errors>=0.25% (0.25%)"},
		{"delivered>=99.99%", false, "✗ delivered>=99.99% (99.95%)"},
		{"sent==10", true, "✓ sent==10 (10)"},
		{"sent>10", false, "✗ sent>10 (10)"},
		{"sent_rate>=1000/s", false, "✗ sent_rate>=1000/s (999.9/s)"},
		{"e2e_success_p99<1s", false, "✗ e2e_success_p99<1s (no value)"},
		{"gap_max>=0s", false, "✗ gap_max>=0s (no value)"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			th, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			rs := Evaluate([]Threshold{th}, lookup)
			if rs[0].OK != tt.ok || Passed(rs) != tt.ok {
				t.Fatalf("ok = %v, want %v", rs[0].OK, tt.ok)
			}
			if got := rs[0].String(); got != tt.line {
				t.Fatalf("line %q, want %q", got, tt.line)
			}
		})
	}
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	a, _ := Parse("e2e_p99<500ms")
	b, _ := Parse("errors<1%")
	rs := Evaluate([]Threshold{a, b}, func(n string) (float64, bool) { return 3e8, n == "e2e_first_p99" })
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rs); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(buf.String())
	want := `[{"spec":"e2e_p99<500ms","name":"e2e_p99","metric":"e2e_first_p99","op":"<","limit":500000000,"unit":"ns","measured":300000000,"ok":true},` +
		`{"spec":"errors<1%","name":"errors","metric":"errors","op":"<","limit":1,"unit":"%","measured":null,"ok":false}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestNaNNeverPasses(t *testing.T) {
	t.Parallel()
	th, _ := Parse("errors<=100%")
	rs := Evaluate([]Threshold{th}, func(string) (float64, bool) { return math.NaN(), true })
	if rs[0].OK {
		t.Fatal("NaN passed")
	}
}

func TestLevenshtein(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "abd", 1}, {"abc", "ab", 1}, {"eror", "errors", 2}, {"kitten", "sitting", 3}}
	for _, tt := range tests {
		if got := levenshtein(tt.a, tt.b, 10); got != tt.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}

// TestDocsListEveryMetric keeps the user documentation in step with the
// vocabulary.
func TestDocsListEveryMetric(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/reports.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	names := append(append([]string(nil), dists...), stats...)
	for _, a := range distAliases {
		names = append(names, a[0])
	}
	for _, p := range plains {
		names = append(names, p.name)
	}
	for _, n := range names {
		if !strings.Contains(text, "`"+n+"`") {
			t.Errorf("docs/reports.md does not list `%s`", n)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"e2e_p99<500ms", "errors<1%", "delivered>=99.9%", "sent_rate>1000/s", "sent==0", "x<", "e2e_frist_p99<1s", "latency_p99.99 >= 1h2m3s", "rate_error>-1e308%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		th, err := Parse(spec)
		if err != nil {
			return
		}
		again, err := Parse(th.String())
		if err != nil {
			t.Fatalf("%q parsed, its canonical form %q does not: %v", spec, th.String(), err)
		}
		if again != th {
			t.Fatalf("%q: round trip %+v != %+v", spec, again, th)
		}
		_ = Evaluate([]Threshold{th}, func(string) (float64, bool) { return th.Limit, true })[0].String()
	})
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "1h30m", 2 * time.Minute: "2m", time.Hour + time.Second: "1h0m1s", 0: "0s", 1500 * time.Microsecond: "1.5ms"} {
		if got := Format(Duration, float64(d)); got != want {
			t.Errorf("Format(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	var l List
	for _, s := range []string{"errors<1%", "e2e_p99 < 2s"} {
		if err := l.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Set("eror<1%"); err == nil || len(l) != 2 {
		t.Fatalf("bad spec accepted: %v, %d", err, len(l))
	}
	if got := l.String(); got != "errors<1%,e2e_p99<2s" {
		t.Fatalf("String() = %q", got)
	}
}
