// Package doctable renders the reference tables that live in code (checks,
// faults, signature schemes, sink keys) as aligned text for a terminal or
// as a Markdown table for the documentation, so that both come from one
// source and the docs can be regenerated instead of edited by hand.
package doctable

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Output formats.
const (
	Text     = "text"
	Markdown = "markdown"
)

// Formats lists the formats Write accepts.
func Formats() []string { return []string{Text, Markdown} }

// Check reports whether format is one Write accepts; the empty string
// means Text.
func Check(format string) error {
	switch format {
	case "", Text, Markdown:
		return nil
	}
	return fmt.Errorf("format %q: expected %s or %s", format, Text, Markdown)
}

// Table is a header and its rows; every row has len(Header) cells.
type Table struct {
	Header []string
	Rows   [][]string
}

// Write renders t in format ("" is Text).
func (t Table) Write(w io.Writer, format string) error {
	if err := Check(format); err != nil {
		return err
	}
	if format == Markdown {
		return t.markdown(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	for _, r := range t.Rows {
		// Markdown code spans read as plain text on a terminal.
		fmt.Fprintln(tw, strings.ReplaceAll(strings.Join(r, "\t"), "`", ""))
	}
	return tw.Flush()
}

func (t Table) markdown(w io.Writer) error {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" ")
			b.WriteString(Cell(c))
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	line(t.Header)
	b.WriteString("|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Cell makes s safe inside a Markdown table cell: a pipe would end the
// cell and a newline the row.
func Cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// Code wraps s in backticks as Markdown inline code (s must hold none);
// the text format drops them again.
func Code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// Metric describes one Prometheus metric a component publishes.
type Metric struct {
	Name   string
	Type   string // counter, gauge or histogram
	Labels string // comma-separated label names, "" for none
	Help   string
}

// MetricTable is the reference table of metrics.
func MetricTable(ms []Metric) Table {
	t := Table{Header: []string{"metric", "type", "labels", "meaning"}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []string{Code(m.Name), m.Type, m.Labels, m.Help})
	}
	return t
}

// M returns a Metric; lists of metrics read best one call a line.
func M(name, typ, labels, help string) Metric {
	return Metric{Name: name, Type: typ, Labels: labels, Help: help}
}
