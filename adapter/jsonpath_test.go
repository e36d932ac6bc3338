package adapter

import (
	"strings"
	"testing"
	"time"
)

var zeroTime = time.Unix(1700000000, 0)

func TestJSONPath(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"id":"ep_1","n":12345678901234567890,"ok":true,"none":null,"data":{"items":[{"key":"whsec_x"},{"key":"b"}],"x-y":{"z":1}},"arr":[1,2]}`)
	cases := []struct {
		path, want, err string
	}{
		{"$.id", "ep_1", ""},
		{"$.n", "12345678901234567890", ""},
		{"$.ok", "true", ""},
		{"$.none", "null", ""},
		{"$.data.items[0].key", "whsec_x", ""},
		{"$.data.items[1]", `{"key":"b"}`, ""},
		{"$['data'][\"x-y\"].z", "1", ""},
		{"$.arr", "[1,2]", ""},
		{"$", "", ""},
		{"$.missing", "", `no key "missing"`},
		{"$.data.items[5]", "", "out of range"},
		{"$.id.x", "", "goes into a string"},
		{"$.arr.x", "", "wants an object"},
		{"$.data[0]", "", "wants an array"},
		{"id", "", "must start with $"},
		{"$.", "", "empty key"},
		{"$[x]", "", "neither an index"},
		{"$[-1]", "", "neither an index"},
		{"$[0", "", "unterminated"},
		{"$x", "", "expected . or ["},
	}
	for _, tc := range cases {
		p, err := parseJSONPath(tc.path)
		var got string
		if err == nil {
			got, err = p.extract(doc)
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if tc.path != "$" && got != tc.want {
			t.Errorf("%s = %q, want %q", tc.path, got, tc.want)
		}
	}
	p, _ := parseJSONPath("$.a")
	if _, err := p.extract([]byte("not json")); err == nil {
		t.Error("non-JSON accepted")
	}
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	v := newStepVars(map[string]string{"app": "app_1"}, Options{Seed: 1})
	lookup := v.triggerLookup(Event{ID: "ev1", Type: "t.x", Payload: []byte(`{"a":1}`), IdemKey: "k1"}, zeroTime, nil, "k1")
	tm, err := compileTemplate(`{{app}}/{{ id }}/{{type}}/{{payload}}/{{idempotency_key}}/{{now}}/{{seq}}/{{seq}}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.render(lookup)
	if err != nil {
		t.Fatal(err)
	}
	if want := `app_1/ev1/t.x/{"a":1}/k1/1700000000/1/1`; got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
	for i := 0; i < 50; i++ {
		tm, _ := compileTemplate("{{rand_int 3 5}}|{{pick a|b}}|{{uuid}}")
		s, err := tm.render(v.triggerLookup(Event{}, zeroTime, nil, ""))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(s, "|")
		if len(parts) != 3 || (parts[0] != "3" && parts[0] != "4" && parts[0] != "5") || (parts[1] != "a" && parts[1] != "b") || len(parts[2]) != 36 || parts[2][14] != '4' {
			t.Fatalf("functions rendered %q", s)
		}
	}
	if _, err := tm.render(func(string) (string, bool) { return "", false }); err == nil {
		t.Error("unknown name rendered")
	}
	part, _ := compileTemplate("{{app}}:{{id}}")
	if got := part.renderPartial(v.lookupGlobal); got != "app_1:{{id}}" {
		t.Errorf("renderPartial = %q", got)
	}
	for _, bad := range []string{"{{", "a {{}} b", "{{x"} {
		if _, err := compileTemplate(bad); err == nil {
			t.Errorf("compileTemplate(%q) accepted", bad)
		}
	}
	sc := newScope(builtinsTrigger, map[string]string{"app": ""})
	if err := sc.check("{{app}}{{id}}{{rand_int 1 2}}"); err != nil {
		t.Error(err)
	}
	if err := sc.check("{{nope}}"); err == nil || !strings.Contains(err.Error(), "unknown template value {{nope}}") {
		t.Errorf("check unknown: %v", err)
	}
	// The generator's template language checks the arguments.
	for _, bad := range []string{"{{pick}}", "{{rand_int 1}}", "{{rand_int 9 1}}", "{{now fortnight}}", "{{uuid x}}"} {
		if err := sc.check(bad); err == nil {
			t.Errorf("check(%q) accepted", bad)
		}
	}
}
