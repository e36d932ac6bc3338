package adapter

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRenderJSON(t *testing.T) {
	t.Parallel()
	vals := map[string]string{"x": "X", "e": "", "f": ""}
	lookup := func(n string) (string, bool) { v, ok := vals[n]; return v, ok }
	tests := []struct {
		name, tmpl, want string
	}{
		{"kept", `{"a":"{{x}}","b":1}`, `{"a":"X","b":1}`},
		{"first dropped", `{"a":"{{e}}","b":1}`, `{"b":1}`},
		{"last dropped", `{"b":1,"a":"{{e}}"}`, `{"b":1}`},
		{"middle dropped", `{"b":1, "a": "{{e}}", "c":2}`, `{"b":1, "c":2}`},
		{"only member", `{"a":"{{e}}"}`, `{}`},
		{"two dropped", `{"a":"{{e}}","b":"{{f}}"}`, `{}`},
		{"nested", `{"o":{"a":"{{e}}"},"k":"{{x}}"}`, `{"o":{},"k":"X"}`},
		{"multi-line", "{\n  \"a\": \"{{e}}\",\n  \"b\": 1\n}", "{\n  \"b\": 1\n}"},
		{"escaped key", `{"b":1,"a\"q":"{{e}}"}`, `{"b":1}`},
		{"part of a string kept", `{"a":"pre {{e}}","b":1}`, `{"a":"pre ","b":1}`},
		{"array item kept", `{"a":["{{e}}"]}`, `{"a":[""]}`},
		{"unquoted kept", `{"a":{{x}}}`, `{"a":X}`},
		{"literal empty kept", `{"a":""}`, `{"a":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := compileTemplate(tt.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tm.renderJSON(lookup)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("renderJSON(%s) = %s, want %s", tt.tmpl, got, tt.want)
			}
		})
	}
	if got, _ := renderBody(`x "a":"{{e}}"`, lookup); got != `x "a":""` {
		t.Errorf("a body that is not an object: %q", got)
	}
}

// FuzzRenderJSON: dropping empty members never panics, and a body that is
// valid JSON when its empty values are kept stays valid when they go.
func FuzzRenderJSON(f *testing.F) {
	f.Add(`{"a":"{{e}}","b":"{{x}}"}`)
	f.Add(`{"a":"{{e}}"}`)
	f.Add(`{ "o": {"a": "{{e}}", "b": "{{e}}"}, "c": ["{{e}}"] }`)
	f.Add(`{"\\":"{{e}}"}`)
	vals := map[string]string{"x": "X", "e": ""}
	lookup := func(n string) (string, bool) { v, ok := vals[n]; return v, ok }
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := compileTemplate(s)
		if err != nil {
			return
		}
		plain, err1 := tm.render(lookup)
		got, err2 := tm.renderJSON(lookup)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("render and renderJSON disagree: %v, %v", err1, err2)
		}
		if err1 == nil && json.Valid([]byte(plain)) && strings.HasPrefix(strings.TrimSpace(plain), "{") && !json.Valid([]byte(got)) {
			t.Fatalf("%q rendered to valid %q but dropping empties gave %q", s, plain, got)
		}
	})
}

func TestResolveVars(t *testing.T) {
	t.Parallel()
	builtins := map[string]string{"run_id": "r1", "sink_url": "http://s"}
	tests := []struct {
		name    string
		vars    map[string]string
		want    map[string]string
		wantErr string
	}{
		{"plain", map[string]string{"a": "1"}, map[string]string{"a": "1"}, ""},
		{"built-in", map[string]string{"app": "hb-{{run_id}}"}, map[string]string{"app": "hb-r1"}, ""},
		{"chain", map[string]string{"a": "{{b}}/x", "b": "{{run_id}}"}, map[string]string{"a": "r1/x", "b": "r1"}, ""},
		{"unknown", map[string]string{"a": "{{nope}}"}, map[string]string{}, "var a: template value {{nope}} is not known here"},
		{"cycle", map[string]string{"a": "{{b}}", "b": "{{a}}"}, map[string]string{}, "refers to itself"},
		{"unterminated", map[string]string{"a": "{{run_id"}, map[string]string{}, "var a: unterminated {{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveVars(tt.vars, builtins)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// FuzzJSONPath compiles arbitrary paths and applies them to arbitrary JSON.
func FuzzJSONPath(f *testing.F) {
	f.Add("$.a.b[0]", []byte(`{"a":{"b":[1]}}`))
	f.Add("$['x-y'][2]", []byte(`{"x-y":[0,1,{"k":true}]}`))
	f.Add("$[", []byte(`[]`))
	f.Fuzz(func(t *testing.T, expr string, doc []byte) {
		p, err := parseJSONPath(expr)
		if err != nil {
			return
		}
		_, _ = p.extract(doc)
	})
}

// FuzzTemplate compiles and renders arbitrary templates.
func FuzzTemplate(f *testing.F) {
	f.Add(`{"u":"{{sink_url}}{{path}}","n":{{rand_int 1 9}}}`)
	f.Add("{{")
	f.Add("{{ pick a|b }}")
	v := newStepVars(map[string]string{"x": "1"}, Options{})
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := compileTemplate(s)
		if err != nil {
			return
		}
		_, _ = tm.render(v.triggerLookup(Event{ID: "e"}, zeroTime, nil, "e"))
		_ = tm.renderPartial(v.lookupGlobal)
		_ = newScope(builtinsTrigger, nil).check(s)
	})
}
