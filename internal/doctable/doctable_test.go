package doctable

import (
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tab := Table{Header: []string{"key", "meaning"}, Rows: [][]string{{"type", "a|b, one of them"}, {"p", "two\nlines"}}}
	tests := []struct {
		format string
		want   string
	}{
		{Markdown, "| key | meaning |\n|---|---|\n| type | a\\|b, one of them |\n| p | two lines |\n"},
		{Text, "key   meaning\ntype  a|b, one of them\np     two\nlines\n"},
		{"", "key   meaning\ntype  a|b, one of them\np     two\nlines\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := tab.Write(&b, tt.format); err != nil {
			t.Fatalf("%q: %v", tt.format, err)
		}
		if b.String() != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.format, b.String(), tt.want)
		}
	}
	if err := tab.Write(&strings.Builder{}, "html"); err == nil || !strings.Contains(err.Error(), `"html"`) {
		t.Errorf("html: err %v, want an error naming the format", err)
	}
}
