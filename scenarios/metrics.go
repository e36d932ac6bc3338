package scenarios

import (
	"io"
	"sync"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/internal/doctable"
	"github.com/hookbench/hookbench/sink"
)

// MetricList describes the metrics of a run besides the generator's and
// the sink's (RunOptions.Metrics carries all three), for the documentation
// and for dashboards.
func MetricList() []doctable.Metric {
	return []doctable.Metric{
		doctable.M("hookbench_run_phase", "gauge", "phase", "1 for the phase running now (a load phase's name, or drain)"),
		doctable.M("hookbench_run_sent_total", "counter", "", "trigger requests made, by the generator or the adapter"),
		doctable.M("hookbench_run_accepted_total", "counter", "", "triggers the provider accepted"),
		doctable.M("hookbench_run_rejected_total", "counter", "", "triggers that failed (non-2xx or error)"),
		doctable.M("hookbench_run_deliveries_total", "counter", "", "delivery attempts the sink saw"),
		doctable.M("hookbench_run_delivered_total", "counter", "", "(event, endpoint) pairs delivered"),
		doctable.M("hookbench_run_failed_attempts_total", "counter", "", "attempts the sink failed or refused"),
		doctable.M("hookbench_run_bad_signatures_total", "counter", "", "attempts whose signature did not verify"),
		doctable.M("hookbench_run_outstanding", "gauge", "", "(event, endpoint) pairs without a terminal outcome yet"),
	}
}

// runMetrics publishes a run's metrics: its generators', its sink's and
// its tracker's.
type runMetrics struct {
	gen *generator.Metrics

	mu      sync.Mutex // guards tracker and srv
	tracker *tracker
	srv     *sink.Server // the sink started last; kept after Close for a final scrape
}

func newRunMetrics(set *metrics.Set) *runMetrics {
	m := &runMetrics{gen: generator.NewMetrics(set)}
	set.RegisterMetricsWriter(m.write)
	return m
}

func (m *runMetrics) setTracker(t *tracker) {
	m.mu.Lock()
	m.tracker = t
	m.mu.Unlock()
}

func (m *runMetrics) setSink(s *sink.Server) {
	m.mu.Lock()
	m.srv = s
	m.mu.Unlock()
}

func (m *runMetrics) write(w io.Writer) {
	m.mu.Lock()
	t, srv := m.tracker, m.srv
	m.mu.Unlock()
	if t != nil {
		p := t.snapshot()
		if p.Phase != "" {
			metrics.WriteGaugeUint64(w, `hookbench_run_phase{phase="`+labelValue(p.Phase)+`"}`, 1)
		}
		metrics.WriteCounterUint64(w, "hookbench_run_sent_total", p.Sent)
		metrics.WriteCounterUint64(w, "hookbench_run_accepted_total", p.Accepted)
		metrics.WriteCounterUint64(w, "hookbench_run_rejected_total", p.Rejected)
		metrics.WriteCounterUint64(w, "hookbench_run_deliveries_total", p.Deliveries)
		metrics.WriteCounterUint64(w, "hookbench_run_delivered_total", p.Delivered)
		metrics.WriteCounterUint64(w, "hookbench_run_failed_attempts_total", p.Failures)
		metrics.WriteCounterUint64(w, "hookbench_run_bad_signatures_total", p.BadSigs)
		metrics.WriteGaugeUint64(w, "hookbench_run_outstanding", p.Outstanding)
	}
	if srv != nil {
		srv.WriteMetrics(w)
	}
}

// labelValue escapes a Prometheus label value.
func labelValue(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
