// Command report-prof builds the report of a trace and renders every format
// (as `hookbench report --format all` does, without writing files) under a
// CPU profile, for optimising the report path (used by hand, not by CI).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/hookbench/hookbench/reports"
)

func main() {
	out := flag.String("cpuprofile", "/tmp/report.prof", "profile file")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: report-prof [-cpuprofile FILE] TRACE")
		os.Exit(2)
	}
	debug.SetMemoryLimit(48 << 20) // as hookbench report does
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	err = run(flag.Arg(0))
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string) error {
	sum, err := reports.Build(context.Background(), reports.NewOptions(), path)
	if err != nil {
		return err
	}
	outs, err := reports.Outputs(sum, []string{reports.FormatText, reports.FormatJSON, reports.FormatHlog, reports.FormatCSV, reports.FormatHTML}, reports.OutputOptions{})
	if err != nil {
		return err
	}
	for _, o := range outs {
		if err := o.Report(io.Discard); err != nil {
			return err
		}
	}
	return nil
}
