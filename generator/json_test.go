package generator

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/threshold"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func sampleSummary(tb testing.TB) *Summary {
	tb.Helper()
	lat := Percentiles{Count: 998, Mean: 2 * time.Millisecond, P50: 1500 * time.Microsecond, P90: 3 * time.Millisecond,
		P99: 9 * time.Millisecond, P999: 20 * time.Millisecond, Max: 31 * time.Millisecond}
	s := &Summary{
		Pacer: "100/s", Elapsed: 10*time.Second + 20*time.Millisecond,
		Intended: 1000, Sent: 1000, Late: 3, WorstLate: 4 * time.Millisecond, Duplicates: 10, BytesSent: 64000,
		IntendedRate: 100, AchievedRate: 99.5, RateError: -0.5,
		OK: 995, Statuses: map[int]uint64{202: 995, 503: 3}, Errors: map[string]uint64{"timeout": 2},
		Failed: 5, ErrorRate: 0.5,
		Latency: lat, Uncorrected: lat, Lateness: Percentiles{Count: 1000, P50: 50 * time.Microsecond, Max: 4 * time.Millisecond},
		Warnings: []string{"body is not a JSON object: <no id field> & no type"},
	}
	var ts []threshold.Threshold
	for _, spec := range []string{"errors<1%", "latency_p99<1ms", "sent_rate>=90/s", "e2e_p99<500ms"} {
		th, err := threshold.Parse(spec)
		if err != nil {
			tb.Fatal(err)
		}
		ts = append(ts, th)
	}
	s.EvaluateThresholds(ts)
	return s
}

func TestGoldenJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := sampleSummary(t).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "summary.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("summary.json differs (go test -update rewrites it):\n%s", buf.String())
	}
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*Summary{"sample": sampleSummary(t), "empty": {}} {
		var buf bytes.Buffer
		if err := s.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["schema"] != SchemaID || doc["schema_version"] != float64(SchemaVersion) {
			t.Errorf("%s: schema %v %v", name, doc["schema"], doc["schema_version"])
		}
		for k, v := range doc {
			if k != strings.ToLower(k) {
				t.Errorf("%s: key %q is not snake_case", name, k)
			}
			if v == nil {
				t.Errorf("%s: %q is null", name, k)
			}
		}
	}
}

func TestSummaryValue(t *testing.T) {
	t.Parallel()
	s := sampleSummary(t)
	tests := []struct {
		name string
		want float64
		has  bool
	}{
		{"trigger_p99", float64(9 * time.Millisecond), true},
		{"trigger_p99.9", float64(20 * time.Millisecond), true},
		{"trigger_uncorrected_max", float64(31 * time.Millisecond), true},
		{"lateness_p50", float64(50 * time.Microsecond), true},
		{"trigger_min", 0, false},
		{"trigger_p99.99", 0, false},
		{"e2e_first_p99", 0, false},
		{"delivered", 0, false},
		{"errors", 0.5, true},
		{"rate_error", -0.5, true},
		{"sent_rate", 99.5, true},
		{"sent", 1000, true},
		{"sent_failed", 5, true},
		{"sent_errors", 2, true},
		{"sent_duplicates", 10, true},
		{"duration", float64(10*time.Second + 20*time.Millisecond), true},
	}
	for _, tt := range tests {
		got, has := s.Value(tt.name)
		if got != tt.want || has != tt.has {
			t.Errorf("Value(%q) = %v, %v; want %v, %v", tt.name, got, has, tt.want, tt.has)
		}
	}
	if _, has := (&Summary{}).Value("errors"); has {
		t.Error("errors has a value with nothing sent")
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✓ errors<1% (0.5%)", "✗ latency_p99<1ms (9ms)", "✓ sent_rate>=90/s (99.5/s)", "✗ e2e_p99<500ms (no value)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, text.String())
		}
	}
}

// validate checks v against the subset of JSON Schema schema.json uses:
// type, properties, required, additionalProperties, items, $ref, enum,
// const.
func validate(root, schema map[string]any, v any, path string) error {
	if ref, ok := schema["$ref"].(string); ok {
		def, ok := root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: unknown $ref %s", path, ref)
		}
		return validate(root, def, v, path)
	}
	if c, ok := schema["const"]; ok && !reflect.DeepEqual(c, v) {
		return fmt.Errorf("%s: %v, schema const %v", path, v, c)
	}
	if e, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return reflect.DeepEqual(x, v) }) {
		return fmt.Errorf("%s: %v not in enum %v", path, v, e)
	}
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want object", path, v)
		}
		for _, r := range schema["required"].([]any) {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: required %q missing", path, r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for k, val := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				return fmt.Errorf("%s: %q is not in the schema", path, k)
			}
			if err := validate(root, ps, val, path+"."+k); err != nil {
				return err
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want array", path, v)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range arr {
				if err := validate(root, items, it, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case "integer", "number":
		n, ok := v.(float64)
		if !ok {
			return fmt.Errorf("%s: %T, want number", path, v)
		}
		if schema["type"] == "integer" && n != float64(int64(n)) {
			return fmt.Errorf("%s: %v is not an integer", path, n)
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %T, want string", path, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %T, want boolean", path, v)
		}
	}
	return nil
}

func TestJSONMatchesSchema(t *testing.T) {
	t.Parallel()
	var schema map[string]any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if schema["$id"] != SchemaID {
		t.Fatalf("schema $id %v, want %s", schema["$id"], SchemaID)
	}
	late := sampleSummary(t)
	late.Lateness.P99 = 12 * time.Millisecond
	for name, s := range map[string]*Summary{"sample": sampleSummary(t), "empty": {}, "not held": late} {
		var buf bytes.Buffer
		if err := s.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if err := validate(schema, schema, v, "$"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := validate(schema, schema, map[string]any{"schema": SchemaID}, "$"); err == nil {
		t.Fatal("validator accepted a document missing every field")
	}
}

func TestSummaryScheduleHeld(t *testing.T) {
	t.Parallel()
	base := func(rateErr float64, p99 time.Duration) Summary {
		achieved := 50000 * (1 + rateErr/100)
		return Summary{Pacer: "50000/s", Intended: 500000, Sent: uint64(500000 * (1 + rateErr/100)), IntendedRate: 50000,
			AchievedRate: achieved, RateError: rateErr, Lateness: Percentiles{Count: 1, P99: p99}}
	}
	tests := []struct {
		name string
		s    Summary
		held bool
		why  []string // substrings of the reason, in order
	}{
		{"held", base(-0.4, 900*time.Microsecond), true, nil},
		{"limits inclusive", base(-1, 5*time.Millisecond), true, nil},
		{"late", base(0.2, 12*time.Millisecond), false, []string{"p99 lateness 12.00ms > 5.00ms"}},
		{"slow", base(-16.4, 2*time.Millisecond), false, []string{"achieved 41,800/s of 50,000/s intended (rate error -16.4 % beyond 1 %)"}},
		{"fast", base(1.5, 0), false, []string{"rate error 1.5 %"}},
		{"both", base(-16.4, 12*time.Millisecond), false, []string{"p99 lateness 12.00ms", "; achieved 41,800/s"}},
		{"nothing sent", Summary{Intended: 100, IntendedRate: 100}, false, []string{"achieved 0/s of 100/s"}},
		{"capacity", Summary{Capacity: true, Sent: 10, Lateness: Percentiles{P99: time.Second}}, true, nil},
		{"empty", Summary{}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held, why := tt.s.ScheduleHeld()
			if held != tt.held {
				t.Fatalf("held = %v (%q), want %v", held, why, tt.held)
			}
			if held != (why == "") {
				t.Errorf("held %v with reason %q", held, why)
			}
			rest := why
			for _, w := range tt.why {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("reason %q lacks %q", why, w)
				}
				rest = rest[i+len(w):]
			}
			var text, js bytes.Buffer
			if err := tt.s.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := tt.s.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Held    *bool  `json:"schedule_held"`
				NotHeld string `json:"schedule_not_held"`
			}
			if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Held == nil || *doc.Held != held || doc.NotHeld != why {
				t.Errorf("json schedule_held %v %q, want %v %q", doc.Held, doc.NotHeld, held, why)
			}
			wantText := "Held         yes"
			if !held {
				wantText = "schedule not held: " + why
			}
			if tt.s.Capacity {
				if strings.Contains(text.String(), "Held") {
					t.Errorf("capacity summary speaks of a held schedule:\n%s", text.String())
				}
			} else if !strings.Contains(text.String(), wantText) {
				t.Errorf("text lacks %q:\n%s", wantText, text.String())
			}
		})
	}
}
