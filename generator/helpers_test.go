package generator

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// request is what the test server saw of one request.
type request struct {
	body    []byte
	idemKey string
	headers map[string]string
	ctype   string
}

// testServer is a fasthttp server on an in-memory listener.
type testServer struct {
	ln   *fasthttputil.InmemoryListener
	mu   sync.Mutex // guards reqs
	reqs []request
}

// newTestServer serves handle (nil = 202 with {"id":"prov-N"}) and records
// every request. It stops when the test ends.
func newTestServer(tb testing.TB, handle func(ctx *fasthttp.RequestCtx, n int)) *testServer {
	tb.Helper()
	ts := &testServer{ln: fasthttputil.NewInmemoryListener()}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		r := request{
			body:    bytes.Clone(ctx.PostBody()),
			idemKey: string(ctx.Request.Header.Peek("Idempotency-Key")),
			ctype:   string(ctx.Request.Header.ContentType()),
			headers: map[string]string{},
		}
		for k, v := range ctx.Request.Header.All() {
			r.headers[string(k)] = string(v)
		}
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, r)
		n := len(ts.reqs)
		ts.mu.Unlock()
		if handle != nil {
			handle(ctx, n)
			return
		}
		ctx.SetStatusCode(202)
		ctx.SetBodyString(`{"status":"queued","id":"prov-` + itoa(n) + `"}`)
	}}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ts.ln) }()
	tb.Cleanup(func() { ts.ln.Close(); <-done })
	return ts
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func (ts *testServer) requests() []request {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]request(nil), ts.reqs...)
}

// options returns Options aimed at the in-memory server.
func (ts *testServer) options() Options {
	o := NewOptions()
	o.URL = "http://hookbench.test/events"
	o.Dial = func(string) (net.Conn, error) { return ts.ln.Dial() }
	o.IDPrefix = "hb-t-"
	return o
}

// quietServer answers 202 {"id":"evt_1"} on an in-memory listener without
// recording anything, so allocation counts are the client's.
func quietServer(tb testing.TB) *fasthttputil.InmemoryListener {
	tb.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(202)
		ctx.SetBodyString(`{"id":"evt_1"}`)
	}}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	tb.Cleanup(func() { ln.Close(); <-done })
	return ln
}

// sendWorker returns a worker of a generator that was set up as Run does,
// ready for direct calls to send.
func sendWorker(tb testing.TB, edit func(o *Options)) *worker {
	tb.Helper()
	ln := quietServer(tb)
	o := NewOptions()
	o.URL = "http://hookbench.test/events"
	o.Dial = func(string) (net.Conn, error) { return ln.Dial() }
	o.Connections = 1
	o.Body = `{"type":"{{type}}","seq":{{seq}},"at":"{{now rfc3339}}","u":"{{uuid}}","n":{{rand_int 1 9}},"c":"{{pick a|b}}"}`
	o.Headers = [][2]string{{"X-Seq", "{{seq}}"}, {"Authorization", "Bearer x"}}
	if edit != nil {
		edit(&o)
	}
	g, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	g.start = time.Now()
	g.running.Store(true)
	tb.Cleanup(func() {
		g.conns.closeAll()
		g.ws[0].release()
	})
	return g.ws[0]
}
