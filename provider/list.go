package provider

import (
	"io"

	"github.com/hookbench/hookbench/internal/doctable"
)

// WriteFaultList writes every fault with the rule it breaks, as aligned
// text ("text" or empty: the --help listing) or as the Markdown table of
// docs/provider.md ("markdown").
func WriteFaultList(w io.Writer, format string) error {
	t := doctable.Table{Header: []string{"fault", "breaks"}}
	for _, f := range Faults() {
		name := f.Name
		if format == doctable.Markdown {
			name = doctable.Code(name)
		}
		t.Rows = append(t.Rows, []string{name, f.Breaks})
	}
	return t.Write(w, format)
}
