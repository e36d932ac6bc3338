package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/trace"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex // guards now and timers
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool // fired or stopped; guarded by c.mu
}

var _ Clock = (*fakeClock)(nil)

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	if d <= 0 {
		// Like time.AfterFunc: f runs in its own goroutine, never inside
		// the caller (which may hold locks f takes).
		t.done = true
		go f()
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the clock by d and runs every timer that came due, in
// due order, synchronously.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.done = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	clear(c.timers[len(keep):])
	c.timers = keep
	c.mu.Unlock()
	slices.SortFunc(due, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
}

// AdvanceTo moves the clock to t (no-op when t has passed).
func (c *fakeClock) AdvanceTo(t time.Time) {
	d := t.Sub(c.Now())
	if d < 0 {
		d = 0
	}
	c.Advance(d)
}

// hit is one request the receiver got.
type hit struct {
	Method      string
	Path        string
	N           int // n-th request to this path, 1-based
	ID          string
	Timestamp   string
	Signature   string
	ContentType string
	EventType   string
	Attempt     string
	Body        []byte
	Header      hdrs // every header, lower-case names
}

// hdrs is a request's headers; it satisfies signature.Headers.
type hdrs map[string]string

func (h hdrs) Peek(name string) []byte {
	v, ok := h[strings.ToLower(name)]
	if !ok {
		return nil
	}
	return []byte(v)
}

// quiet discards fasthttp's log lines (cut-off connections are expected).
type quiet struct{}

func (quiet) Printf(string, ...any) {}

// reply is what the receiver answers.
type reply struct {
	Status  int
	Headers map[string]string
	Hold    time.Duration // wait this long (or until the receiver closes) first
}

// receiver is a loopback webhook consumer that records every request.
type receiver struct {
	tb      testing.TB
	srv     *fasthttp.Server
	ln      net.Listener
	url     string
	behave  func(h *hit) reply
	hits    chan hit
	release chan struct{}
	wg      sync.WaitGroup

	mu     sync.Mutex // guards all and counts
	all    []hit
	counts map[string]int
}

func newReceiver(tb testing.TB, behave func(h *hit) reply) *receiver {
	tb.Helper()
	if behave == nil {
		behave = func(*hit) reply { return reply{Status: 200} }
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("receiver listen: %v", err)
	}
	r := &receiver{tb: tb, ln: ln, url: "http://" + ln.Addr().String(), behave: behave,
		hits: make(chan hit, 10000), release: make(chan struct{}), counts: map[string]int{}}
	r.srv = &fasthttp.Server{Handler: r.handle, CloseOnShutdown: true, Logger: quiet{}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.srv.Serve(ln)
	}()
	tb.Cleanup(r.close)
	return r
}

func (r *receiver) handle(ctx *fasthttp.RequestCtx) {
	h := hit{
		Method:      string(ctx.Method()),
		Path:        string(ctx.Path()),
		ID:          string(ctx.Request.Header.Peek("webhook-id")),
		Timestamp:   string(ctx.Request.Header.Peek("webhook-timestamp")),
		Signature:   string(ctx.Request.Header.Peek("webhook-signature")),
		ContentType: string(ctx.Request.Header.ContentType()),
		EventType:   string(ctx.Request.Header.Peek(EventTypeHeader)),
		Attempt:     string(ctx.Request.Header.Peek(AttemptHeader)),
		Body:        append([]byte(nil), ctx.PostBody()...),
		Header:      hdrs{},
	}
	for k, v := range ctx.Request.Header.All() {
		h.Header[strings.ToLower(string(k))] = string(v)
	}
	r.mu.Lock()
	r.counts[h.Path]++
	h.N = r.counts[h.Path]
	r.all = append(r.all, h)
	r.mu.Unlock()
	rep := r.behave(&h)
	r.hits <- h
	if rep.Hold > 0 {
		select {
		case <-time.After(rep.Hold):
		case <-r.release:
		}
	}
	for k, v := range rep.Headers {
		ctx.Response.Header.Set(k, v)
	}
	if rep.Status == 0 {
		rep.Status = 200
	}
	ctx.SetStatusCode(rep.Status)
}

func (r *receiver) close() {
	select {
	case <-r.release:
		return
	default:
	}
	close(r.release)
	r.srv.Shutdown()
	r.ln.Close()
	r.wg.Wait()
}

// next waits for the next request (bounded: a liveness limit, not a
// timing assertion).
func (r *receiver) next() hit {
	r.tb.Helper()
	select {
	case h := <-r.hits:
		return h
	case <-time.After(20 * time.Second):
		r.tb.Fatalf("receiver: no request within 20s")
	}
	return hit{}
}

// snapshot returns every request so far.
func (r *receiver) snapshot() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.all)
}

// verifyStandard checks a Standard Webhooks v1 signature with an
// independent HMAC computation (not the signer under test).
func verifyStandard(secret string, h hit, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.ID + "." + h.Timestamp + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Fields(h.Signature) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

// verify checks a request with signature, as the sink does, at the
// given time.
func verify(tb testing.TB, scheme string, secrets []string, h hit, now time.Time) trace.SigResult {
	tb.Helper()
	v, err := signature.NewVerifier(signature.Config{Scheme: scheme, Secrets: secrets})
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	return v.Verify(h.Header, h.Body, now).Result
}

// rec is one attempt seen through the provider's hook.
type rec struct {
	ev, ep string
	log    attemptLog
}

// harness is a started provider on a fake clock with one endpoint at a
// receiver.
type harness struct {
	tb     testing.TB
	p      *Provider
	clock  *fakeClock
	rcv    *receiver
	ep     Endpoint
	recs   chan rec
	secret string
}

type harnessConfig struct {
	opts     func(o *Options)
	behave   func(h *hit) reply
	realTime bool   // use the real clock
	path     string // endpoint path, default /hook
}

func newHarness(tb testing.TB, cfg harnessConfig) *harness {
	tb.Helper()
	h := &harness{tb: tb, recs: make(chan rec, 10000)}
	h.rcv = newReceiver(tb, cfg.behave)
	o := NewOptions()
	if !cfg.realTime {
		h.clock = newFakeClock()
		o.Clock = h.clock
	}
	if cfg.opts != nil {
		cfg.opts(&o)
	}
	p, err := New(o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	p.attemptHook = func(ev, ep string, l attemptLog) { h.recs <- rec{ev, ep, l} }
	if err := p.Start(); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() { p.Close() })
	h.p = p
	path := cfg.path
	if path == "" {
		path = "/hook"
	}
	ep, err := p.CreateEndpoint(EndpointRequest{URL: h.rcv.url + path})
	if err != nil {
		tb.Fatalf("CreateEndpoint: %v", err)
	}
	h.ep, h.secret = ep, ep.Secret
	return h
}

func (h *harness) publish(typ, payload, key string) string {
	h.tb.Helper()
	res, err := h.p.Publish(EventRequest{Type: typ, Payload: json.RawMessage(payload)}, key)
	if err != nil {
		h.tb.Fatalf("Publish: %v", err)
	}
	return res.ID
}

// attempt waits for the provider to log the next attempt.
func (h *harness) attempt() rec {
	h.tb.Helper()
	select {
	case r := <-h.recs:
		return r
	case <-time.After(20 * time.Second):
		h.tb.Fatalf("no attempt logged within 20s")
	}
	return rec{}
}

// retryNow advances the fake clock to r's next attempt.
func (h *harness) retryNow(r rec) {
	h.tb.Helper()
	if r.log.Next == 0 {
		h.tb.Fatalf("attempt %d of %s has no next attempt (outcome %v)", r.log.N, r.ev, r.log.Out)
	}
	h.clock.AdvanceTo(time.Unix(0, r.log.Next))
}

// delay is the gap r scheduled before its retry.
func (r rec) delay() time.Duration { return time.Duration(r.log.Next - r.log.At) }

func statusSeq(statuses ...int) func(h *hit) reply {
	return func(h *hit) reply {
		if h.N <= len(statuses) {
			return reply{Status: statuses[h.N-1]}
		}
		return reply{Status: statuses[len(statuses)-1]}
	}
}
