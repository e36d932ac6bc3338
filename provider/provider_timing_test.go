package provider

import (
	"encoding/json"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// bareReceiver is the fastest consumer: 200, empty body, no recording.
func bareReceiver(b *testing.B) (url string, count *atomic.Int64) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	count = new(atomic.Int64)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { count.Add(1) }, Logger: quiet{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		srv.Serve(ln)
	}()
	b.Cleanup(func() {
		srv.Shutdown()
		ln.Close()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/hook", count
}

const benchPayload = `{"hookbench_id":"0123456789abcdef","type":"order.created","data":{"id":12345,"total":"99.95","items":[1,2,3]}}`

func waitDrained(b *testing.B, p *Provider) {
	deadline := time.Now().Add(2 * time.Minute)
	for p.Pending() > 0 {
		if time.Now().After(deadline) {
			b.Fatalf("%d deliveries still pending", p.Pending())
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// benchWindow bounds the events outstanding in BenchmarkDeliver.
const benchWindow = 1024

// BenchmarkDeliver: events published through the library, fanned out to
// one fast 200 endpoint on loopback, Standard Webhooks signing. Reports
// deliveries/s end to end (publish → signed request → 200 → done).
func BenchmarkDeliver(b *testing.B) { benchDeliver(b, "", 1) }

// BenchmarkDeliverPersistent: the same with a DataDir (bbolt, no fsync,
// group commit: Publish returns once the event is committed), from 16
// publishing goroutines as 16 API connections would be.
func BenchmarkDeliverPersistent(b *testing.B) { benchDeliver(b, b.TempDir(), 16) }

func benchDeliver(b *testing.B, dir string, publishers int) {
	url, count := bareReceiver(b)
	o := NewOptions()
	o.DataDir = dir
	o.QueueSize = 1 << 20
	p, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := p.CreateEndpoint(EndpointRequest{URL: url}); err != nil {
		b.Fatal(err)
	}
	req := EventRequest{Type: "order.created", Payload: json.RawMessage(benchPayload)}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				// Steady state: at most benchWindow events outstanding, as
				// a generator at the provider's pace would keep it.
				for p.Pending() >= benchWindow {
					time.Sleep(20 * time.Microsecond)
				}
				if _, err := p.Publish(req, ""); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitDrained(b, p)
	el := time.Since(start)
	b.StopTimer()
	if got := count.Load(); got != int64(b.N) {
		b.Fatalf("receiver got %d requests, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
}

// BenchmarkDeliverViaAPI: the same, but events come in over HTTP
// (POST /events) from 16 client goroutines, as a generator would send
// them.
func BenchmarkDeliverViaAPI(b *testing.B) {
	url, count := bareReceiver(b)
	o := NewOptions()
	o.QueueSize = 1 << 20
	p, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := p.CreateEndpoint(EndpointRequest{URL: url}); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"type":"order.created","payload":` + benchPayload + `}`)
	client := &fasthttp.Client{MaxConnsPerHost: 64}
	var next atomic.Int64
	var failed atomic.Int64
	const workers = 16
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for next.Add(1) <= int64(b.N) {
				req.SetRequestURI(p.URL() + "/events")
				req.Header.SetMethod("POST")
				req.SetBodyRaw(body)
				if err := client.Do(req, resp); err != nil || resp.StatusCode() != 202 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	waitDrained(b, p)
	el := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d triggers failed", f)
	}
	if got := count.Load(); got != int64(b.N) {
		b.Fatalf("receiver got %d requests, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
}

// BenchmarkBareFasthttp is the baseline for BenchmarkDeliver: a bare
// fasthttp client posting the same body to the same receiver from 64
// goroutines (the provider's default per-endpoint concurrency), with no
// provider in between. The machine's loopback ceiling, for comparison.
func BenchmarkBareFasthttp(b *testing.B) {
	url, count := bareReceiver(b)
	client := &fasthttp.Client{MaxConnsPerHost: DefaultMaxConns}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range DefaultConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for next.Add(1) <= int64(b.N) {
				req.SetRequestURI(url)
				req.Header.SetMethod("POST")
				req.SetBodyString(benchPayload)
				if err := client.Do(req, resp); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if got := count.Load(); got != int64(b.N) {
		b.Fatalf("receiver got %d requests, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "requests/s")
}

// BenchmarkPendingMemory: heap bytes per event waiting for a retry (one
// endpoint, first attempt refused, the retry not yet due on a fake clock).
func BenchmarkPendingMemory(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connections are refused
	o := NewOptions()
	o.QueueSize = 1 << 22
	o.Clock = newFakeClock()
	p, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	if _, err := p.CreateEndpoint(EndpointRequest{URL: "http://" + addr + "/hook"}); err != nil {
		b.Fatal(err)
	}
	var attempts atomic.Int64
	p.attemptHook = func(string, string, attemptLog) { attempts.Add(1) }
	req := EventRequest{Type: "order.created", Payload: json.RawMessage(benchPayload)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Publish(req, ""); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for attempts.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if p.Pending() != b.N {
		b.Fatalf("pending %d, want %d", p.Pending(), b.N)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/pending")
	b.ReportMetric(float64(len(benchPayload)), "payload-B")
}

// BenchmarkParseRetryAfter: the seconds form, on every 429/503.
func BenchmarkParseRetryAfter(b *testing.B) {
	v := []byte("120")
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := ParseRetryAfter(v, now); !ok {
			b.Fatal("not ok")
		}
	}
}

// BenchmarkNewID: one id per event.
func BenchmarkNewID(b *testing.B) {
	p, err := New(NewOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if id := p.newID("msg_"); len(id) != 26 {
			b.Fatal(strconv.Itoa(len(id)))
		}
	}
}
