package generator

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestScanID(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, want string }{
		{`{"id":"evt_123"}`, "evt_123"},
		{` { "status" : "ok" , "id" : "abc" } `, "abc"},
		{`{"id":42}`, "42"},
		{`{"id":-1.5e3,"x":1}`, "-1.5e3"},
		{`{"data":{"id":"nested"},"id":"top"}`, "top"},
		{`{"data":{"id":"nested"}}`, ""},
		{`{"list":[{"id":1},"}"],"id":"after"}`, "after"},
		{`{"s":"a\"id\":\"x","id":"y"}`, "y"},
		{`{"identifier":"no"}`, ""},
		{`{"id":null}`, ""},
		{`{"id":"esc\"aped"}`, ""},
		{`["id","x"]`, ""},
		{``, ""},
		{`{"id":`, ""},
		{`{"a":1 "id":"x"}`, ""},
		{`not json`, ""},
	}
	for _, tt := range tests {
		if got := string(scanID([]byte(tt.body))); got != tt.want {
			t.Errorf("scanID(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func FuzzScanID(f *testing.F) {
	for _, s := range []string{`{"id":"x"}`, `{"a":[1,{"b":"}"}],"id":2}`, `{"id"`, `{`, `{"a":"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := scanID(b)
		// When the body is a valid object with a plain string or number id
		// at the top level, the scan must agree with encoding/json.
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil || got == nil {
			return
		}
		raw, ok := m["id"]
		if !ok {
			t.Fatalf("scanID(%q) = %q but the object has no id", b, got)
		}
		var s string
		if !utf8.Valid(raw) {
			// encoding/json replaces invalid UTF-8 with U+FFFD; the
			// scanner keeps the provider's bytes, which is what a
			// correlation key needs.
			return
		}
		if json.Unmarshal(raw, &s) == nil {
			if s != string(got) {
				t.Fatalf("scanID(%q) = %q, encoding/json says %q", b, got, s)
			}
		} else if string(raw) != string(got) {
			t.Fatalf("scanID(%q) = %q, encoding/json says %s", b, got, raw)
		}
	})
}
