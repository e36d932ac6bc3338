package sink

import (
	"slices"
	"strings"
	"testing"
)

// TestKeyInfos keeps the documented key tables true: they list exactly the
// keys the parsers accept, in order, and every example parses and uses its
// key.
func TestKeyInfos(t *testing.T) {
	tests := []struct {
		name  string
		infos []KeyInfo
		keys  []string
		parse func(string) error
	}{
		{"rule", RuleKeyInfos(), ruleKeys, func(s string) error { _, err := ParseRule(s); return err }},
		{"endpoint", EndpointKeyInfos(), endpointKeys, func(s string) error { _, err := ParseEndpoint(s); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, k := range tt.infos {
				got = append(got, k.Key)
				if err := tt.parse(k.Example); err != nil {
					t.Errorf("%s: example %q: %v", k.Key, k.Example, err)
				}
				if !strings.Contains(k.Example, k.Key) {
					t.Errorf("%s: example %q does not use the key", k.Key, k.Example)
				}
				if strings.Contains(k.Example, "`") || k.Meaning == "" {
					t.Errorf("%s: example %q / meaning %q: want an example without backticks and a meaning", k.Key, k.Example, k.Meaning)
				}
			}
			if !slices.Equal(got, tt.keys) {
				t.Errorf("documented keys\n %v\nparser keys\n %v", got, tt.keys)
			}
			if err := tt.parse("path=/o,no-such-key=1"); err == nil {
				t.Error("an undocumented key parsed")
			}
		})
	}
}
