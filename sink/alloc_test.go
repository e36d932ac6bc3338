//go:build !race

package sink

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// TestHandlerAllocs: the handler with Standard Webhooks verification, the
// event-id scan and trace recording allocates nothing per request.
func TestHandlerAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule string
	}{
		{"default-200", ""},
		{"rule-status", "endpoint=/hook,attempt=1-,p=0.5,status=503"},
		{"rule-retry-after", "endpoint=/hook,status=429,retry-after=30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "test"))
			if err != nil {
				t.Fatal(err)
			}
			defer tw.Close()
			opts := testOptions(stdEndpoint(t, "/hook"))
			opts.Trace = tw
			if tc.rule != "" {
				r, err := ParseRule(tc.rule)
				if err != nil {
					t.Fatal(err)
				}
				opts.Rules = []Rule{r}
			}
			s := newTestServer(t, opts, false)
			var req fasthttp.Request
			signedRequest(t, &req, "/hook", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Now(),
				`{"type":"order.created","data":{"hookbench_id":"ev-1","n":1}}`)
			var rc fasthttp.RequestCtx
			rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
			s.handle(&rc) // warm up: intern strings, create status counters
			allocs := testing.AllocsPerRun(2000, func() {
				rc.Response.Reset()
				s.handle(&rc)
			})
			if allocs != 0 {
				t.Fatalf("handler allocates %v times per request, want 0", allocs)
			}
			if got := rc.Response.StatusCode(); tc.rule == "" && got != 200 {
				t.Fatalf("status %d, want 200", got)
			}
			st := s.Stats().Endpoints[0]
			if st.Sig["valid"] != 2002 {
				t.Fatalf("valid signatures %d, want 2002 (%+v)", st.Sig["valid"], st)
			}
		})
	}
}
