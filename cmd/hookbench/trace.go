package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hookbench/hookbench/trace"
)

const traceExamples = `  hookbench trace dump run.hbt | jq 'select(.kind=="attempt" and .sig!="valid")'
  hookbench trace stats run.hbt
  hookbench trace stats --json run.hbt`

func runTrace(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "trace", "trace dump|stats [flags] FILE", traceExamples)
	asJSON := fs.Bool("json", false, "stats: print JSON instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("want a subcommand (dump or stats) and one trace file")
	}
	f, err := os.Open(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("open trace: %w", err)
	}
	defer f.Close()
	r := ctxReader{ctx, f}
	switch fs.Arg(0) {
	case "dump":
		err := trace.Dump(e.stdout, r)
		var te *trace.TruncatedError
		if errors.As(err, &te) {
			fmt.Fprintf(e.stderr, "hookbench trace: warning: %v\n", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(1), err)
		}
		return nil
	case "stats":
		c, err := trace.Count(r)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(1), err)
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(c)
		}
		printCounts(e, c)
		return nil
	}
	return fmt.Errorf("unknown trace subcommand %q (want dump or stats)", fs.Arg(0))
}

// ctxReader stops reading once ctx ends: reading a large trace is the long
// part of dump, stats and check, and an interrupt must end it.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func printCounts(e *env, c *trace.Counts) {
	w := e.stdout
	fmt.Fprintf(w, "run %s started %s, span %.1f ms\n", c.RunID, c.Start.UTC().Format("2006-01-02T15:04:05Z"), c.SpanMs)
	fmt.Fprintf(w, "sent %d (duplicates %d, errors %d), attempts %d, marks %d\n", c.Sent, c.Dups, c.SentErrs, c.Attempts, c.Marks)
	if c.Dropped > 0 {
		fmt.Fprintf(w, "truncated: %d bytes of an incomplete last record dropped\n", c.Dropped)
	}
	for _, ep := range c.Endpoints {
		fmt.Fprintf(w, "  %-24s attempts %-7d first %-7d retries %-7d bytes %d\n", ep.Endpoint, ep.Attempts, ep.UniqueIDs, ep.Retries, ep.Bytes)
		fmt.Fprintf(w, "  %-24s status %s  sig %s\n", "", joinCounts(ep.Status), joinCounts(ep.Sig))
	}
}

func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
