package generator

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"
)

// scrape renders set and returns each sample's value by its name with labels.
func scrape(tb testing.TB, set *metrics.Set) map[string]float64 {
	tb.Helper()
	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	out := map[string]float64{}
	for _, line := range strings.Split(buf.String(), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsMatchSummaries runs two generators one after the other on one
// Metrics, as the phases of a scenario do: the counters are the sums of
// the summaries.
func TestMetricsMatchSummaries(t *testing.T) {
	t.Parallel()
	set := metrics.NewSet()
	m := NewMetrics(set)
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx, n int) {
		switch n % 4 {
		case 1:
			ctx.SetStatusCode(503)
		case 2:
			ctx.SetStatusCode(404)
		default:
			ctx.SetStatusCode(202)
		}
	})
	// A scraper runs alongside the generators (for the race detector).
	stop := make(chan struct{})
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		for range 100000 {
			select {
			case <-stop:
				return
			default:
				set.WritePrometheus(io.Discard)
			}
		}
	}()
	o := ts.options()
	o.Rate = Constant{Rate: 2000}
	o.Count = 20
	o.Metrics = m
	first := run(t, o)

	o2 := NewOptions()
	o2.URL = "http://" + closedPort(t) + "/events"
	o2.Rate = Constant{Rate: 2000}
	o2.Count = 7
	o2.Timeout = 2 * time.Second
	o2.Metrics = m
	second := run(t, o2)
	close(stop)
	<-scraped

	got := scrape(t, set)
	want := map[string]float64{
		"hookbench_gen_sent_total":                         float64(first.Sent + second.Sent),
		"hookbench_gen_due_total":                          float64(first.Intended + second.Intended),
		`hookbench_gen_responses_total{class="2xx"}`:       float64(first.OK),
		`hookbench_gen_responses_total{class="4xx"}`:       float64(first.Statuses[404]),
		`hookbench_gen_responses_total{class="5xx"}`:       float64(first.Statuses[503]),
		`hookbench_gen_errors_total{kind="connection"}`:    float64(second.Errors["connection"]),
		`hookbench_gen_errors_total{kind="timeout"}`:       0,
		"hookbench_gen_missed_total":                       float64(first.Missed + second.Missed),
		"hookbench_gen_late_total":                         float64(first.Late + second.Late),
		"hookbench_gen_in_flight":                          0,
		"hookbench_gen_running":                            0,
		"hookbench_gen_lateness_seconds_count":             27,
		`hookbench_gen_lateness_seconds_bucket{le="+Inf"}`: 27,
	}
	if first.Sent != 20 || second.Sent != 7 || first.Statuses[404] == 0 || first.Statuses[503] == 0 {
		t.Fatalf("summaries: %+v\n%+v", first, second)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for _, mi := range MetricList() {
		found := false
		for k := range got {
			if k == mi.Name || strings.HasPrefix(k, mi.Name+"{") || strings.HasPrefix(k, mi.Name+"_") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s is listed but not published", mi.Name)
		}
	}
}

func TestLateBucket(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {500 * time.Microsecond, 0}, {501 * time.Microsecond, 1}, {10 * time.Second, len(lateBounds) - 1}, {time.Hour, len(lateBounds)}} {
		if got := lateBucket(c.d); got != c.want {
			t.Errorf("lateBucket(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}
