package generator

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
	"github.com/vmihailenco/msgpack/v5"
)

func newTrace(tb testing.TB) (*trace.Writer, *bytes.Buffer) {
	tb.Helper()
	var buf bytes.Buffer
	w, err := trace.NewWriter(&buf, trace.NewHeader([]string{"test"}, "test"))
	if err != nil {
		tb.Fatal(err)
	}
	return w, &buf
}

func readTrace(tb testing.TB, w *trace.Writer, buf *bytes.Buffer) *trace.Trace {
	tb.Helper()
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	tr, err := trace.Read(buf)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

func run(tb testing.TB, o Options) Summary {
	tb.Helper()
	g, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := g.Run(tb.(interface{ Context() context.Context }).Context())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestRunRecordsEveryEvent runs one worker so the order is deterministic and
// checks the Sent records against what the server received.
func TestRunRecordsEveryEvent(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	tw, buf := newTrace(t)
	o := ts.options()
	o.Rate = Constant{Rate: 2000}
	o.Count = 60
	o.Connections = 1
	o.Duplicates = 0.25
	o.Seed = 3
	o.Trace = tw
	s := run(t, o)
	tr := readTrace(t, tw, buf)

	if s.Sent != 60 || s.Intended != 60 || s.Missed != 0 || s.OK != 60 || s.Failed != 0 {
		t.Fatalf("summary: %+v", s)
	}
	if s.Duplicates == 0 || s.Duplicates > 30 {
		t.Fatalf("%d duplicates of 60 with --duplicates 0.25", s.Duplicates)
	}
	if len(tr.Sent) != 60 {
		t.Fatalf("%d Sent records, want 60", len(tr.Sent))
	}
	reqs := ts.requests()
	if len(reqs) != 60 {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	seen := map[string][]byte{}
	dups := 0
	for i, sent := range tr.Sent {
		r := reqs[i] // one connection: same order
		var body struct {
			ID   string `json:"hookbench_id"`
			Type string `json:"type"`
			Seq  int    `json:"seq"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("request %d: body %q: %v", i, r.body, err)
		}
		if body.ID != sent.EventID || r.idemKey != sent.EventID || sent.IdemKey != sent.EventID {
			t.Fatalf("record %d: id %q, body id %q, header key %q, record key %q", i, sent.EventID, body.ID, r.idemKey, sent.IdemKey)
		}
		if body.Type != DefaultType || sent.Type != DefaultType {
			t.Fatalf("record %d: type %q / %q", i, body.Type, sent.Type)
		}
		if sent.ProviderID != "prov-"+itoa(i+1) || sent.Status != 202 || sent.Err != trace.ErrNone {
			t.Fatalf("record %d: %+v", i, sent)
		}
		// Each hit carries its intended time: hit i at i/2000 s.
		if want := int64(i) * int64(time.Second) / 2000; sent.IntendedNs-tr.Sent[0].IntendedNs != want {
			t.Fatalf("record %d intended at +%dns, want +%dns", i, sent.IntendedNs-tr.Sent[0].IntendedNs, want)
		}
		if sent.SentNs < sent.IntendedNs || sent.LatencyNs <= 0 {
			t.Fatalf("record %d: sent %d before intended %d, latency %d", i, sent.SentNs, sent.IntendedNs, sent.LatencyNs)
		}
		if sent.DuplicateOf != "" {
			dups++
			orig, ok := seen[sent.DuplicateOf]
			if !ok || sent.DuplicateOf != sent.EventID || !bytes.Equal(orig, r.body) {
				t.Fatalf("record %d duplicates %q: original seen %v, same body %v", i, sent.DuplicateOf, ok, bytes.Equal(orig, r.body))
			}
			continue
		}
		if _, ok := seen[sent.EventID]; ok {
			t.Fatalf("record %d: event id %q reused by an original", i, sent.EventID)
		}
		if want := "hb-t-" + itoa(i+1); sent.EventID != want || body.Seq != i+1 {
			t.Fatalf("record %d: id %q seq %d, want %q", i, sent.EventID, body.Seq, want)
		}
		seen[sent.EventID] = r.body
	}
	if uint64(dups) != s.Duplicates {
		t.Fatalf("%d duplicate records, summary says %d", dups, s.Duplicates)
	}
}

func TestRunStatusStorm(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx, n int) {
		if n%2 == 0 {
			ctx.SetStatusCode(503)
		} else {
			ctx.SetStatusCode(429)
		}
	})
	o := ts.options()
	o.Rate = Constant{Rate: 4000}
	o.Count = 40
	o.Connections = 4
	s := run(t, o)
	if s.Sent != 40 || s.Intended != 40 || s.Statuses[503] != 20 || s.Statuses[429] != 20 || s.Failed != 40 || s.ErrorRate != 100 || s.OK != 0 {
		t.Fatalf("summary: %+v", s)
	}
	var out bytes.Buffer
	if err := s.WriteText(&out); err != nil || !strings.Contains(out.String(), "429×20") {
		t.Fatalf("text summary: %v\n%s", err, out.String())
	}
}

// closedPort returns a 127.0.0.1 port with nothing listening.
func closedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRunRefused(t *testing.T) {
	t.Parallel()
	o := NewOptions()
	o.URL = "http://" + closedPort(t) + "/events"
	o.Rate = Constant{Rate: 2000}
	o.Count = 30
	o.Connections = 3
	o.Timeout = 2 * time.Second
	s := run(t, o)
	if s.Sent != 30 || s.Intended != 30 || s.Errors["connection"] != 30 || s.Failed != 30 {
		t.Fatalf("summary: %+v", s)
	}
}

// hangingServer accepts connections and never answers.
func hangingServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c) // read nothing, answer nothing
		}
	}()
	tb.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestRunHangingTargetTimesOut(t *testing.T) {
	t.Parallel()
	o := NewOptions()
	o.URL = "http://" + hangingServer(t) + "/"
	o.Rate = Constant{Rate: 100}
	o.Duration = 300 * time.Millisecond
	o.Connections = 2
	o.Timeout = 50 * time.Millisecond
	s := run(t, o)
	// 30 hits were due; 2 workers each hold a request for the timeout, so
	// some are late and some never leave, but every one is accounted for
	// (one still in flight when the drain ends is cut: aborted).
	if s.Intended != 30 || s.Sent+s.Missed != 30 || s.Errors["timeout"]+s.Aborted != s.Sent || s.OK != 0 {
		t.Fatalf("summary: %+v", s)
	}
	if s.Late == 0 || s.Latency.Max < s.Uncorrected.Max {
		t.Fatalf("a hanging target must show late sends and corrected ≥ uncorrected latency: %+v", s)
	}
}

func TestRunHangingTargetCutAtDrain(t *testing.T) {
	t.Parallel()
	o := NewOptions()
	o.URL = "http://" + hangingServer(t) + "/"
	o.Rate = Constant{Rate: 200}
	o.Duration = 100 * time.Millisecond
	o.Connections = 50
	o.Timeout = time.Hour // only the drain can end these requests
	o.Drain = 50 * time.Millisecond
	s := run(t, o)
	if s.Intended != 20 || s.Sent != 20 || s.Aborted != 20 || s.Errors["aborted"] != 20 {
		t.Fatalf("summary: %+v", s)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	o := ts.options()
	o.Rate = Constant{Rate: 10}
	o.Duration = time.Hour
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Stop() || g.Stop() {
		t.Fatal("Stop must return true once, then false")
	}
	s, err := g.Run(t.Context())
	if err != nil || !s.Interrupted || s.Sent != 0 {
		t.Fatalf("run after Stop: %+v, %v", s, err)
	}
	if _, err := g.Run(t.Context()); !errors.Is(err, ErrRunTwice) {
		t.Fatalf("second Run: %v", err)
	}
}

func TestContextCancelStopsRun(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	o := ts.options()
	o.Rate = Constant{Rate: 1000}
	o.Duration = time.Hour
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for g.Progress().Sent < 5 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	s, err := g.Run(ctx)
	if err != nil || !s.Interrupted || s.Sent < 5 || s.Sent != s.OK {
		t.Fatalf("summary: %+v, %v", s, err)
	}
	if s.Sent+s.Missed != s.Intended {
		t.Fatalf("sent %d + missed %d != intended %d", s.Sent, s.Missed, s.Intended)
	}
}

func TestCapacityMode(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	o := ts.options()
	o.Rate = Constant{Rate: 0}
	o.Count = 300
	o.Connections = 8
	s := run(t, o)
	if !s.Capacity || s.Sent != 300 || s.Intended != 300 || s.Missed != 0 || s.OK != 300 {
		t.Fatalf("summary: %+v", s)
	}
}

// TestPoissonIntendedTimes checks that each tick carries the pacer's
// intended time, whatever worker sends it.
func TestPoissonIntendedTimes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	tw, buf := newTrace(t)
	o := ts.options()
	o.Rate = NewPoisson(5000, 9)
	o.Count = 100
	o.Connections = 4
	o.Trace = tw
	run(t, o)
	tr := readTrace(t, tw, buf)
	want := NewPoisson(5000, 9)
	var base int64 = -1
	for _, s := range tr.Sent {
		if s.IntendedNs < base || base < 0 {
			base = min(base, s.IntendedNs)
			if base < 0 {
				base = s.IntendedNs
			}
		}
	}
	for _, s := range tr.Sent {
		var seq uint64
		for _, c := range strings.TrimPrefix(s.EventID, "hb-t-") {
			seq = seq*10 + uint64(c-'0')
		}
		d, _ := want.Pace(0, seq-1)
		if got := time.Duration(s.IntendedNs - base); got != d {
			t.Fatalf("%s intended at +%v, pacer says +%v", s.EventID, got, d)
		}
	}
}

func TestMsgpackAndHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	o := ts.options()
	o.Rate = Constant{Rate: 5000}
	o.Count = 10
	o.Connections = 1
	o.Format = FormatMsgpack
	o.Body = `{"type":"{{type}}","n":{{seq}}}`
	o.BodySize = 200
	o.Types = []string{"a.b"}
	o.Headers = [][2]string{{"X-Seq", "s{{seq}}"}, {"Authorization", "Bearer k"}}
	o.IdempotencyHeader = ""
	s := run(t, o)
	if s.OK != 10 {
		t.Fatalf("summary %+v", s)
	}
	for i, r := range ts.requests() {
		var m map[string]any
		if err := msgpack.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if m["hookbench_id"] != "hb-t-"+itoa(i+1) || m["type"] != "a.b" || r.ctype != "application/msgpack" {
			t.Fatalf("request %d: %v, content type %q", i, m, r.ctype)
		}
		if len(r.body) < 198 || len(r.body) > 200 {
			t.Fatalf("request %d: %d bytes, want about 200", i, len(r.body))
		}
		if r.headers["X-Seq"] != "s"+itoa(i+1) || r.headers["Authorization"] != "Bearer k" || r.idemKey != "" {
			t.Fatalf("request %d headers %v", i, r.headers)
		}
	}
}

func TestNewErrorsAndWarnings(t *testing.T) {
	t.Parallel()
	base := func() Options {
		o := NewOptions()
		o.URL = "http://127.0.0.1:1/"
		return o
	}
	errTests := []struct {
		name  string
		edit  func(o *Options)
		field string
		msg   string
	}{
		{"no url", func(o *Options) { o.URL = "" }, "URL", "missing"},
		{"ftp", func(o *Options) { o.URL = "ftp://x/" }, "URL", "http://"},
		{"no host", func(o *Options) { o.URL = "http:///x" }, "URL", "no host"},
		{"method", func(o *Options) { o.Method = "PO ST" }, "Method", "not an HTTP method"},
		{"header", func(o *Options) { o.Headers = [][2]string{{"Bad Name", "x"}} }, "Headers", "not a valid header name"},
		{"header value", func(o *Options) { o.Headers = [][2]string{{"X", "a\nb"}} }, "Headers", "line break"},
		{"format", func(o *Options) { o.Format = "xml" }, "Format", "json or msgpack"},
		{"body size", func(o *Options) { o.BodySize = -1 }, "BodySize", "want 0"},
		{"unbounded", func(o *Options) { o.Duration, o.Count = 0, 0 }, "Duration", "unbounded"},
		{"connections", func(o *Options) { o.Connections = 0 }, "Connections", "want 1"},
		{"inflight", func(o *Options) { o.MaxInflight = MaxInflightLimit + 1 }, "MaxInflight", "want 0"},
		{"timeout", func(o *Options) { o.Timeout = 0 }, "Timeout", "positive"},
		{"duplicates", func(o *Options) { o.Duplicates = 1 }, "Duplicates", "[0, 1)"},
		{"pacer", func(o *Options) { o.Rate = nil }, "Rate", "missing"},
		{"type", func(o *Options) { o.Types = []string{`a"b`} }, "Types", "quotes"},
		{"template", func(o *Options) { o.Body = `{"a":{{bogus}}}` }, "Body", "line 1, column 8"},
		{"msgpack json", func(o *Options) { o.Format, o.Body = FormatMsgpack, `{"a":}` }, "Body", "line 1, column 6"},
		{"header template", func(o *Options) { o.Headers = [][2]string{{"X", "{{nope}}"}} }, "Headers", "column 3"},
	}
	for _, tt := range errTests {
		o := base()
		tt.edit(&o)
		_, err := New(o)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want an OptionError on %s mentioning %q", tt.name, err, tt.field, tt.msg)
		}
	}
	warnTests := []struct{ body, msg string }{
		{`[1,2]`, "not a JSON object"},
		{`{"a":1,,}`, "not valid JSON"},
	}
	for _, tt := range warnTests {
		o := base()
		o.Body = tt.body
		g, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.Join(g.Warnings(), "; "); !strings.Contains(w, tt.msg) {
			t.Errorf("body %q: warnings %q, want %q", tt.body, w, tt.msg)
		}
	}
}

func TestDueCount(t *testing.T) {
	t.Parallel()
	g := &Generator{opts: Options{Rate: Constant{Rate: 1000}}}
	for _, tt := range []struct {
		from  uint64
		at    time.Duration
		count uint64
		want  uint64
	}{
		{0, time.Second, 0, 1000},
		{10, time.Second, 0, 990},
		{10, 10 * time.Millisecond, 0, 0},
		{0, time.Second, 500, 500},
		{600, time.Second, 500, 0},
		{0, 1, 0, 1},
	} {
		g.opts.Count = tt.count
		if got := g.dueCount(tt.from, tt.at); got != tt.want {
			t.Errorf("dueCount(%d, %v) with count %d = %d, want %d", tt.from, tt.at, tt.count, got, tt.want)
		}
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	o := ts.options()
	o.Rate = Constant{Rate: 4000}
	o.Count = 40
	o.Connections = 2
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if p := g.Progress(); p != (Progress{}) {
		t.Fatalf("progress before Run: %+v", p)
	}
	s, err := g.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p := g.Progress()
	if p.Sent != 40 || p.Done != 40 || p.Due != 40 || p.InFlight != 0 || p.Failed != 0 || p.Late != s.Late {
		t.Fatalf("progress after Run: %+v (summary %+v)", p, s)
	}
}

func TestRunTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshakes below
	srv.StartTLS()
	t.Cleanup(srv.Close)
	o := NewOptions()
	o.URL = srv.URL + "/events"
	o.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test server's self-signed certificate
	o.Rate = Constant{Rate: 1000}
	o.Count = 10
	o.Connections = 2
	if s := run(t, o); s.Statuses[202] != 10 {
		t.Fatalf("summary %+v", s)
	}
	// Without trusting the certificate every request fails, and is counted.
	o.TLSConfig = nil
	if s := run(t, o); s.Sent != 10 || s.Failed != 10 {
		t.Fatalf("summary %+v", s)
	}
}
