package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hookbench/hookbench/internal/doctable"
	"github.com/spf13/pflag"
)

// metricsListenUsage is the --metrics-listen help text; public names the
// flag that allows other addresses ("" when the command has none).
func metricsListenUsage(public string) string {
	s := "serve Prometheus metrics at http://`ADDR`/metrics while the command runs (host:port, loopback only"
	if public != "" {
		s += " unless " + public
	}
	return s + "; --list-metrics lists them)"
}

// addListMetrics adds --list-metrics[=FORMAT].
func addListMetrics(fs *pflag.FlagSet) *string {
	p := fs.String("list-metrics", "", "list the Prometheus metrics served and exit (--list-metrics=markdown: as a Markdown table)")
	fs.Lookup("list-metrics").NoOptDefVal = doctable.Text
	return p
}

// writeMetricList prints the metrics table in format ("text" or "markdown").
func writeMetricList(e *env, format string, ms []doctable.Metric) error {
	if err := doctable.MetricTable(ms).Write(e.stdout, format); err != nil {
		return fmt.Errorf("--list-metrics: %w", err)
	}
	return nil
}

// metricsServer serves GET /metrics from the command's metric writers.
type metricsServer struct {
	srv  *http.Server
	url  string
	done chan struct{}
}

// startMetrics listens on addr and serves what write renders at /metrics.
// A non-loopback addr is refused unless public.
func startMetrics(flag, addr string, public bool, publicFlag string, write func(io.Writer)) (*metricsServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	if !public && !isLoopbackHost(host) {
		if publicFlag == "" {
			return nil, fmt.Errorf("%s %q: not a loopback address (metrics are served on loopback only; scrape through a local agent or an SSH tunnel)", flag, addr)
		}
		return nil, fmt.Errorf("%s %q: not a loopback address (add %s to serve metrics elsewhere)", flag, addr, publicFlag)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		write(w)
	})
	m := &metricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		url:  "http://" + ln.Addr().String() + "/metrics",
		done: make(chan struct{}),
	}
	go func() { defer close(m.done); _ = m.srv.Serve(ln) }()
	return m, nil
}

// close stops the server, letting a scrape in progress finish. Tests
// scrape the final figures first (env.beforeMetricsClose).
func (m *metricsServer) close(e *env) {
	if e.beforeMetricsClose != nil {
		e.beforeMetricsClose(m.url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	<-m.done
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
