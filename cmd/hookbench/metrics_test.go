package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hookbench/hookbench/generator"
	"github.com/hookbench/hookbench/internal/doctable"
	"github.com/hookbench/hookbench/provider"
	"github.com/hookbench/hookbench/scenarios"
	"github.com/hookbench/hookbench/sink"
)

// scrapeMetrics GETs url and returns each sample's value by its name with
// labels.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// runWithScrape runs the command and scrapes its metrics once the work is
// over, before the metrics server closes.
func runWithScrape(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string, samples map[string]float64) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	e.beforeMetricsClose = func(url string) { samples = scrapeMetrics(t, url) }
	code = runEnv(ctx, e, args)
	return code, out.String(), errb.String(), samples
}

// baseName is a sample's metric name without labels and histogram suffixes
// of the names in list.
func baseName(sample string, list map[string]doctable.Metric) string {
	name, _, _ := strings.Cut(sample, "{")
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(name, suf); ok && list[b].Type == "histogram" {
			return b
		}
	}
	return name
}

// checkNames fails unless the samples show exactly the listed metrics.
func checkNames(t *testing.T, samples map[string]float64, lists ...[]doctable.Metric) {
	t.Helper()
	listed := map[string]doctable.Metric{}
	for _, l := range lists {
		for _, m := range l {
			listed[m.Name] = m
		}
	}
	seen := map[string]bool{}
	for s := range samples {
		b := baseName(s, listed)
		seen[b] = true
		if _, ok := listed[b]; !ok {
			t.Errorf("metric %s is served but not listed", b)
		}
	}
	for name := range listed {
		if !seen[name] {
			t.Errorf("metric %s is listed but not served", name)
		}
	}
}

func want(t *testing.T, samples map[string]float64, name string, v float64) {
	t.Helper()
	if got, ok := samples[name]; !ok || got != v {
		t.Errorf("%s = %v (served %v), want %v", name, got, ok, v)
	}
}

// TestGenMetrics: gen --metrics-listen serves counters that match the
// run's summary.
func TestGenMetrics(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/bad") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer target.Close()
	code, stdout, stderr, samples := runWithScrape(t, context.Background(), "gen", "--url", target.URL+"/events",
		"--rate", "200", "--count", "20", "--metrics-listen", "127.0.0.1:0", "--output", "json")
	if code != exitOK || !strings.Contains(stderr, "hookbench gen: metrics at http://127.0.0.1:") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var doc struct {
		Counts struct{ Sent, Intended, Late uint64 }
	}
	err := json.Unmarshal([]byte(stdout), &doc)
	sum := doc.Counts
	if err != nil || sum.Sent != 20 {
		t.Fatalf("summary %+v %v\n%s", sum, err, stdout)
	}
	checkNames(t, samples, generator.MetricList())
	want(t, samples, "hookbench_gen_sent_total", 20)
	want(t, samples, "hookbench_gen_due_total", float64(sum.Intended))
	want(t, samples, `hookbench_gen_responses_total{class="2xx"}`, 20)
	want(t, samples, `hookbench_gen_errors_total{kind="connection"}`, 0)
	want(t, samples, "hookbench_gen_late_total", float64(sum.Late))
	want(t, samples, "hookbench_gen_lateness_seconds_count", 20)
	want(t, samples, "hookbench_gen_running", 0)

	_, _, _, samples = runWithScrape(t, context.Background(), "gen", "--url", target.URL+"/bad",
		"--rate", "200", "--count", "5", "--metrics-listen", "127.0.0.1:0")
	want(t, samples, `hookbench_gen_responses_total{class="5xx"}`, 5)
	want(t, samples, `hookbench_gen_responses_total{class="2xx"}`, 0)
}

// TestMetricsListenLoopback: a non-loopback --metrics-listen is refused
// before anything runs, unless the command has --public and it is given.
func TestMetricsListenLoopback(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"gen", "--url", "http://127.0.0.1:1/e", "--count", "1", "--metrics-listen", "0.0.0.0:0"}, `--metrics-listen "0.0.0.0:0": not a loopback address (metrics are served on loopback only`},
		{[]string{"gen", "--url", "http://127.0.0.1:1/e", "--count", "1", "--metrics-listen", "nonsense"}, `--metrics-listen "nonsense": address nonsense: missing port`},
		{[]string{"provider", "--listen", "127.0.0.1:0", "--metrics-listen", ":0"}, `--metrics-listen ":0": not a loopback address (add --public to serve metrics elsewhere)`},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, stderr)
		}
	}
}

// TestProviderMetrics: provider --metrics-listen serves the provider's
// metrics apart from its API.
func TestProviderMetrics(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // start, serve, stop: the scrape happens after the stop
	_, stdout, _, samples := runWithScrape(t, ctx, "provider", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
		"--endpoint", "http://127.0.0.1:9/hook")
	if !strings.Contains(stdout, "  metrics http://127.0.0.1:") {
		t.Errorf("stdout %q", stdout)
	}
	checkNames(t, samples, provider.MetricList())
	want(t, samples, `hookbench_provider_endpoints{state="active"}`, 1)
	want(t, samples, "hookbench_provider_events_accepted_total", 0)
}

// TestRunMetrics: run --metrics-listen serves the generator's, the sink's
// and the run's metrics; the counts match the run's summary.
func TestRunMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte(`provider:
  adapter: reference
  reference: {time_scale: 0.001}
sink:
  endpoints: [{path: /a}]
phases:
  - {name: load, count: 12, rate: 200}
drain: 5s
`), 0o644)
	code, stdout, stderr, samples := runWithScrape(t, context.Background(), "run", "--quiet", "--trace", filepath.Join(dir, "t.trace"),
		"--metrics-listen", "127.0.0.1:0", sc)
	if code != exitOK || !strings.Contains(stdout, "triggers: 12 sent, 12 accepted") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkNames(t, samples, generator.MetricList(), sink.MetricList(), scenarios.MetricList())
	want(t, samples, "hookbench_gen_sent_total", 12)
	want(t, samples, "hookbench_run_sent_total", 12)
	want(t, samples, "hookbench_run_accepted_total", 12)
	want(t, samples, "hookbench_run_delivered_total", 12)
	want(t, samples, "hookbench_run_outstanding", 0)
	want(t, samples, `hookbench_run_phase{phase="drain"}`, 1)
	want(t, samples, `hookbench_sink_requests_total{endpoint="/a"}`, 12)
}

// TestGrafanaDashboard: every metric a panel of the dashboard queries is
// one hookbench serves, and the datasource is a variable.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "hookbench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Templating struct {
			List []struct{ Name, Type, Query string } `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	dsVar := ""
	for _, v := range dash.Templating.List {
		if v.Type == "datasource" && v.Query == "prometheus" {
			dsVar = "${" + v.Name + "}"
		}
	}
	if dsVar == "" {
		t.Fatal("no Prometheus datasource variable")
	}
	listed := map[string]doctable.Metric{}
	for _, l := range [][]doctable.Metric{generator.MetricList(), sink.MetricList(), scenarios.MetricList(), provider.MetricList()} {
		for _, m := range l {
			listed[m.Name] = m
		}
	}
	name := regexp.MustCompile(`hookbench_[a-z0-9_]+`)
	exprs := 0
	for _, p := range dash.Panels {
		if len(p.Targets) > 0 && p.Datasource.UID != dsVar {
			t.Errorf("panel %q: datasource %q, want %s", p.Title, p.Datasource.UID, dsVar)
		}
		for _, tg := range p.Targets {
			exprs++
			for _, n := range name.FindAllString(tg.Expr, -1) {
				if _, ok := listed[baseName(n, listed)]; !ok {
					t.Errorf("panel %q: %s is not a metric hookbench serves", p.Title, n)
				}
			}
		}
	}
	if exprs == 0 {
		t.Error("no panel queries")
	}
}
