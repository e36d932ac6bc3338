package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hookbench/hookbench/conformance"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func sampleChecks() []conformance.Result {
	return []conformance.Result{
		{ID: "1.1", Title: "Signs every delivery", Source: "Standard Webhooks §signature", Verdict: conformance.Pass, Summary: "all 9 attempts carried a valid signature"},
		{ID: "2.4", Title: "Event ids are unique", Source: "spec", Verdict: conformance.Info, Summary: "6 events, no duplicates"},
		{ID: "3.1", Title: "Retries 5xx answers", Source: "declared policy", Verdict: conformance.Fail,
			Summary: "ev6 was retried 80ms after a 500 <expected 5s±20%> & more",
			Evidence: []conformance.Evidence{
				{EventID: "ev6", MsgID: "msg_ev6", Endpoint: "/billing", Expected: "retry after 5s ±20%", Observed: "after 500ms", TimesMs: []int64{2800, 3300, 4300}},
				{EventID: "ev1", Endpoint: "/orders", Observed: "ok"},
			}},
		{ID: "4.2", Title: "Honours Retry-After", Source: "RFC 9110 §10.2.3", Verdict: conformance.Skip, Summary: "the sink sent no Retry-After"},
		{ID: "5.1", Title: "Gives up on 410 Gone", Source: "spec", Verdict: conformance.Warn, Summary: "one more attempt after 410"},
	}
}

func sampleSummary(t *testing.T) *Summary {
	t.Helper()
	sum := build(t, testOptions(), sampleRun())
	sum.Checks = sampleChecks()
	sum.EvaluateThresholds(sampleThresholds(t))
	return sum
}

// golden compares got with testdata/name, rewriting it with -update.
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
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(go test -update rewrites it)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d (go test -update rewrites it)", name, len(gl), len(wl))
	}
}

func render(t *testing.T, rep Reporter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := rep(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGoldenFormats(t *testing.T) {
	sum := sampleSummary(t)
	tests := []struct {
		file string
		rep  Reporter
	}{
		{"report.txt", NewText(sum)},
		{"report.json", NewJSON(sum)},
		{"junit.xml", NewJUnit("reference", sum.Checks, 4300*time.Millisecond)},
		{"series.csv", NewCSV(sum)},
		{"report.html", NewHTML(sum, "hookbench report: sample")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, render(t, tt.rep))
		})
	}
}

// validate checks a decoded JSON value against a JSON Schema subset (type,
// properties, required, additionalProperties, items, $ref, enum, const,
// minimum, minItems, maxItems): enough for schema.json.
func validate(root, schema map[string]any, v any, path string) error {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def, ok := root["$defs"].(map[string]any)[name].(map[string]any)
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
		props, _ := schema["properties"].(map[string]any)
		for _, r := range schema["required"].([]any) {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: required %q missing", path, r)
			}
		}
		for k, val := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					return fmt.Errorf("%s: %q is not in the schema", path, k)
				}
				continue
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
		if n, ok := schema["minItems"].(float64); ok && float64(len(arr)) < n {
			return fmt.Errorf("%s: %d items, want >= %v", path, len(arr), n)
		}
		if n, ok := schema["maxItems"].(float64); ok && float64(len(arr)) > n {
			return fmt.Errorf("%s: %d items, want <= %v", path, len(arr), n)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range arr {
				if err := validate(root, items, it, path+"["+strconv.Itoa(i)+"]"); err != nil {
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
		if m, ok := schema["minimum"].(float64); ok && n < m {
			return fmt.Errorf("%s: %v below minimum %v", path, n, m)
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
	docs := map[string]*Summary{
		"sample":      sampleSummary(t),
		"checks only": {Checks: sampleChecks()},
		"empty":       {},
		"generated":   build(t, testOptions(), genRun(11, 2000, "j", testStart, 300)),
	}
	for name, s := range docs {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, s); err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			if err := validate(schema, schema, v, "$"); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The validator must reject what the schema forbids.
	bad := map[string]any{"schema": "x"}
	if err := validate(schema, schema, bad, "$"); err == nil {
		t.Fatal("validator accepted a document missing every field")
	}
}

func TestReadResultsRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleSummary(t)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResults(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleChecks()
	for i := range want {
		if want[i].Evidence == nil {
			want[i].Evidence = []conformance.Evidence{}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, want)
	}
	arr := `[{"id":"9.9","title":"t","source":"s","verdict":"warn","summary":"x"}]`
	got, err = ReadResults(strings.NewReader(arr))
	if err != nil || len(got) != 1 || got[0].Verdict != conformance.Warn {
		t.Fatalf("bare array: %+v, %v", got, err)
	}
	for _, bad := range []string{``, `{}`, `{"checks":[{"id":"1","verdict":"MAYBE"}]}`, `[{"verdict":"PASS"}]`, `"x"`, `[1]`} {
		var re *ResultsError
		if _, err := ReadResults(strings.NewReader(bad)); !errors.As(err, &re) {
			t.Errorf("%q: err = %v, want *ResultsError", bad, err)
		}
	}
}

func FuzzReadResults(f *testing.F) {
	f.Add([]byte(`{"checks":[{"id":"1.1","verdict":"PASS","evidence":[{"times_ms":[1,2]}]}]}`))
	f.Add([]byte(`[{"id":"x","verdict":"fail"}]`))
	f.Add([]byte(`{"checks":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadResults(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever parses must survive a write/read round trip.
		var buf bytes.Buffer
		if err := WriteJSON(&buf, &Summary{Checks: res}); err != nil {
			t.Fatal(err)
		}
		again, err := ReadResults(&buf)
		if err != nil || len(again) != len(res) {
			t.Fatalf("round trip: %d results, %v (had %d)", len(again), err, len(res))
		}
	})
}

func TestJUnitStructure(t *testing.T) {
	t.Parallel()
	out := render(t, NewJUnit("ref", sampleChecks(), 2*time.Second))
	var doc junitSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Tests != 5 || s.Failures != 1 || s.Skipped != 1 || doc.Time != "2.000" {
		t.Fatalf("suite totals %+v", s)
	}
	fail := s.Cases[2]
	if fail.Failure == nil || !strings.Contains(fail.Failure.Body, "event=ev6") || !strings.Contains(fail.Failure.Body, "2800, 3300, 4300") {
		t.Fatalf("failure lacks evidence: %+v", fail.Failure)
	}
	if s.Cases[3].Skipped == nil || s.Cases[4].Failure != nil || s.Cases[4].SystemOut == nil || !strings.HasPrefix(s.Cases[4].SystemOut.Body, "WARN") {
		t.Fatalf("skip/warn cases wrong: %+v %+v", s.Cases[3], s.Cases[4])
	}
	if s.Cases[0].Classname != "ref.section1" {
		t.Fatalf("classname %q", s.Cases[0].Classname)
	}
}

func TestHlogReadsBackWithLibrary(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.MaxHlogIntervals = 4 // force coarsening: 16 s of data into <= 4 lines
	sum := build(t, opts, genRun(21, 8000, "l", testStart.Add(123*time.Millisecond), 500))
	for _, metric := range Metrics() {
		rep, err := NewHlog(sum, metric)
		if err != nil {
			t.Fatal(err)
		}
		out := render(t, rep)
		rd := hdr.NewHistogramLogReader(bytes.NewReader(out))
		total := libHist()
		lines := 0
		for {
			h, err := rd.NextIntervalHistogram()
			if err != nil {
				t.Fatalf("%s: %v", metric, err)
			}
			if h == nil {
				break
			}
			lines++
			total.Merge(h)
		}
		d := sum.Metric(metric)
		if total.TotalCount() != d.Count {
			t.Fatalf("%s: intervals hold %d values, report %d", metric, total.TotalCount(), d.Count)
		}
		if d.Count > 0 && (lines == 0 || lines > 4) {
			t.Fatalf("%s: %d intervals, want 1..4", metric, lines)
		}
		for _, p := range d.Percentiles[:len(d.Percentiles)-1] {
			if got := min(time.Duration(total.ValueAtPercentile(p.P)), d.Max); got != p.Value {
				t.Errorf("%s p%v: merged intervals %v, report %v", metric, p.P, got, p.Value)
			}
		}
		if !bytes.Contains(out, []byte("#[StartTime: ")) || !bytes.Contains(out, []byte("#[Histogram log format version 1.3]")) {
			t.Errorf("%s: headers missing", metric)
		}
	}
	if _, err := NewHlog(sum, "nope"); err == nil {
		t.Fatal("unknown metric accepted")
	}
}

func TestCSVSeries(t *testing.T) {
	t.Parallel()
	sum := sampleSummary(t)
	rows, err := csv.NewReader(bytes.NewReader(render(t, NewCSV(sum)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(sum.Series.Points) || !slices.Equal(rows[0], CSVHeader()) {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	var attempts int64
	for _, r := range rows[1:] {
		n, _ := strconv.ParseInt(r[3], 10, 64)
		attempts += n
	}
	if attempts != sum.Counts.Attempts {
		t.Fatalf("csv attempts %d, report %d", attempts, sum.Counts.Attempts)
	}
}

// htmlNode is a minimal DOM built with encoding/xml's HTML mode.
type htmlNode struct {
	name     string
	attrs    map[string]string
	children []*htmlNode
	text     strings.Builder
}

func parseHTML(t *testing.T, data []byte) *htmlNode {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &htmlNode{name: "#document"}
	stack := []*htmlNode{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("html does not parse: %v", err)
		}
		top := stack[len(stack)-1]
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &htmlNode{name: strings.ToLower(tk.Name.Local), attrs: map[string]string{}}
			for _, a := range tk.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			name := strings.ToLower(tk.Name.Local)
			if top.name != name {
				t.Fatalf("</%s> closes <%s>", name, top.name)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text.Write(tk)
		}
	}
	if len(stack) != 1 {
		t.Fatalf("unclosed <%s>", stack[len(stack)-1].name)
	}
	return root
}

func (n *htmlNode) all(match func(*htmlNode) bool) []*htmlNode {
	var out []*htmlNode
	var walk func(*htmlNode)
	walk = func(x *htmlNode) {
		if match(x) {
			out = append(out, x)
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(n *htmlNode, id string) *htmlNode {
	if m := n.all(func(x *htmlNode) bool { return x.attrs["id"] == id }); len(m) == 1 {
		return m[0]
	}
	return nil
}

func TestHTMLStructure(t *testing.T) {
	t.Parallel()
	sum := sampleSummary(t)
	sum.Warnings = append(sum.Warnings, "a <b>warning</b>")
	out := render(t, NewHTML(sum, ""))
	doc := parseHTML(t, out)
	for _, id := range []string{"cards", "warnings", "checks", "checks-bar", "latency", "over-time", "endpoints", "event-types", "timelines"} {
		if byID(doc, id) == nil {
			t.Errorf("no element #%s", id)
		}
	}
	checks := doc.all(func(x *htmlNode) bool { return x.name == "details" && strings.Contains(x.attrs["class"], "check") })
	if len(checks) != len(sum.Checks) {
		t.Fatalf("%d expandable checks, want %d", len(checks), len(sum.Checks))
	}
	for i, c := range checks {
		if c.attrs["data-verdict"] != sum.Checks[i].Verdict.String() {
			t.Errorf("check %d verdict %q", i, c.attrs["data-verdict"])
		}
		if len(c.all(func(x *htmlNode) bool { return x.name == "summary" })) != 1 {
			t.Errorf("check %d has no summary line", i)
		}
	}
	fail := byID(doc, "check-3.1")
	if fail == nil || len(fail.all(func(x *htmlNode) bool { return x.name == "tr" })) != 3 { // header + 2 evidence rows
		t.Fatalf("failed check lacks its evidence table")
	}
	// Charts: percentile, latency, throughput, one strip per timeline.
	svgs := doc.all(func(x *htmlNode) bool { return x.name == "svg" })
	if want := 3 + len(sum.Timelines); len(svgs) != want {
		t.Errorf("%d svg charts, want %d", len(svgs), want)
	}
	polys := byID(doc, "latency").all(func(x *htmlNode) bool { return x.name == "polyline" })
	if len(polys) != nMetric {
		t.Errorf("percentile plot has %d curves, want %d", len(polys), nMetric)
	}
	phases := byID(doc, "over-time").all(func(x *htmlNode) bool { return strings.Contains(x.attrs["class"], "phase phase") })
	if len(phases) != 2*3 { // three phases in each of two time charts
		t.Errorf("%d shaded phase bands, want 6", len(phases))
	}
	rows := byID(doc, "timelines").all(func(x *htmlNode) bool { return strings.Contains(x.attrs["class"], "timeline") })
	if len(rows) != len(sum.Timelines) {
		t.Errorf("%d timelines, want %d", len(rows), len(sum.Timelines))
	}
	// Self-contained: no external resource of any kind.
	for _, n := range doc.all(func(*htmlNode) bool { return true }) {
		for _, a := range []string{"src", "href"} {
			if v, ok := n.attrs[a]; ok && !strings.HasPrefix(v, "#") {
				t.Errorf("<%s %s=%q> loads a resource", n.name, a, v)
			}
		}
		if n.name == "link" || n.name == "iframe" || n.name == "img" {
			t.Errorf("<%s> element in a self-contained report", n.name)
		}
	}
	for _, bad := range []string{"http://", "https://", "@import", "url("} {
		text := strings.ReplaceAll(string(out), `xmlns="http://www.w3.org/2000/svg"`, "")
		if strings.Contains(text, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	// Escaping: the failure summary's markup characters stay text.
	if strings.Contains(string(out), "<expected 5s") {
		t.Error("check summary not escaped")
	}
}

func TestHTMLEmptyAndChecksOnly(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*Summary{"empty": {}, "checks only": {Checks: sampleChecks()}} {
		doc := parseHTML(t, render(t, NewHTML(s, "x")))
		if byID(doc, "latency") == nil {
			t.Errorf("%s: no latency section", name)
		}
	}
	if _, err := (HTML{}).WriteTo(io.Discard); err == nil {
		t.Error("HTML without summary written")
	}
}

func TestParseFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"text", []string{"text"}, false},
		{"html, JSON ,json", []string{"json", "html"}, false},
		{"all", Formats(), false},
		{"csv,all", Formats(), false},
		{"pdf", nil, true},
		{"", nil, true},
		{"text,", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseFormats(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseFormats(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	t.Parallel()
	sum := sampleSummary(t)
	outs, err := Outputs(sum, Formats(), OutputOptions{Suite: "s", Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "new", "dir")
	paths, err := WriteFiles(dir, outs)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 5+len(Metrics()) {
		t.Fatalf("wrote %v", paths)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	failing := []Output{{Name: "bad.txt", Report: func(io.Writer) error { return errors.New("boom") }}}
	if _, err := WriteFiles(dir, failing); err == nil {
		t.Fatal("reporter error not returned")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.txt")); !os.IsNotExist(err) {
		t.Fatalf("failed report left a file: %v", err)
	}
	if _, err := Outputs(&Summary{}, []string{FormatJUnit}, OutputOptions{}); !errors.Is(err, ErrNoChecks) {
		t.Fatalf("junit without checks: %v", err)
	}
}
