package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader returns the columns of the per-interval CSV: the interval
// start in seconds, counts, then for each metric its count and p50, p90,
// p99 and max in milliseconds (empty when the interval has no value).
func CSVHeader() []string {
	h := []string{"t_s", "sent", "sent_failed", "attempts", "first_arrivals", "successes",
		"status_2xx", "status_3xx", "status_4xx", "status_5xx", "status_none"}
	for _, m := range Metrics() {
		h = append(h, m+"_n", m+"_p50_ms", m+"_p90_ms", m+"_p99_ms", m+"_max_ms")
	}
	return h
}

// NewCSV returns a Reporter writing the time series as CSV, one row per
// interval (Summary.Series.Step, 1 s unless coarsened).
func NewCSV(s *Summary) Reporter {
	return func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(CSVHeader()); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		row := make([]string, 0, len(CSVHeader()))
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		for _, p := range s.Series.Points {
			row = append(row[:0], strconv.FormatFloat(p.T.Seconds(), 'f', -1, 64), n(p.Sent), n(p.SentFailed), n(p.Attempts),
				n(p.FirstArrivals), n(p.Successes), n(p.Status2xx), n(p.Status3xx), n(p.Status4xx), n(p.Status5xx), n(p.StatusNone))
			for _, q := range p.Latency {
				if q.N == 0 {
					row = append(row, "0", "", "", "", "")
					continue
				}
				row = append(row, n(q.N), ms(q.P50), ms(q.P90), ms(q.P99), ms(q.Max))
			}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		return nil
	}
}
