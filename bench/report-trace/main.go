// Command report-trace writes a large synthetic trace of an open-loop load
// test, for measuring `hookbench report` (bench/report.sh): events at a
// fixed rate, each delivered to one of three endpoints, a share of attempts
// failing with 503 and retried a second later, records in the order a real
// run writes them (completion time). It is the generator the report
// benchmarks use (internal/synthtrace) as a program; it prints the number of
// records.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/hookbench/hookbench/internal/synthtrace"
)

func main() {
	out := flag.String("out", "", "trace file to write")
	n := flag.Int("attempts", 2_000_000, "attempts to write")
	rate := flag.Float64("rate", 20000, "events per second")
	fail := flag.Int("fail", 5, "percent of attempts answered 503 (retried 1 s later)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" || *n <= 0 || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "usage: report-trace -out FILE [-attempts N] [-rate R] [-fail PCT] [-seed S]")
		os.Exit(2)
	}
	recs, err := write(*out, synthtrace.Options{Attempts: *n, Rate: *rate, Seed: *seed, FailPct: *fail,
		Start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Hookbench: "bench"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "report-trace:", err)
		os.Exit(1)
	}
	fmt.Println(recs)
}

func write(path string, o synthtrace.Options) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create trace: %w", err)
	}
	n, err := synthtrace.Write(f, o)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close trace: %w", cerr)
	}
	return n, err
}
