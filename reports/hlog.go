package reports

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// NewHlog returns a Reporter writing metric's HdrHistogram interval log
// (.hlog, log format 1.3), the format HdrHistogram's HistogramLogReader,
// HistogramLogProcessor and plotting tools read. Values are nanoseconds
// (the Interval_Max column is in milliseconds, as the tools expect);
// timestamps are seconds relative to the #[StartTime] line, which is the
// report start rounded down to the second. Logs of several machines'
// reports merge losslessly by adding their intervals.
func NewHlog(s *Summary, metric string) (Reporter, error) {
	m := metricIndex(metric)
	if m < 0 {
		return nil, fmt.Errorf("hlog: unknown metric %q (want one of %v)", metric, Metrics())
	}
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		lw := hdr.NewHistogramLogWriter(bw)
		startMs := s.Start.UnixMilli()
		baseMs := startMs - startMs%1000
		lw.SetBaseTime(baseMs)
		if err := lw.OutputComment("[hookbench " + s.Version + " report: " + metric + ": " + MetricDescription(metric) + "]"); err != nil {
			return fmt.Errorf("write hlog: %w", err)
		}
		if err := lw.OutputLogFormatVersion(); err != nil {
			return fmt.Errorf("write hlog: %w", err)
		}
		if err := lw.OutputStartTime(baseMs); err != nil {
			return fmt.Errorf("write hlog: %w", err)
		}
		if err := lw.OutputLegend(); err != nil {
			return fmt.Errorf("write hlog: %w", err)
		}
		var line []byte
		if l := s.hlogs[m]; l != nil {
			for _, iv := range l.lines {
				// Same line format as HistogramLogWriter.OutputIntervalHistogram
				// ("%f,%f,%f,%s"), written from the stored encoding to avoid
				// decoding every interval again.
				startSec := (float64(startMs-baseMs) + float64(iv.start)/1e6) / 1000
				lenSec := float64(iv.end-iv.start) / 1e9
				line = strconv.AppendFloat(line[:0], startSec, 'f', 6, 64)
				line = append(line, ',')
				line = strconv.AppendFloat(line, lenSec, 'f', 6, 64)
				line = append(line, ',')
				line = strconv.AppendFloat(line, float64(iv.max)/hdr.MsToNsRatio, 'f', 6, 64)
				line = append(line, ',')
				line = base64.StdEncoding.AppendEncode(line, iv.raw)
				line = append(line, '\n')
				if _, err := bw.Write(line); err != nil {
					return fmt.Errorf("write hlog: %w", err)
				}
			}
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write hlog: %w", err)
		}
		return nil
	}, nil
}

func metricIndex(name string) int {
	for i, n := range Metrics() {
		if n == name {
			return i
		}
	}
	return -1
}
