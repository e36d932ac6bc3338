package sink

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

const benchBody = `{"type":"order.created","timestamp":"2026-01-02T03:04:05Z","data":{"hookbench_id":"ev-000001","order":{"id":"ord_123","total":"12.50","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]}}}`

// benchHandler measures the handler called directly with one request (the
// same message each time, as a provider retrying; ids are interned after the
// first call).
func benchHandler(b *testing.B, ep EndpointConfig, withTrace bool, rules ...string) {
	opts := testOptions(ep)
	if withTrace {
		tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "bench"))
		if err != nil {
			b.Fatal(err)
		}
		defer tw.Close()
		opts.Trace = tw
	}
	for _, spec := range rules {
		r, err := ParseRule(spec)
		if err != nil {
			b.Fatal(err)
		}
		opts.Rules = append(opts.Rules, r)
	}
	s := newTestServer(b, opts, false)
	var req fasthttp.Request
	signedRequest(b, &req, ep.Path, "msg_2Zw1R6bJ7M0c8YxQp4s9T", time.Now(), benchBody)
	var rc fasthttp.RequestCtx
	rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		rc.Response.Reset()
		s.handle(&rc)
	}
	if rc.Response.StatusCode() == 0 {
		b.Fatal("no answer")
	}
}

func BenchmarkHandler(b *testing.B) {
	b.Run("standard+trace", func(b *testing.B) { benchHandler(b, stdEndpoint(b, "/hook"), true) })
	b.Run("standard", func(b *testing.B) { benchHandler(b, stdEndpoint(b, "/hook"), false) })
	b.Run("plain+trace", func(b *testing.B) { benchHandler(b, EndpointConfig{Path: "/hook"}, true) })
	b.Run("standard+trace+rules", func(b *testing.B) {
		benchHandler(b, stdEndpoint(b, "/hook"), true, "type=user.deleted,status=500", "after=1h,reset", "p=0.01,status=503,retry-after=5")
	})
}

// BenchmarkServer measures the whole HTTP exchange over an in-memory
// listener with parallel clients and a distinct message id per request.
func BenchmarkServer(b *testing.B) {
	tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer tw.Close()
	opts := testOptions(stdEndpoint(b, "/hook"))
	opts.Trace = tw
	s := newTestServer(b, opts, false)
	c := client(s)
	const n = 1024
	reqs := make([]*fasthttp.Request, n)
	for i := range reqs {
		reqs[i] = &fasthttp.Request{}
		signedRequest(b, reqs[i], "/hook", "msg_"+strconv.Itoa(i), time.Now(), benchBody)
		reqs[i].SetRequestURI(s.URL() + "/hook")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var resp fasthttp.Response
		var req fasthttp.Request
		i := 0
		for pb.Next() {
			reqs[i%n].CopyTo(&req)
			i++
			if err := c.Do(&req, &resp); err != nil || resp.StatusCode() != 200 {
				b.Errorf("%d %v", resp.StatusCode(), err)
				return
			}
		}
	})
}

func BenchmarkJSONPathFind(b *testing.B) {
	body := []byte(`{"pad":"` + strings.Repeat("x", 900) + `","data":{"list":[1,2,3],"hookbench_id":"ev-1"}}`)
	p, err := compileJSONPath(DefaultEventIDPath)
	if err != nil {
		b.Fatal(err)
	}
	var scratch []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, ok := p.find(body, &scratch); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkNthCounter(b *testing.B) {
	c := newNthCounter(DefaultDedupWindow)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var k uint64
		for pb.Next() {
			k++
			c.inc(k % 4096 * 0x9e3779b97f4a7c15)
		}
	})
}

// BenchmarkHandlerMismatchDiagnosed: the cost of a mismatch the sink
// explains (the provider signed the body without a space the request
// carries), every time: the diagnosis re-encodes the body.
func BenchmarkHandlerMismatchDiagnosed(b *testing.B) {
	opts := testOptions(stdEndpoint(b, "/hook"))
	tw, err := trace.NewWriter(io.Discard, trace.NewHeader(nil, "bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer tw.Close()
	opts.Trace = tw
	s := newTestServer(b, opts, false)
	var req fasthttp.Request
	signedRequest(b, &req, "/hook", "msg_2Zw1R6bJ7M0c8YxQp4s9T", time.Now(), benchBody)
	req.SetBodyString(strings.Replace(benchBody, ",", ", ", 1))
	var rc fasthttp.RequestCtx
	rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	b.ReportAllocs()
	for b.Loop() {
		rc.Response.Reset()
		s.handle(&rc)
	}
	if s.endpoints["/hook"].diagMisses.Load() != 0 {
		b.Fatal("the variant was not found")
	}
}
