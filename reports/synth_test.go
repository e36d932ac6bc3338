package reports

import (
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/hookbench/hookbench/internal/synthtrace"
)

// synthOptions shape a synthetic load-test trace (see synthtrace.Options).
type synthOptions struct {
	Attempts int
	Rate     float64
	Seed     uint64
	FailPct  int
}

// writeSynthTrace writes a synthetic load-test trace (synthtrace.Write,
// started at testStart) and returns the number of records written.
func writeSynthTrace(tb testing.TB, w io.Writer, o synthOptions) int {
	tb.Helper()
	n, err := synthtrace.Write(w, synthtrace.Options{Attempts: o.Attempts, Rate: o.Rate, Seed: o.Seed, FailPct: o.FailPct,
		Start: testStart, Hookbench: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestWriteLargeTrace writes a synthetic trace for hand measurements:
//
//	HOOKBENCH_SYNTH=/tmp/10m.hbt HOOKBENCH_SYNTH_N=10000000 go test -run TestWriteLargeTrace ./reports
func TestWriteLargeTrace(t *testing.T) {
	path := os.Getenv("HOOKBENCH_SYNTH")
	if path == "" {
		t.Skip("set HOOKBENCH_SYNTH=path (and HOOKBENCH_SYNTH_N) to write a synthetic trace")
	}
	n, err := strconv.Atoi(os.Getenv("HOOKBENCH_SYNTH_N"))
	if err != nil || n <= 0 {
		n = 1_000_000
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := writeSynthTrace(t, f, synthOptions{Attempts: n, Rate: 20000, Seed: 1, FailPct: 5})
	t.Logf("wrote %s: %d attempts, %d records", path, n, recs)
}
