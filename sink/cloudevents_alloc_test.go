//go:build !race

package sink

import (
	"io"
	"net"
	"testing"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// TestHandlerAllocsCloudEvents: recording CloudEvents attributes, binary
// or structured, allocates nothing per request either.
func TestHandlerAllocsCloudEvents(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		hdr            []string
	}{
		{"binary", "application/json", `{"hookbench_id":"ev-1"}`, []string{"ce-specversion", "1.0", "ce-id", "id-1", "ce-source", "/s", "ce-type", "t"}},
		{"structured", "application/cloudevents+json", `{"specversion":"1.0","id":"id-1","source":"/s","type":"t","data":{"hookbench_id":"ev-1"}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "test"))
			if err != nil {
				t.Fatal(err)
			}
			defer tw.Close()
			ep, err := ParseEndpoint("path=/hook,cloudevents=true")
			if err != nil {
				t.Fatal(err)
			}
			opts := testOptions(ep)
			opts.Trace = tw
			s := newTestServer(t, opts, false)
			var req fasthttp.Request
			req.Header.SetMethod("POST")
			req.SetRequestURI("http://sink/hook")
			req.Header.SetContentType(tc.ct)
			for i := 0; i < len(tc.hdr); i += 2 {
				req.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			req.SetBodyString(tc.body)
			var rc fasthttp.RequestCtx
			rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
			s.handle(&rc)
			allocs := testing.AllocsPerRun(1000, func() {
				rc.Response.Reset()
				s.handle(&rc)
			})
			if allocs != 0 {
				t.Fatalf("handler allocates %v times per request, want 0", allocs)
			}
		})
	}
}
