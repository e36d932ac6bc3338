package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

func testEvent(seq uint64) *Event {
	return &Event{
		ID:   []byte("hb-test-" + string(rune('0'+seq%10))),
		Seq:  seq,
		Time: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Type: "order.created",
		Rand: rand.New(rand.NewPCG(1, seq)),
	}
}

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want string // exact, or a regexp when it starts with ^
	}{
		{"plain text", "plain text"},
		{"", ""},
		{`{"id":"{{id}}"}`, `{"id":"hb-test-7"}`},
		{"{{ seq }}", "7"},
		{"{{now}}", "1767323045"},
		{"{{now ms}}|{{now_ms}}", "1767323045123|1767323045123"},
		{"{{now us}} {{now ns}}", "1767323045123456 1767323045123456789"},
		{"{{now rfc3339}}", "2026-01-02T03:04:05Z"},
		{"{{now_rfc3339}}", "2026-01-02T03:04:05Z"},
		{"{{now rfc3339nano}}", "2026-01-02T03:04:05.123456789Z"},
		{"{{type}}", "order.created"},
		{"{{uuid}}", `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"{{rand_int 5 5}}", "5"},
		{"{{rand_int -3 -1}}", "^-[123]$"},
		{"{{pick only}}", "only"},
		{"{{pick red | green|blue }}", "^(red|green|blue)$"},
		// Each option is trimmed; spaces inside one are kept.
		{"{{pick  dark red |green }}", "^(dark red|green)$"},
		{"a}}b", "a}}b"},
		{"{ {{seq}} }", "{ 7 }"},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.src)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tt.src, err)
			continue
		}
		got := string(tmpl.Append(nil, testEvent(7)))
		if strings.HasPrefix(tt.want, "^") {
			if !regexp.MustCompile(tt.want).MatchString(got) {
				t.Errorf("%q rendered %q, want match of %s", tt.src, got, tt.want)
			}
		} else if got != tt.want {
			t.Errorf("%q rendered %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestTemplateRandomIsPerEvent(t *testing.T) {
	t.Parallel()
	tmpl, err := ParseTemplate("{{uuid}} {{rand_int 0 1000000}} {{pick a|b|c|d|e|f}}")
	if err != nil {
		t.Fatal(err)
	}
	a := string(tmpl.Append(nil, testEvent(1)))
	b := string(tmpl.Append(nil, testEvent(1)))
	c := string(tmpl.Append(nil, testEvent(2)))
	if a != b {
		t.Fatalf("same seed and event gave %q and %q", a, b)
	}
	if a == c {
		t.Fatalf("events 1 and 2 rendered the same random values %q", a)
	}
	// rand_int stays within bounds, including the full int64 range.
	full, _ := ParseTemplate("{{rand_int -9223372036854775808 9223372036854775807}}")
	full.Append(nil, testEvent(3))
	r, _ := ParseTemplate("{{rand_int 10 12}}")
	seen := map[string]bool{}
	for i := uint64(0); i < 200; i++ {
		seen[string(r.Append(nil, testEvent(i)))] = true
	}
	if len(seen) != 3 || !seen["10"] || !seen["12"] {
		t.Fatalf("rand_int 10 12 gave %v", seen)
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src       string
		line, col int
		msg       string
	}{
		{`{"a":"{{nope}}"}`, 1, 9, `unknown placeholder "nope"`},
		{`{"a":{{seq}`, 1, 6, "unclosed {{"},
		{"{\n  \"a\": {{id x}}\n}", 2, 13, "takes no arguments"},
		{"{{rand_int 1}}", 1, 3, "wants 2 integers"},
		{"{{rand_int 1 x}}", 1, 14, `"x" is not an integer`},
		{"{{rand_int 9 1}}", 1, 12, "above upper bound"},
		{"{{now fortnight}}", 1, 7, "unknown format"},
		{"{{now_ms ms}}", 1, 10, "too many arguments"},
		{"{{}}", 1, 1, "empty"},
		{"{{pick}}", 1, 3, "wants options"},
		{"ok {{seq\n}}", 1, 4, "unclosed {{ before the end of the line"},
		{"é{{x}}", 1, 4, `unknown placeholder "x"`},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.src)
		var te *TemplateError
		if !errors.As(err, &te) {
			t.Errorf("ParseTemplate(%q) = %v, want a TemplateError", tt.src, err)
			continue
		}
		if te.Line != tt.line || te.Column != tt.col || !strings.Contains(te.Msg, tt.msg) {
			t.Errorf("ParseTemplate(%q) = %v, want line %d column %d %q", tt.src, err, tt.line, tt.col, tt.msg)
		}
	}
}

func TestJSONBodyEmbedsID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, field string
		want       string
		warn       bool
	}{
		{`{"type":"{{type}}"}`, "hookbench_id", `{"hookbench_id":"hb-test-1","type":"order.created"}`, false},
		{`  { "a": 1 }  `, "hid", `  {"hid":"hb-test-1", "a": 1 }  `, false},
		{`{}`, "hookbench_id", `{"hookbench_id":"hb-test-1"}`, false},
		{`{"mine":"{{id}}"}`, "hookbench_id", `{"mine":"hb-test-1"}`, false},
		{`{"a":1}`, "", `{"a":1}`, false},
		{`[1,2]`, "hookbench_id", `[1,2]`, true},
		{`plain`, "hookbench_id", `plain`, true},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		b, warns := newJSONBody(tmpl, tt.field, 0)
		got := string(b.appendBody(nil, new([]byte), testEvent(1)))
		if got != tt.want {
			t.Errorf("%q → %q, want %q", tt.src, got, tt.want)
		}
		if (len(warns) > 0) != tt.warn {
			t.Errorf("%q: warnings %q, want warning %v", tt.src, warns, tt.warn)
		}
	}
}

func TestJSONBodyPadding(t *testing.T) {
	t.Parallel()
	for _, src := range []string{`{"a":"{{seq}}"}`, "{}\n", `[1]`, `text`} {
		for _, size := range []int{0, 5, 30, 35, 36, 37, 100, 5000} {
			tmpl, _ := ParseTemplate(src)
			b, _ := newJSONBody(tmpl, "hookbench_id", size)
			out := b.appendBody(nil, new([]byte), testEvent(3))
			unpadded, _ := newJSONBody(tmpl, "hookbench_id", 0)
			base := unpadded.appendBody(nil, new([]byte), testEvent(3))
			want := max(size, len(base))
			if len(out) != want {
				t.Errorf("%q size %d: got %d bytes %q, want %d", src, size, len(out), out, want)
			}
			if src != "text" && !json.Valid(out) {
				t.Errorf("%q size %d: padded body is not valid JSON: %q", src, size, out)
			}
		}
	}
}

func TestMsgpackBody(t *testing.T) {
	t.Parallel()
	src := `{"type":"{{type}}","n":{{seq}},"r":{{rand_int 1 1}},"t":{{now ms}},"s":"x-{{seq}}-é\n",` +
		`"p":{{pick 7|true|null|"q"|word}},"nested":{"a":[1,-2,3.5,1e3,"\u00e9",false,{}],"u":18446744073709551615},"at":"{{now rfc3339}}"}`
	tmpl, err := ParseTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	mb, warns, err := compileMsgpack(tmpl, "hookbench_id", 0)
	if err != nil || len(warns) > 0 {
		t.Fatalf("compile: %v %v", err, warns)
	}
	out := mb.appendBody(nil, new([]byte), testEvent(4))
	var got map[string]any
	if err := msgpack.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode msgpack: %v (% x)", err, out)
	}
	// The JSON rendering of the same event must decode to the same values.
	jb, _ := newJSONBody(tmpl, "hookbench_id", 0)
	var want map[string]any
	if err := json.Unmarshal(jb.appendBody(nil, new([]byte), testEvent(4)), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("msgpack %v\n   json %v", normalize(got), normalize(want))
	}
	if got["hookbench_id"] != "hb-test-4" {
		t.Fatalf("hookbench_id = %v", got["hookbench_id"])
	}
}

// normalize turns every number into float64 and re-marshals nested values
// so msgpack and JSON decodings compare equal.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = normalize(e)
		}
		return s
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32:
		return reflect.ValueOf(x).Convert(reflect.TypeOf(float64(0))).Float()
	}
	return v
}

func TestMsgpackPadding(t *testing.T) {
	t.Parallel()
	tmpl, _ := ParseTemplate(`{"a":"{{seq}}"}`)
	smallest, _, _ := compileMsgpack(tmpl, "hookbench_id", 1)
	minLen := len(smallest.appendBody(nil, new([]byte), testEvent(1))) // with an empty pad
	for _, size := range []int{0, 10, 40, 50, 300, 70000} {
		mb, _, err := compileMsgpack(tmpl, "hookbench_id", size)
		if err != nil {
			t.Fatal(err)
		}
		out := mb.appendBody(nil, new([]byte), testEvent(1))
		var m map[string]any
		if err := msgpack.Unmarshal(out, &m); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if size > 0 {
			if _, ok := m[padField]; !ok {
				t.Fatalf("size %d: no pad field in %v", size, m)
			}
			want := max(size, minLen)
			// A string header grows in steps, so the body may fall a byte or two short.
			if len(out) > want || len(out) < want-2 {
				t.Errorf("size %d: body is %d bytes, want %d (smallest %d)", size, len(out), want, minLen)
			}
		}
	}
	arr, _ := ParseTemplate(`[1]`)
	if _, _, err := compileMsgpack(arr, "", 10); err == nil {
		t.Fatal("padding a msgpack array: no error")
	}
}

func TestMsgpackErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src       string
		line, col int
		msg       string
	}{
		{`{"a":}`, 1, 6, "want a JSON value"},
		{`{"a" 1}`, 1, 6, `want ':'`},
		{`{"a":1,}`, 1, 8, "want an object key"},
		{`{"a":tru}`, 1, 6, "want true, false or null"},
		{`{"a":1.2.3}`, 1, 6, "bad number"},
		{"{\n\"a\":[1 2]}", 2, 8, "want ',' or ']'"},
		{`{"a":"x`, 1, 8, "unterminated string"},
		{`{"a":"\q"}`, 1, 7, "bad string"},
		{`{{{seq}}:1}`, 1, 3, `unknown placeholder`},
		{`{"a":1} x`, 1, 9, "after the JSON value"},
		{`{ {{seq}}:1}`, 1, 3, "want an object key"},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.src)
		if err == nil {
			_, _, err = compileMsgpack(tmpl, "", 0)
		}
		var te *TemplateError
		if !errors.As(err, &te) {
			t.Errorf("%q: %v, want a TemplateError", tt.src, err)
			continue
		}
		if te.Line != tt.line || te.Column != tt.col || !strings.Contains(te.Msg, tt.msg) {
			t.Errorf("%q: %v, want line %d column %d %q", tt.src, err, tt.line, tt.col, tt.msg)
		}
	}
}

func TestMsgpackAppenders(t *testing.T) {
	t.Parallel()
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, 1<<63 - 1,
		-1, -32, -33, -128, -129, -32768, -32769, -1 << 31, -1<<31 - 1, -1 << 63}
	for _, v := range ints {
		var got int64
		if err := msgpack.Unmarshal(appendMsgpackInt(nil, v), &got); err != nil || got != v {
			t.Errorf("int %d round trip: %d, %v", v, got, err)
		}
	}
	var u uint64
	if err := msgpack.Unmarshal(appendMsgpackUint(nil, 1<<64-1), &u); err != nil || u != 1<<64-1 {
		t.Errorf("uint max: %d %v", u, err)
	}
	for _, n := range []int{0, 31, 32, 255, 256, 65535, 65536} {
		s := bytes.Repeat([]byte{'z'}, n)
		var got string
		if err := msgpack.Unmarshal(appendMsgpackStr(nil, s), &got); err != nil || got != string(s) {
			t.Errorf("str %d round trip failed: %v", n, err)
		}
	}
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{DefaultBody, `{"a":{{pick 1|"x"|true}},"b":"{{uuid}}-{{id}}"}`, "{{", "{{}}", "{{rand_int 1 2}}", "{\"a\":[{{seq}}]}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := ParseTemplate(src)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || te.Line < 1 || te.Column < 1 {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		jb, _ := newJSONBody(tmpl, "hookbench_id", 64)
		jb.appendBody(nil, new([]byte), testEvent(1))
		mb, _, err := compileMsgpack(tmpl, "hookbench_id", 0)
		if err != nil {
			return
		}
		out := mb.appendBody(nil, new([]byte), testEvent(1))
		var v any
		if err := msgpack.Unmarshal(out, &v); err != nil {
			t.Fatalf("template %q compiled to invalid msgpack % x: %v", src, out, err)
		}
	})
}

func TestIsPlaceholder(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"id": true, "seq": true, "type": true, "uuid": true, "rand_int": true, "pick": true,
		"now": true, "now_ms": true, "now_us": true, "now_ns": true, "now_unix": true, "now_rfc3339": true,
		"url": false, "payload": false, "now_rfc3339nano": false, "": false, "pick a|b": false,
	} {
		if got := IsPlaceholder(name); got != want {
			t.Errorf("IsPlaceholder(%q) = %v, want %v", name, got, want)
		}
		// Every placeholder compiles when it needs no arguments.
		if want && name != "rand_int" && name != "pick" {
			if _, err := ParseTemplate("{{" + name + "}}"); err != nil {
				t.Errorf("{{%s}}: %v", name, err)
			}
		}
	}
}
