package provider

import (
	"io"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"
	"github.com/hookbench/hookbench/internal/doctable"
)

// outcomes are the attempt outcomes counted, by logOutcome.
var outcomes = [...]logOutcome{lDelivered, lRetry, lFailed, lGone, lExhausted}

// provCounters are the provider's own event counters; the rest of its
// metrics are read from its state when scraped.
type provCounters struct {
	accepted  atomic.Uint64 // events published (replays excluded)
	queueFull atomic.Uint64 // events refused: too many unfinished deliveries
	attempts  [len(outcomes)]atomic.Uint64
}

// MetricList describes the metrics a Provider publishes (WriteMetrics), for
// the documentation and for dashboards.
func MetricList() []doctable.Metric {
	return []doctable.Metric{
		doctable.M("hookbench_provider_events_accepted_total", "counter", "", "events published (idempotent replays excluded)"),
		doctable.M("hookbench_provider_events_refused_total", "counter", "reason", "events refused: queue_full"),
		doctable.M("hookbench_provider_attempts_total", "counter", "outcome", "delivery attempts by outcome: delivered, retry, failed, gone, exhausted"),
		doctable.M("hookbench_provider_pending", "gauge", "", "deliveries not finished"),
		doctable.M("hookbench_provider_scheduled", "gauge", "", "deliveries waiting for their due time (the retry queue)"),
		doctable.M("hookbench_provider_endpoints", "gauge", "state", "endpoints by state: active, disabled"),
		doctable.M("hookbench_provider_accept_errors_total", "counter", "", "failed API Accepts, retried after a back-off"),
		doctable.M("hookbench_provider_over_capacity_total", "counter", "", "API connections refused past the connection limit"),
	}
}

// newMetricSet builds the provider's metric set.
func (p *Provider) newMetricSet() *metrics.Set {
	set := metrics.NewSet()
	set.RegisterMetricsWriter(func(w io.Writer) {
		c := &p.counters
		metrics.WriteCounterUint64(w, "hookbench_provider_events_accepted_total", c.accepted.Load())
		metrics.WriteCounterUint64(w, `hookbench_provider_events_refused_total{reason="queue_full"}`, c.queueFull.Load())
		for i, o := range outcomes {
			metrics.WriteCounterUint64(w, `hookbench_provider_attempts_total{outcome="`+o.String()+`"}`, c.attempts[i].Load())
		}
		metrics.WriteGaugeUint64(w, "hookbench_provider_pending", uint64(max(p.pending.Load(), 0)))
		var active, disabled uint64
		p.mu.Lock()
		scheduled := len(p.sched)
		for _, ep := range p.epOrder {
			switch ep.state.Load() {
			case epActive:
				active++
			case epDisabled:
				disabled++
			}
		}
		p.mu.Unlock()
		metrics.WriteGaugeUint64(w, "hookbench_provider_scheduled", uint64(scheduled))
		metrics.WriteGaugeUint64(w, `hookbench_provider_endpoints{state="active"}`, active)
		metrics.WriteGaugeUint64(w, `hookbench_provider_endpoints{state="disabled"}`, disabled)
		metrics.WriteCounterUint64(w, "hookbench_provider_accept_errors_total", p.AcceptErrors())
		metrics.WriteCounterUint64(w, "hookbench_provider_over_capacity_total", p.OverCapacity())
	})
	return set
}

// WriteMetrics writes the provider's metrics in Prometheus text format.
func (p *Provider) WriteMetrics(w io.Writer) { p.metrics.WritePrometheus(w) }
