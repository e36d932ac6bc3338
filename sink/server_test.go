package sink

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// waitFor polls cond until it holds; it fails the test after 10 s. It is
// a liveness bound, not a timing assertion.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRecordsAttempts(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	plain, err := ParseEndpoint("path=/plain,event-id=data.ref,attempt-header=X-Attempt")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(stdEndpoint(t, "/hook"), plain)
	opts.Trace = tw
	opts.KeepBodies = true
	s := newTestServer(t, opts, false)

	now := time.Now()
	body := `{"type":"order.created","data":{"hookbench_id":"ev-1"}}`
	send := func(mutate func(*fasthttp.Request)) int {
		var req fasthttp.Request
		signedRequest(t, &req, "/hook", "msg_1", now, body)
		if mutate != nil {
			mutate(&req)
		}
		code, _ := do(t, s, &req)
		return code
	}
	send(nil)
	send(nil)                                                                                            // same message again: nth 2
	send(func(r *fasthttp.Request) { r.SetBodyString(body + " ") })                                      // body changed: mismatch
	send(func(r *fasthttp.Request) { r.Header.Del("webhook-signature") })                                // missing
	send(func(r *fasthttp.Request) { signedRequest(t, r, "/hook", "msg_2", now.Add(-time.Hour), body) }) // stale
	send(func(r *fasthttp.Request) { signedRequest(t, r, "/hook", "msg_3", now.Add(time.Hour), body) })  // future
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI("/plain")
	req.Header.Set("X-Attempt", "3")
	req.SetBodyString(`{"data":{"ref":"r-9"}}`)
	if code, _ := do(t, s, &req); code != 200 {
		t.Fatalf("/plain: %d", code)
	}

	tr := read()
	if len(tr.Attempts) != 7 {
		t.Fatalf("%d attempts, want 7", len(tr.Attempts))
	}
	type row struct {
		msg, ev, typ string
		nth          uint32
		sig          trace.SigResult
	}
	want := []row{
		{"msg_1", "ev-1", "order.created", 1, trace.SigValid},
		{"msg_1", "ev-1", "order.created", 2, trace.SigValid},
		{"msg_1", "ev-1", "order.created", 3, trace.SigMismatch},
		{"msg_1", "ev-1", "order.created", 4, trace.SigMissing},
		{"msg_2", "ev-1", "order.created", 1, trace.SigStale},
		{"msg_3", "ev-1", "order.created", 1, trace.SigFuture},
	}
	for i, w := range want {
		a := tr.Attempts[i]
		got := row{a.MsgID, a.EventID, a.EventType, a.Nth, a.Sig}
		if got != w || a.Endpoint != "/hook" || a.Status != 200 {
			t.Errorf("attempt %d = %+v (endpoint %s status %d), want %+v", i, got, a.Endpoint, a.Status, w)
		}
	}
	if v := tr.Attempts[2].SigVariant; v != trace.SigCompactJSON {
		t.Errorf("mismatch over body + space: variant %q, want compact-json", v)
	}
	a := tr.Attempts[0]
	if !a.Has(trace.FlagTimestamp) || a.SkewMs > 1000 || a.SkewMs < -60000 || a.Size != len(body) || string(a.Body) != body || a.BodyHash == 0 {
		t.Errorf("first attempt %+v", a)
	}
	if tr.Attempts[1].BodyHash != a.BodyHash || tr.Attempts[2].BodyHash == a.BodyHash {
		t.Error("body hashes do not follow the body")
	}
	if sk := tr.Attempts[4].SkewMs; sk > -3500000 || sk < -3700000 {
		t.Errorf("stale skew %d ms, want about -3600000", sk)
	}
	p := tr.Attempts[6]
	if p.Endpoint != "/plain" || p.EventID != "r-9" || p.ProviderN != 3 || p.Sig != trace.SigNone || p.Has(trace.FlagTimestamp) || p.Nth != 1 {
		t.Errorf("plain attempt %+v", p)
	}
	var endpoints []string
	for _, m := range tr.Marks {
		if m.Type == "endpoint" {
			endpoints = append(endpoints, m.Name)
			if strings.Contains(m.Detail, "MfKQ9r8") {
				t.Errorf("endpoint mark leaks the secret: %s", m.Detail)
			}
		}
	}
	if strings.Join(endpoints, ",") != "/hook,/plain" {
		t.Errorf("endpoint marks %v", endpoints)
	}

	st := s.Stats()
	h := st.Endpoints[0]
	if h.Received != 6 || h.UniqueIDs != 3 || h.Duplicates != 3 || h.Sig["valid"] != 2 || h.Sig["mismatch"] != 1 ||
		h.Sig["missing"] != 1 || h.Sig["stale"] != 1 || h.Sig["future"] != 1 || h.Status["200"] != 6 {
		t.Errorf("stats %+v", h)
	}
}

func TestEndpointChecks(t *testing.T) {
	t.Parallel()
	mk := func(spec string) EndpointConfig {
		ep, err := ParseEndpoint(spec)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	tw, read := memTrace(t)
	opts := testOptions(
		mk("path=/bearer,auth=bearer:tok"),
		mk("path=/header,auth=header:X-Key:k1"),
		mk("path=/typed,type-header=x-event-type,types=new_order|payment_success"),
		mk("path=/small,max-body=10"),
		mk("path=/strict,scheme=standard,secret="+testSecret+",bad-sig=401"),
	)
	opts.Trace = tw
	s := newTestServer(t, opts, false)
	tests := []struct {
		path    string
		headers map[string]string
		body    string
		status  int
		flags   uint8
		resp    string
	}{
		{"/bearer", map[string]string{"Authorization": "Bearer tok"}, "{}", 200, 0, ""},
		{"/bearer", map[string]string{"Authorization": "bearer tok"}, "{}", 200, 0, ""},
		{"/bearer", map[string]string{"Authorization": "BEARER tok"}, "{}", 200, 0, ""},
		{"/bearer", map[string]string{"Authorization": "Bearer nope"}, "{}", 401, trace.FlagAuthFailed, "Unauthorized"},
		{"/bearer", map[string]string{"Authorization": "Basic tok"}, "{}", 401, trace.FlagAuthFailed, "Unauthorized"},
		{"/bearer", nil, "{}", 401, trace.FlagAuthFailed, "Unauthorized"},
		{"/header", map[string]string{"X-Key": "k1"}, "{}", 200, 0, ""},
		{"/header", map[string]string{"X-Key": "k2"}, "{}", 401, trace.FlagAuthFailed, "Unauthorized"},
		{"/typed", map[string]string{"x-event-type": "new_order"}, "{}", 200, 0, ""},
		{"/typed", map[string]string{"x-event-type": "refund"}, "{}", 400, 0, "Invalid event type"},
		{"/typed", nil, "{}", 400, 0, "Invalid event type"},
		{"/small", nil, "0123456789", 200, 0, ""},
		{"/small", nil, "0123456789X", 413, trace.FlagTooLarge, "Request Entity Too Large"},
		{"/strict", nil, "{}", 401, 0, "Invalid signature: missing"},
		{"/nowhere", nil, "{}", 404, trace.FlagNoEndpoint, "Not Found"},
	}
	for i, tt := range tests {
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI(tt.path)
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		req.SetBodyString(tt.body)
		code, body := do(t, s, &req)
		if code != tt.status || body != tt.resp {
			t.Errorf("%d %s: %d %q, want %d %q", i, tt.path, code, body, tt.status, tt.resp)
		}
	}
	tr := read()
	if len(tr.Attempts) != len(tests) {
		t.Fatalf("%d attempts, want %d", len(tr.Attempts), len(tests))
	}
	for i, tt := range tests {
		a := tr.Attempts[i]
		if a.Endpoint != tt.path || a.Status != tt.status || a.Flags&^trace.FlagTimestamp != tt.flags || a.Size != len(tt.body) {
			t.Errorf("attempt %d = %+v, want endpoint %s status %d flags %b", i, a, tt.path, tt.status, tt.flags)
		}
	}
	var req fasthttp.Request
	var signed fasthttp.Request
	signedRequest(t, &signed, "/strict", "m", time.Now(), "{}")
	if code, _ := do(t, s, &signed); code != 200 {
		t.Errorf("/strict with a valid signature: %d", code)
	}
	req.SetRequestURI("/_hookbench/nothing")
	if code, _ := do(t, s, &req); code != 404 {
		t.Errorf("reserved path: %d", code)
	}
	st := s.Stats()
	if st.Unknown.Received != 1 || st.Endpoints[0].AuthFailed != 3 || st.Endpoints[3].TooLarge != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestLiveView(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, testOptions(stdEndpoint(t, "/hook")), false)
	var req fasthttp.Request
	signedRequest(t, &req, "/hook", "m1", time.Now(), `{"hookbench_id":"e1"}`)
	do(t, s, &req)
	req.Header.Set("webhook-signature", "v1,AAAA")
	do(t, s, &req)

	var get fasthttp.Request
	get.SetRequestURI("/_hookbench/stats")
	code, body := do(t, s, &get)
	var st Stats
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("stats: %d %v\n%s", code, err, body)
	}
	e := st.Endpoints[0]
	if e.Path != "/hook" || e.Received != 2 || e.UniqueIDs != 1 || e.Duplicates != 1 || e.Sig["valid"] != 1 || e.Sig["mismatch"] != 1 || e.Bytes == 0 {
		t.Fatalf("stats %+v", e)
	}
	get.SetRequestURI("/metrics")
	code, body = do(t, s, &get)
	for _, want := range []string{
		`hookbench_sink_requests_total{endpoint="/hook"} 2`,
		`hookbench_sink_signatures_total{endpoint="/hook",result="mismatch"} 1`,
		`hookbench_sink_responses_total{endpoint="/hook",status="200"} 2`,
		`hookbench_sink_duplicates_total{endpoint="/hook"} 1`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	var post fasthttp.Request
	post.Header.SetMethod("POST")
	post.SetRequestURI("/_hookbench/stats")
	if code, _ := do(t, s, &post); code != 405 {
		t.Errorf("POST stats: %d", code)
	}
}

// tcpClient returns a client for s over real TCP with the given timeout.
func tcpClient(timeout time.Duration) *fasthttp.Client {
	return &fasthttp.Client{ReadTimeout: timeout, WriteTimeout: timeout, MaxIdemponentCallAttempts: 1,
		RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) { return false, false }}
}

func post(s *Server, c *fasthttp.Client, path, id string) (int, error) {
	var req fasthttp.Request
	var resp fasthttp.Response
	req.Header.SetMethod("POST")
	req.SetRequestURI(s.URL() + path)
	req.Header.Set("X-Id", id)
	req.SetBodyString(`{"x":1}`)
	err := c.Do(&req, &resp)
	return resp.StatusCode(), err
}

// behaviorServer is a TCP server with endpoint /a (ids from X-Id) and rules.
func behaviorServer(tb testing.TB, tw *trace.Writer, maxHang time.Duration, rules ...string) *Server {
	tb.Helper()
	opts := testOptions(EndpointConfig{Path: "/a", IDHeader: "X-Id"})
	opts.Trace = tw
	if maxHang > 0 {
		opts.MaxHang = maxHang
	}
	for _, spec := range rules {
		r, err := ParseRule(spec)
		if err != nil {
			tb.Fatal(err)
		}
		opts.Rules = append(opts.Rules, r)
	}
	return newTestServer(tb, opts, true)
}

func TestConnectionBehaviors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rule     string
		maxHang  time.Duration
		timeout  time.Duration
		clientOK bool
		status   int
		flags    uint8
		behavior string
		minNs    int64
	}{
		{"reset", "reset", 0, 10 * time.Second, false, 0, trace.FlagAborted, "reset", 0},
		{"ack-lost", "ack-lost", 0, 10 * time.Second, false, 0, trace.FlagAborted, "status=200,ack-lost", 0},
		{"hang until provider gives up", "hang", 0, 200 * time.Millisecond, false, 0,
			trace.FlagAborted | trace.FlagProviderGaveUp, "hang", int64(200 * time.Millisecond)},
		{"hang until cap", "hang", 150 * time.Millisecond, 10 * time.Second, false, 0, trace.FlagAborted, "hang",
			int64(150 * time.Millisecond)},
		{"delay, provider gives up", "delay=30s,status=200", 0, 200 * time.Millisecond, false, 0,
			trace.FlagAborted | trace.FlagProviderGaveUp, "delay=30s,status=200", int64(200 * time.Millisecond)},
		{"delay then answer", "delay=100ms,status=202", 0, 10 * time.Second, true, 202, 0, "delay=100ms,status=202",
			int64(100 * time.Millisecond)},
		{"trickle", "trickle=2000/s,body=" + strings.Repeat("x", 300), 0, 10 * time.Second, true, 200, 0,
			"status=200,trickle=2000/s,body=" + strings.Repeat("x", 300), int64(100 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tw, read := memTrace(t)
			s := behaviorServer(t, tw, tt.maxHang, tt.rule)
			code, err := post(s, tcpClient(tt.timeout), "/a", "m1")
			if (err == nil) != tt.clientOK || tt.clientOK && code != tt.status {
				t.Fatalf("client: %d, %v", code, err)
			}
			waitFor(t, "the attempt", func() bool { return s.Stats().Endpoints[0].Received == 1 })
			tr := read()
			a := tr.Attempts[0]
			if a.Status != tt.status || a.Flags != tt.flags || a.Behavior != tt.behavior || a.HandleNs < tt.minNs {
				t.Fatalf("attempt status %d flags %b behavior %q handle %v; want %d %b %q >= %v",
					a.Status, a.Flags, a.Behavior, time.Duration(a.HandleNs), tt.status, tt.flags, tt.behavior, time.Duration(tt.minNs))
			}
		})
	}
}

func TestTrickleDeliversWholeResponse(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("0123456789", 30)
	s := behaviorServer(t, nil, 0, "status=201,trickle=5000/s,body="+body)
	resp, err := http.Post(s.URL()+"/a", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 201 || string(got) != body {
		t.Fatalf("%d %q %v", resp.StatusCode, got, err)
	}
}

func TestAckLostCausesDuplicate(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	s := behaviorServer(t, tw, 0, "attempt=1,ack-lost")
	c := tcpClient(10 * time.Second)
	if _, err := post(s, c, "/a", "evt"); err == nil {
		t.Fatal("first delivery: no error")
	}
	if code, err := post(s, c, "/a", "evt"); err != nil || code != 200 {
		t.Fatalf("retry: %d %v", code, err)
	}
	tr := read()
	if len(tr.Attempts) != 2 || tr.Attempts[0].Status != 0 || tr.Attempts[1].Nth != 2 || tr.Attempts[1].Status != 200 {
		t.Fatalf("attempts %+v", tr.Attempts)
	}
	if st := s.Stats().Endpoints[0]; st.Duplicates != 1 || st.Aborted != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseInterruptsSleeps(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.Trace = tw
	opts.ShutdownGrace = 50 * time.Millisecond
	r, _ := ParseRule("delay=1h")
	opts.Rules = []Rule{r}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := post(s, tcpClient(time.Minute), "/a", "x")
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool { return s.Stats().InFlight == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("client got an answer from an interrupted delay")
	}
	tr := read()
	if len(tr.Attempts) != 1 || tr.Attempts[0].Flags != trace.FlagAborted || tr.Attempts[0].Status != 0 {
		t.Fatalf("attempts %+v", tr.Attempts)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := post(s, tcpClient(time.Second), "/a", "y"); err == nil {
		t.Fatal("closed server answered")
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	s := behaviorServer(t, tw, 0)
	c := tcpClient(5 * time.Second)
	if code, err := post(s, c, "/a", "1"); err != nil || code != 200 {
		t.Fatalf("up: %d %v", code, err)
	}
	if err := s.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if !s.Stats().Down {
		t.Fatal("Stats().Down = false")
	}
	addr := strings.TrimPrefix(s.URL(), "http://")
	if conn, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		conn.Close()
		t.Fatal("dial succeeded while down")
	}
	if err := s.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if code, err := post(s, tcpClient(5*time.Second), "/a", "2"); err != nil || code != 200 {
		t.Fatalf("up again: %d %v", code, err)
	}
	var notes []string
	for _, m := range read().Marks {
		if m.Type == "note" && m.Name == "sink" {
			notes = append(notes, m.Detail)
		}
	}
	if strings.Join(notes, ",") != "down,up" {
		t.Fatalf("notes %v", notes)
	}
}

func TestSetDownAbortsDelayedRequests(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	s := behaviorServer(t, tw, 0, "delay=1h")
	errc := make(chan error, 1)
	go func() {
		_, err := post(s, tcpClient(time.Minute), "/a", "x")
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool { return s.Stats().InFlight == 1 })
	if err := s.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("client got an answer")
	}
	waitFor(t, "the attempt", func() bool { return s.Stats().Endpoints[0].Received == 1 })
	if a := read().Attempts[0]; a.Flags != trace.FlagAborted {
		t.Fatalf("attempt flags %b, want aborted only", a.Flags)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.TLS = true
	opts.CertFile = filepath.Join(t.TempDir(), "sink.pem")
	s := newTestServer(t, opts, true)
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || s.CertFile() != opts.CertFile {
		t.Fatalf("URL %s cert %s", s.URL(), s.CertFile())
	}
	pemBytes, err := os.ReadFile(opts.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("certificate file holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := hc.Post(s.URL()+"/a", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// A plain-HTTP request to the TLS port gets no webhook answer.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "https://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if strings.Contains(line, "200") {
		t.Fatalf("plain HTTP answered %q", line)
	}
	if got := s.Stats().Endpoints[0].Received; got != 1 {
		t.Fatalf("received %d", got)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, testOptions(EndpointConfig{Path: "/a"}), true)
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.Listen = strings.TrimPrefix(s.URL(), "http://")
	s2, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Start()
	if err == nil || !strings.Contains(err.Error(), "listen on "+opts.Listen) {
		t.Fatalf("port in use: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("second Start: no error")
	}
	if err := s2.SetDown(true); err == nil {
		t.Fatal("SetDown on a server that is not running: no error")
	}
	for _, tt := range []struct {
		mutate func(*Options)
		want   string
	}{
		{func(o *Options) { o.Listen = "0.0.0.0:0" }, "not loopback"},
		{func(o *Options) { o.Listen = "nonsense" }, "listen"},
		{func(o *Options) { o.Endpoints = nil }, "no"},
		{func(o *Options) { o.Endpoints = append(o.Endpoints, EndpointConfig{Path: "/a"}) }, "twice"},
		{func(o *Options) { o.MaxHang = 0 }, "max hang"},
		{func(o *Options) { r, _ := ParseRule("endpoint=/zzz,status=500"); o.Rules = []Rule{r} }, "not configured"},
	} {
		o := testOptions(EndpointConfig{Path: "/a"})
		tt.mutate(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New: %v, want %q", err, tt.want)
		}
	}
	o := testOptions(EndpointConfig{Path: "/a"})
	o.Listen, o.AllowRemote = "0.0.0.0:0", true
	if _, err := New(o); err != nil {
		t.Errorf("AllowRemote: %v", err)
	}
	if !errors.Is(func() error { o.AllowRemote = false; return o.Validate() }(), ErrNotLoopback) {
		t.Error("Validate does not wrap ErrNotLoopback")
	}
}

// The event type comes from the configured header, else the first
// well-known type header, else the body; the method is recorded as sent.
func TestRecordsTypeAndMethod(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/auto"}, EndpointConfig{Path: "/named", TypeHeader: "X-Kind"}, EndpointConfig{Path: "/nobody", TypePath: "-"})
	opts.Trace = tw
	s := newTestServer(t, opts, false)
	cases := []struct {
		path, method, body string
		headers            []string
		want               string
	}{
		{"/auto", "POST", `{"type":"from.body"}`, nil, "from.body"},
		{"/auto", "POST", `{"type":"from.body"}`, []string{"X-Event-Type", "from.header"}, "from.header"},
		{"/auto", "POST", `{"hookbench_id":"x"}`, []string{"ce-type", "com.example.ce"}, "com.example.ce"},
		{"/auto", "POST", `{}`, []string{"X-GitHub-Event", "push", "X-Event-Type", "first"}, "first"},
		{"/auto", "GET", "", nil, ""},
		{"/named", "POST", `{"type":"from.body"}`, []string{"X-Event-Type", "well.known", "X-Kind", "named"}, "named"},
		{"/named", "POST", `{"type":"from.body"}`, []string{"X-Event-Type", "well.known"}, ""},
		{"/nobody", "POST", `{"type":"from.body"}`, []string{"X-Shopify-Topic", "orders/create"}, "orders/create"},
		{"/nobody", "PUT", `{"type":"from.body"}`, nil, ""},
	}
	for _, c := range cases {
		var req fasthttp.Request
		req.Header.SetMethod(c.method)
		req.SetRequestURI(c.path)
		for i := 0; i+1 < len(c.headers); i += 2 {
			req.Header.Set(c.headers[i], c.headers[i+1])
		}
		if c.body != "" {
			req.SetBodyString(c.body)
		}
		if code, _ := do(t, s, &req); code != 200 {
			t.Fatalf("%s %s: %d", c.method, c.path, code)
		}
	}
	tr := read()
	if len(tr.Attempts) != len(cases) {
		t.Fatalf("%d attempts, want %d", len(tr.Attempts), len(cases))
	}
	for i, c := range cases {
		a := tr.Attempts[i]
		if a.EventType != c.want || a.Method != c.method || a.Endpoint != c.path || a.Size != len(c.body) {
			t.Errorf("case %d: type %q method %q endpoint %s size %d, want %q %s %s %d", i, a.EventType, a.Method, a.Endpoint, a.Size, c.want, c.method, c.path, len(c.body))
		}
	}
}

// TestSigVariantRecorded: a generic endpoint whose provider signs the
// compacted JSON but sends it pretty-printed records the mismatch with the
// variant; a wrong secret records none, and after diagFree fruitless
// diagnoses only one mismatch in diagEvery is diagnosed.
func TestSigVariantRecorded(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	spec := `path=/g,scheme=generic,secret=k1,sig-header=X-Signature,timestamp-param=t,template="{timestamp},{body}"`
	ep, err := ParseEndpoint(spec)
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(ep)
	opts.Trace = tw
	s := newTestServer(t, opts, false)
	pretty := "{\n  \"b\": 1,\n  \"a\": [1, 2]\n}"
	send := func(secret, signed string) {
		t.Helper()
		c := ep.Signature
		c.Secrets = []string{secret}
		sg, err := signature.NewSigner(c)
		if err != nil {
			t.Fatal(err)
		}
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI("http://sink/g")
		req.SetBodyString(pretty)
		sg.Sign(&req.Header, "", time.Now(), []byte(signed))
		do(t, s, &req)
	}
	send("k1", pretty)
	send("k1", `{"b":1,"a":[1,2]}`)
	send("other", pretty)
	tr := read()
	want := []struct {
		sig trace.SigResult
		v   trace.SigVariant
	}{{trace.SigValid, 0}, {trace.SigMismatch, trace.SigCompactJSON}, {trace.SigMismatch, 0}}
	for i, w := range want {
		if a := tr.Attempts[i]; a.Sig != w.sig || a.SigVariant != w.v {
			t.Errorf("attempt %d: %v/%q, want %v/%q", i, a.Sig, a.SigVariant, w.sig, w.v)
		}
	}
	e := s.endpoints["/g"]
	if n := e.diagMisses.Load(); n != 1 {
		t.Fatalf("diagMisses = %d after one fruitless diagnosis", n)
	}
	e.diagMisses.Store(diagFree + 1)
	send("k1", `{"b":1,"a":[1,2]}`) // over budget: not diagnosed
	e.diagMisses.Store(diagEvery)
	send("k1", `{"b":1,"a":[1,2]}`) // the one in diagEvery: diagnosed, budget restored
	tr = read()
	if a, b := tr.Attempts[3], tr.Attempts[4]; a.SigVariant != 0 || b.SigVariant != trace.SigCompactJSON || e.diagMisses.Load() != 0 {
		t.Fatalf("budget: variants %q, %q; misses %d", a.SigVariant, b.SigVariant, e.diagMisses.Load())
	}
}
