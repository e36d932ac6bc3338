package sink

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// testSecret is the first Standard Webhooks vector's key.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// stdEndpoint is a Standard Webhooks endpoint at path.
func stdEndpoint(tb testing.TB, path string) EndpointConfig {
	tb.Helper()
	ep, err := ParseEndpoint("path=" + path + ",scheme=standard,secret=" + testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	return ep
}

// newTestServer builds a server with opts on an in-memory listener (or a
// real 127.0.0.1 socket when tcp is set) and closes it at the end of the test.
func newTestServer(tb testing.TB, opts Options, tcp bool) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if tcp {
		err = s.Start()
	} else {
		err = s.serve(fasthttputil.NewInmemoryListener())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

// testOptions returns options with endpoints eps and a short grace.
func testOptions(eps ...EndpointConfig) Options {
	o := NewOptions()
	o.Endpoints = eps
	o.ShutdownGrace = 0
	return o
}

// signedRequest builds a POST to path with a Standard Webhooks signature.
func signedRequest(tb testing.TB, req *fasthttp.Request, path, msgID string, ts time.Time, body string) {
	tb.Helper()
	sg, err := signature.NewSigner(signature.Config{Scheme: "standard", Secrets: []string{testSecret}})
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.SetMethod("POST")
	req.SetRequestURI("http://sink" + path)
	req.Header.SetContentType("application/json")
	req.SetBodyString(body)
	sg.Sign(&req.Header, msgID, ts, []byte(body))
}

// client returns a fasthttp client that dials the server's listener.
func client(s *Server) *fasthttp.Client {
	c := &fasthttp.Client{ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	if ml, ok := s.ln.inner.(*fasthttputil.InmemoryListener); ok {
		c.Dial = func(string) (net.Conn, error) { return ml.Dial() }
	}
	return c
}

// do sends req to s and returns status and body.
func do(tb testing.TB, s *Server, req *fasthttp.Request) (int, string) {
	tb.Helper()
	req.SetRequestURI(s.URL() + string(req.URI().RequestURI()))
	var resp fasthttp.Response
	if err := client(s).Do(req, &resp); err != nil {
		tb.Fatalf("request %s: %v", req.URI(), err)
	}
	return resp.StatusCode(), string(resp.Body())
}

// memTrace returns a trace writer over a buffer, and a function reading
// it back (after flushing).
func memTrace(tb testing.TB) (*trace.Writer, func() *trace.Trace) {
	tb.Helper()
	var buf bytes.Buffer
	w, err := trace.NewWriter(&syncBuffer{b: &buf}, trace.NewHeader([]string{"test"}, "test"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w, func() *trace.Trace {
		tb.Helper()
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		tr, err := trace.Read(bytes.NewReader(buf.Bytes()))
		if err != nil {
			tb.Fatal(err)
		}
		return tr
	}
}

// syncBuffer is written only under the trace writer's lock; it exists so
// the buffer is not read while written (reads happen after Flush).
type syncBuffer struct{ b *bytes.Buffer }

func (s *syncBuffer) Write(p []byte) (int, error) { return s.b.Write(p) }
