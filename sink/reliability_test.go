package sink

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp/fasthttputil"
)

// lines collects log lines; safe for concurrent use.
type lines struct {
	mu sync.Mutex // guards l
	l  []string
}

func (l *lines) logf(format string, args ...any) {
	l.mu.Lock()
	l.l = append(l.l, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *lines) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.l {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

// emfileListener fails its first n Accepts with EMFILE, as a process out
// of file descriptors does, then accepts from the wrapped listener.
type emfileListener struct {
	net.Listener
	mu sync.Mutex // guards n
	n  int
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.n > 0
	if fail {
		l.n--
	}
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestAcceptErrorsDoNotStopServing(t *testing.T) {
	t.Parallel()
	var log lines
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.Logf = log.logf
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	fixed := time.Now()
	s.acceptLog.Now = func() time.Time { return fixed }
	mem := fasthttputil.NewInmemoryListener()
	if err := s.serve(&emfileListener{Listener: mem, n: 3}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := range 3 {
		c, err := mem.Dial()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if line != "HTTP/1.1 200 OK\r\n" {
			t.Fatalf("request %d: %q", i, line)
		}
	}
	if got := s.Stats().AcceptErrors; got != 3 {
		t.Errorf("accept_errors = %d, want 3", got)
	}
	if got := log.matching("accept"); len(got) != 1 || !strings.Contains(got[0], "too many open files") {
		t.Errorf("accept log lines %q, want one naming EMFILE", got)
	}
	if m := metricsText(t, s); !strings.Contains(m, "hookbench_sink_accept_errors_total 3\n") {
		t.Errorf("metrics lack accept_errors_total 3:\n%s", m)
	}
}

func metricsText(tb testing.TB, s *Server) string {
	tb.Helper()
	var b strings.Builder
	s.set.WritePrometheus(&b)
	return b.String()
}

// keepOpen sends a request on a new connection, checks the answer and
// leaves the connection open.
func keepOpen(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
		tb.Fatal(err)
	}
	r := bufio.NewReader(c)
	line, _ := r.ReadString('\n')
	if line != "HTTP/1.1 200 OK\r\n" {
		tb.Fatalf("keep-open request: %q", line)
	}
	return c
}

func TestOverCapacityRecorded(t *testing.T) {
	t.Parallel()
	tw, read := memTrace(t)
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.Concurrency = 2
	opts.Trace = tw
	s := newTestServer(t, opts, true)
	addr := strings.TrimPrefix(s.URL(), "http://")
	first := keepOpen(t, addr)
	keepOpen(t, addr)
	if got := rawExchange(t, s, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); got != "HTTP/1.1 503 Service Unavailable" {
		t.Fatalf("third connection: %q, want 503", got)
	}
	// Freeing a place lets the next connection in (once the sink has seen
	// the close; refusals meanwhile are counted too).
	first.Close()
	refused := 1
	for i := 0; ; i++ {
		line := rawExchange(t, s, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
		if line == "HTTP/1.1 200 OK" {
			break
		}
		if line != "HTTP/1.1 503 Service Unavailable" || i == 1000 {
			t.Fatalf("after a close: %q (try %d)", line, i)
		}
		refused++
		time.Sleep(time.Millisecond)
	}
	st := s.Stats()
	if st.OverCapacity != uint64(refused) {
		t.Errorf("over_capacity = %d, want %d", st.OverCapacity, refused)
	}
	if m := metricsText(t, s); !strings.Contains(m, fmt.Sprintf("hookbench_sink_over_capacity_total %d\n", refused)) {
		t.Errorf("metrics lack over_capacity_total %d:\n%s", refused, m)
	}
	marks := 0
	for _, m := range read().Marks {
		if m.Type == "note" && m.Name == overCapacityMark {
			marks++
			if _, _, err := net.SplitHostPort(m.Detail); err != nil {
				t.Errorf("mark detail %q is not the peer address: %v", m.Detail, err)
			}
		}
	}
	if marks != refused {
		t.Errorf("%d over-capacity marks, want %d", marks, refused)
	}
}

func TestMalformedLogRateLimited(t *testing.T) {
	t.Parallel()
	var log lines
	opts := testOptions(EndpointConfig{Path: "/a"})
	opts.Logf = log.logf
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var clock sync.Mutex // guards fixed
	fixed := time.Now()
	s.fhLog.Now = func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		return fixed
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const n = 20
	for range n {
		rawExchange(t, s, "GARBAGE\r\n\r\n")
	}
	stillServes(t, s)
	if got := s.Stats().BadRequests["malformed"]; got != n {
		t.Fatalf("malformed = %d, want %d", got, n)
	}
	got := log.matching("fasthttp")
	if len(got) != 1 {
		t.Fatalf("%d fasthttp lines for %d malformed connections, want 1: %q", len(got), n, got)
	}
	// The next line let through counts the ones dropped (fasthttp logs
	// after answering, so the last ones may still be on their way).
	for i := 0; s.fhLog.Suppressed() < n-1; i++ {
		if i == 1000 {
			t.Fatalf("suppressed %d, want %d", s.fhLog.Suppressed(), n-1)
		}
		time.Sleep(time.Millisecond)
	}
	clock.Lock()
	fixed = fixed.Add(time.Second)
	clock.Unlock()
	s.fhLog.Printf("probe")
	if got := log.matching("probe"); len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("(%d more suppressed)", n-1)) {
		t.Fatalf("probe line %q, want %d more suppressed", got, n-1)
	}
}

func TestBearerOK(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"Bearer k", true}, {"bearer k", true}, {"BeArEr k", true}, {"Bearer   k", true},
		{"", false}, {"Bearer", false}, {"Bearer ", false}, {"Bearerk", false}, {"Bearer k2", false},
		{"Basic k", false}, {"bearer\tk", false}, {"xbearer k", false},
	} {
		if got := bearerOK([]byte(tc.value), []byte("k")); got != tc.want {
			t.Errorf("bearerOK(%q) = %v, want %v", tc.value, got, tc.want)
		}
	}
}
