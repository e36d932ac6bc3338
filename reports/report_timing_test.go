package reports

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/hookbench/hookbench/trace"
)

// benchAttempts is the size of the benchmark trace; figures extrapolate
// linearly (every structure is bounded, so per-record cost is flat).
const benchAttempts = 400_000

var benchTrace = sync.OnceValues(func() ([]byte, int) {
	var buf bytes.Buffer
	n := writeSynthTrace(&testing.B{}, &buf, synthOptions{Attempts: benchAttempts, Rate: 20000, Seed: 1, FailPct: 5})
	return buf.Bytes(), n
})

// decodeAll decodes a trace into memory (for the Add-only benchmark).
func decodeAll(tb testing.TB, data []byte) []trace.Record {
	tb.Helper()
	d := trace.NewDecoder(bytes.NewReader(data))
	var out []trace.Record
	for {
		var rec trace.Record
		if err := d.Decode(&rec); err != nil {
			if err == io.EOF {
				return out
			}
			tb.Fatal(err)
		}
		out = append(out, rec)
	}
}

// BenchmarkReportAdd measures Report.Add alone on decoded records.
func BenchmarkReportAdd(b *testing.B) {
	data, _ := benchTrace()
	recs := decodeAll(b, data)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := New(NewOptions())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(recs); i += feedBatch {
			r.AddBatch(recs[i:min(i+feedBatch, len(recs))])
		}
		if _, err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkTraceToAllReports measures the whole job: decode the trace
// (on its own goroutine), build the report, write every format.
func BenchmarkTraceToAllReports(b *testing.B) {
	data, n := benchTrace()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := New(NewOptions())
		if err != nil {
			b.Fatal(err)
		}
		if err := Feed(context.Background(), r, Source{Name: "bench", R: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
		sum, err := r.Close()
		if err != nil {
			b.Fatal(err)
		}
		outs, err := Outputs(sum, []string{FormatText, FormatJSON, FormatHlog, FormatCSV, FormatHTML}, OutputOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			if err := o.Report(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	}
	rate := float64(n) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "records/s")
	b.ReportMetric(10e6/rate, "s/10M-records")
}
