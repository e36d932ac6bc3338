package conformance

import (
	"fmt"
	"io"

	"github.com/hookbench/hookbench/internal/doctable"
)

// ListFormats are the formats WriteCheckList accepts: "text" (the
// terminal listing) and "markdown" (the table in docs/conformance.md).
func ListFormats() []string { return doctable.Formats() }

// WriteCheckList writes every check of the suite, grouped, with its id,
// level, title and source. format is "text" (or empty) or "markdown".
func WriteCheckList(w io.Writer, format string) error {
	if err := doctable.Check(format); err != nil {
		return err
	}
	titles := map[int]string{}
	for _, g := range Groups() {
		titles[g.N] = g.Title
	}
	if format == doctable.Markdown {
		t := doctable.Table{Header: []string{"id", "level", "check", "source"}}
		group := 0
		for _, c := range Checks() {
			if g := GroupOf(c.ID); g != group {
				group = g
				t.Rows = append(t.Rows, []string{fmt.Sprintf("**%d**", g), "", "**" + titles[g] + "**", ""})
			}
			t.Rows = append(t.Rows, []string{c.ID, c.Level.String(), c.Title, c.Source})
		}
		return t.Write(w, format)
	}
	group := 0
	for _, c := range Checks() {
		if g := GroupOf(c.ID); g != group {
			group = g
			if _, err := fmt.Fprintf(w, "%d. %s\n", g, titles[g]); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "  %-5s %-6s %s\n        source: %s\n", c.ID, c.Level, c.Title, c.Source); err != nil {
			return err
		}
	}
	return nil
}
