package sink

import (
	"io"

	"github.com/hookbench/hookbench/internal/doctable"
)

// MetricList describes the metrics a Server publishes at MetricsPath, for
// the documentation and for dashboards.
func MetricList() []doctable.Metric {
	return []doctable.Metric{
		doctable.M("hookbench_sink_requests_total", "counter", "endpoint", "requests received (endpoint (unknown): unconfigured paths)"),
		doctable.M("hookbench_sink_bytes_total", "counter", "endpoint", "request body bytes received"),
		doctable.M("hookbench_sink_unique_ids_total", "counter", "endpoint", "first deliveries of a message id"),
		doctable.M("hookbench_sink_duplicates_total", "counter", "endpoint", "repeated deliveries of a message id"),
		doctable.M("hookbench_sink_flags_total", "counter", "endpoint, flag", "attempts flagged auth_failed, too_large, aborted, provider_gave_up"),
		doctable.M("hookbench_sink_signatures_total", "counter", "endpoint, result", "signature verdicts (valid, mismatch, stale, ...)"),
		doctable.M("hookbench_sink_responses_total", "counter", "endpoint, status", "answers by HTTP status (0: none)"),
		doctable.M("hookbench_sink_bad_requests_total", "counter", "reason", "requests that could not be parsed"),
		doctable.M("hookbench_sink_accept_errors_total", "counter", "", "failed Accepts, retried after a back-off"),
		doctable.M("hookbench_sink_over_capacity_total", "counter", "", "connections refused past the connection limit"),
		doctable.M("hookbench_sink_in_flight", "gauge", "", "requests being answered"),
		doctable.M("hookbench_sink_down", "gauge", "", "1 while the sink is down (its listener refuses connections)"),
		doctable.M("hookbench_sink_trace_errors", "gauge", "", "attempts the trace failed to record"),
	}
}

// WriteMetrics writes the metrics of MetricsPath in Prometheus text format,
// for a process that serves them elsewhere.
func (s *Server) WriteMetrics(w io.Writer) { s.set.WritePrometheus(w) }
