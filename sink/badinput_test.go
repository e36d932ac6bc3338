package sink

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// rawExchange writes raw bytes on a new TCP connection and returns the
// first line of the answer ("" when the connection closed without one).
func rawExchange(tb testing.TB, s *Server, raw string) string {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		tb.Fatal(err)
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// stillServes fails the test unless a well-formed request is answered 200.
func stillServes(tb testing.TB, s *Server) {
	tb.Helper()
	if line := rawExchange(tb, s, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); line != "HTTP/1.1 200 OK" {
		tb.Fatalf("after bad input, a good request got %q", line)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		answer string // first line of the answer
		reason string // Stats().BadRequests key, "" when none
	}{
		{"malformed request line", "GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request", "malformed"},
		{"binary junk", "\x00\x01\x02\xff\xfe\r\n\r\n", "HTTP/1.1 400 Bad Request", "malformed"},
		{"bad content length", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "HTTP/1.1 400 Bad Request", "malformed"},
		{"broken chunks", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 Bad Request", "malformed"},
		{"huge header", "POST /a HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8000) + "\r\n\r\n",
			"HTTP/1.1 431 Request Header Fields Too Large", "header_too_large"},
		{"many headers", "POST /a HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-H: v\r\n", 2000) + "\r\n",
			"HTTP/1.1 431 Request Header Fields Too Large", "header_too_large"},
		{"body over every limit", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n",
			"HTTP/1.1 413 Request Entity Too Large", "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions(EndpointConfig{Path: "/a", MaxBody: 1024})
			opts.MaxHeaderSize = 4096
			s := newTestServer(t, opts, true)
			if got := rawExchange(t, s, tt.raw); got != tt.answer {
				t.Fatalf("answer %q, want %q", got, tt.answer)
			}
			stillServes(t, s)
			if got := s.Stats().BadRequests[tt.reason]; got != 1 {
				t.Fatalf("bad requests %v, want %s=1", s.Stats().BadRequests, tt.reason)
			}
		})
	}
}

func TestBodyOverLimitRecorded(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/a", MaxBody: 1024}, EndpointConfig{Path: "/b", MaxBody: 10})
	opts.Trace = tw
	s := newTestServer(t, opts, true)
	// Over the largest limit: fasthttp refuses before reading the body.
	rawExchange(t, s, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
	// Over /b's limit but under the server's: read, then 413.
	if got := rawExchange(t, s, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n01234567890123456789"); got != "HTTP/1.1 413 Request Entity Too Large" {
		t.Fatalf("/b: %q", got)
	}
	rawExchange(t, s, "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
	tr := read()
	if len(tr.Attempts) != 3 {
		t.Fatalf("%d attempts", len(tr.Attempts))
	}
	want := []struct {
		ep    string
		size  int
		flags uint8
	}{{"/a", 5000000, trace.FlagTooLarge}, {"/b", 20, trace.FlagTooLarge}, {"/nowhere", 5000000, trace.FlagTooLarge | trace.FlagNoEndpoint}}
	for i, w := range want {
		a := tr.Attempts[i]
		if a.Endpoint != w.ep || a.Size != w.size || a.Flags != w.flags || a.Status != 413 {
			t.Errorf("attempt %d = %+v, want %+v", i, a, w)
		}
	}
	if st := s.Stats(); st.Endpoints[0].TooLarge != 1 || st.Endpoints[1].TooLarge != 1 || st.Unknown.TooLarge != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSlowloris(t *testing.T) {
	t.Parallel()
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.ReadTimeout = 300 * time.Millisecond
	s := newTestServer(t, opts, true)
	addr := strings.TrimPrefix(s.URL(), "http://")
	var slow []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /a HTTP/1.1\r\nHost: x\r\nX-Slow: ") // and never finish
		slow = append(slow, c)
	}
	stillServes(t, s) // others are served meanwhile
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.ReadAll(c) // the sink cuts the slow client off
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("slow connection %d still open", i)
		}
	}
	stillServes(t, s)
}

func TestGarbageSignatureHeaders(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(stdEndpoint(t, "/a"))
	opts.Trace = tw
	s := newTestServer(t, opts, false)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	tests := []struct {
		id, ts, sig string
		want        trace.SigResult
	}{
		{"m", ts, "", trace.SigMissing},
		{"m", "", "v1,AAAA", trace.SigMissing},
		{"m", ts, "v1,", 0},
		{"m", ts, "v1,!!!not-base64!!!", 0},
		{"m", ts, "v2,AAAA", trace.SigNoKnownVer},
		{"m", ts, strings.Repeat("v1,AAAA ", 1000), trace.SigMismatch},
		{"m", ts, "\xff\xfe", 0},
		{"m", "abc", "v1,AAAA", trace.SigMalformed},
		{"m", "-1", "v1,AAAA", trace.SigMalformed},
		{"m", "99999999999999999999999", "v1,AAAA", 0}, // any failure reason
		{"\xff\xfe", ts, "v1,AAAA", trace.SigMismatch},
	}
	for i, tt := range tests {
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI("/a")
		for k, v := range map[string]string{"webhook-id": tt.id, "webhook-timestamp": tt.ts, "webhook-signature": tt.sig} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		req.SetBodyString("{}")
		if code, _ := do(t, s, &req); code != 200 {
			t.Errorf("%d: status %d", i, code)
		}
	}
	tr := read()
	if len(tr.Attempts) != len(tests) {
		t.Fatalf("%d attempts for %d requests", len(tr.Attempts), len(tests))
	}
	for i, tt := range tests {
		if got := tr.Attempts[i].Sig; got.OK() || got == trace.SigNone || tt.want != 0 && got != tt.want {
			t.Errorf("%d (%q): verdict %v, want %v", i, tt.sig, got, tt.want)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/a", IDHeader: "X-Id", TypeHeader: "X-Type"})
	opts.Trace = tw
	opts.KeepBodies = true
	s := newTestServer(t, opts, false)
	var req fasthttp.Request
	req.Header.SetMethod("POST")
	req.SetRequestURI("/a")
	req.Header.Set("X-Id", "id-\xff\xfe")
	req.Header.Set("X-Type", "t\xc3\x28")
	body := "{\"hookbench_id\":\"ev-\xff\",\"x\":\"\xed\xa0\x80\"}"
	req.SetBodyString(body)
	if code, _ := do(t, s, &req); code != 200 {
		t.Fatalf("status %d", code)
	}
	req.SetRequestURI("/\xff\xfe")
	if code, _ := do(t, s, &req); code != 404 {
		t.Fatalf("odd path: %d", code)
	}
	tr := read()
	a := tr.Attempts[0]
	if a.MsgID != "id-\xff\xfe" || a.EventID != "ev-\xff" || a.EventType != "t\xc3\x28" || string(a.Body) != body {
		t.Fatalf("attempt %+v", a)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	// The dump (JSON lines) copes with the odd bytes.
	var buf bytes.Buffer
	w, _ := trace.NewWriter(&buf, trace.NewHeader(nil, "t"))
	w.WriteAttempt(&a)
	w.Close()
	var out bytes.Buffer
	if err := trace.Dump(&out, &buf); err != nil {
		t.Fatalf("dump: %v", err)
	}
}

// FuzzServeConn feeds arbitrary bytes to the sink's HTTP server: it must
// answer or close, never panic, and keep serving.
func FuzzServeConn(f *testing.F) {
	for _, s := range []string{
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
		"POST /a HTTP/1.1\r\nHost: x\r\nwebhook-id: m\r\nwebhook-timestamp: 1\r\nwebhook-signature: v1,AAAA\r\nContent-Length: 20\r\n\r\n{\"hookbench_id\":\"x\"}",
		"GET /_hookbench/stats HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.0\r\n\r\n",
		"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST /b HTTP/1.1\r\nAuthorization: Bearer t\r\nx-event-type: a\r\nContent-Length: 1\r\n\r\nx",
	} {
		f.Add([]byte(s))
	}
	opts := testOptions(stdEndpoint(f, "/a"), EndpointConfig{Path: "/b", Auth: Auth{"bearer", "Authorization", "t"}, TypeHeader: "x-event-type", Types: []string{"a"}})
	opts.ReadTimeout = time.Second
	for _, spec := range []string{"endpoint=/a,attempt=2,status=503,retry-after=1", "endpoint=/b,p=0.5,status=500", "every=3,status=429"} {
		r, err := ParseRule(spec)
		if err != nil {
			f.Fatal(err)
		}
		opts.Rules = append(opts.Rules, r)
	}
	tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	opts.Trace = tw
	s := newTestServer(f, opts, false)
	f.Fuzz(func(t *testing.T, raw []byte) {
		pc := fasthttputil.NewPipeConns()
		c1, c2 := pc.Conn1(), pc.Conn2()
		go func() {
			c1.Write(raw)
			c1.Close()
		}()
		_ = s.srv.ServeConn(c2)
		c2.Close()
	})
}

// chunked returns a chunked request to path whose body is n bytes.
func chunked(path string, n int) string {
	var b strings.Builder
	b.WriteString("POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	for n > 0 {
		k := min(n, 1000)
		b.WriteString(strconv.FormatInt(int64(k), 16) + "\r\n" + strings.Repeat("x", k) + "\r\n")
		n -= k
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

func TestChunkedOverLimitRecorded(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/a", MaxBody: 1024}, EndpointConfig{Path: "/b", MaxBody: 10})
	opts.Trace = tw
	s := newTestServer(t, opts, true)
	for _, path := range []string{"/a", "/b", "/nowhere"} {
		if got := rawExchange(t, s, chunked(path, 5000)); got != "HTTP/1.1 413 Request Entity Too Large" {
			t.Fatalf("%s: %q", path, got)
		}
	}
	stillServes(t, s)
	tr := read()
	want := []struct {
		ep    string
		flags uint8
	}{{"/a", trace.FlagTooLarge}, {"/b", trace.FlagTooLarge}, {"/nowhere", trace.FlagTooLarge | trace.FlagNoEndpoint}}
	if len(tr.Attempts) != len(want)+1 {
		t.Fatalf("%d attempts: %+v", len(tr.Attempts), tr.Attempts)
	}
	for i, w := range want {
		a := tr.Attempts[i]
		if a.Endpoint != w.ep || a.Flags != w.flags || a.Status != 413 || a.Method != "POST" || a.Size <= 1024 && w.ep != "/b" {
			t.Errorf("attempt %d = %+v, want endpoint %s flags %b, 413, a size over the limit", i, a, w.ep, w.flags)
		}
	}
	if st := s.Stats(); st.Endpoints[0].TooLarge != 1 || st.Endpoints[1].TooLarge != 1 || st.Unknown.TooLarge != 1 {
		t.Errorf("stats %+v", st)
	}
}
