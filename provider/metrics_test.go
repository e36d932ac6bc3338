package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// metricLines renders p's metrics as a set of "name value" lines.
func metricLines(p *Provider) map[string]bool {
	var b bytes.Buffer
	p.WriteMetrics(&b)
	out := map[string]bool{}
	for _, l := range strings.Split(b.String(), "\n") {
		out[l] = true
	}
	return out
}

// TestMetricsFollowDeliveries: the counters and gauges follow one event
// through a retry to its delivery, and a refusal for a full queue.
func TestMetricsFollowDeliveries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{behave: statusSeq(503, 200), opts: func(o *Options) { o.QueueSize = 1 }})
	h.publish("order.created", `{"n":1}`, "")
	if _, err := h.p.Publish(EventRequest{Type: "order.created", Payload: json.RawMessage(`{"n":2}`)}, ""); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("second publish: %v, want ErrQueueFull", err)
	}
	first := h.attempt()
	steps := []struct {
		name string
		want []string
	}{
		{"after the failed attempt", []string{
			"hookbench_provider_events_accepted_total 1",
			`hookbench_provider_events_refused_total{reason="queue_full"} 1`,
			`hookbench_provider_attempts_total{outcome="retry"} 1`,
			`hookbench_provider_attempts_total{outcome="delivered"} 0`,
			"hookbench_provider_pending 1",
			"hookbench_provider_scheduled 1",
			`hookbench_provider_endpoints{state="active"} 1`,
		}},
		{"after the retry", []string{
			`hookbench_provider_attempts_total{outcome="retry"} 1`,
			`hookbench_provider_attempts_total{outcome="delivered"} 1`,
			"hookbench_provider_pending 0",
			"hookbench_provider_scheduled 0",
		}},
	}
	for i, s := range steps {
		if i == 1 {
			h.retryNow(first)
			if r := h.attempt(); r.log.Out != lDelivered {
				t.Fatalf("retry outcome %v", r.log.Out)
			}
		}
		got := metricLines(h.p)
		for _, w := range s.want {
			if !got[w] {
				t.Errorf("%s: no line %q", s.name, w)
			}
		}
	}
}
