package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

var (
	reservedPrefix = []byte(ReservedPrefix)
	statsPath      = ReservedPrefix + "stats"
)

// b2s views b as a string without copying. The string is valid only while b
// is; the handler uses it for request memory that lives until the Attempt
// is written (the trace writer copies what it keeps).
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Tags mixed into id hashes so a message id, an event id and a body hash
// with equal hashes count separately.
const (
	keyMsgID   = 0
	keyEventID = 0x9e3779b97f4a7c15
	keyBody    = 0xc2b2ae3d27d4eb4f
)

// handle is the request handler: the hot path. With an endpoint that
// verifies Standard Webhooks signatures, a trace, and the default answer
// it does not allocate.
func (s *Server) handle(rc *fasthttp.RequestCtx) {
	if s.chunked.n.Load() > 0 {
		s.chunked.take(&rc.Request.Header)
	}
	path := rc.Path()
	ep := s.endpoints[b2s(path)]
	if ep == nil {
		if bytes.HasPrefix(path, reservedPrefix) || string(path) == MetricsPath {
			s.serveInternal(rc)
			return
		}
		s.handleUnknown(rc)
		return
	}
	if rc.IsOptions() {
		if origin := rc.Request.Header.Peek(HeaderRequestOrigin); len(origin) > 0 {
			s.handshake(rc, ep, origin)
			return
		}
	}
	shard := rc.ConnID()
	s.inflight.add(shard, 1)
	c := s.acquireCall(rc, ep)
	s.inspect(c)
	s.decide(c)
	if c.out == outcomeTrickle {
		return // the hijack handler finishes, records and releases
	}
	s.finish(c)
	s.releaseCall(c)
	s.inflight.add(shard, -1)
}

func (s *Server) acquireCall(rc *fasthttp.RequestCtx, ep *endpoint) *Call {
	c := s.callPool.Get().(*Call)
	c.rc, c.ep = rc, ep
	// fasthttp reads the clock when a request has been read; reuse it.
	c.t0 = rc.Time()
	if c.t0.IsZero() {
		c.t0 = time.Now()
	}
	c.arrival = c.t0
	if s.opts.Now != nil {
		c.arrival = s.now()
	}
	c.elapsed = c.arrival.Sub(s.start)
	return c
}

func (s *Server) releaseCall(c *Call) {
	c.a = trace.Attempt{}
	c.rc, c.ep = nil, nil
	c.out, c.reset, c.trickle, c.rateWait, c.behaviorN = outcomeRespond, false, 0, 0, ""
	c.scratch, c.scratch2, c.hdr = c.scratch[:0], c.scratch2[:0], c.hdr[:0]
	s.callPool.Put(c)
}

// inspect fills the Attempt from the request: ids, type, size, hash,
// signature verdict and the arrival number.
func (s *Server) inspect(c *Call) {
	ep, a, h := c.ep, &c.a, &c.rc.Request.Header
	body := c.rc.PostBody()
	a.Endpoint = ep.path
	a.Method = b2s(c.rc.Method())
	a.ArrivalNs = s.sinceBase(c.arrival)
	a.Size = len(body)
	a.BodyHash = xxhash.Sum64(body)
	if ep.idHeader != "" {
		a.MsgID = b2s(h.Peek(ep.idHeader))
	}
	if ep.evHeader != "" {
		a.EventID = b2s(h.Peek(ep.evHeader))
	} else if ep.evOn {
		if v, ok := ep.evPath.find(body, &c.scratch); ok {
			a.EventID = b2s(v)
		}
	}
	if ep.typeHeader != "" {
		a.EventType = b2s(h.Peek(ep.typeHeader))
	}
	for _, name := range ep.typeHeaders {
		if v := h.Peek(name); len(v) > 0 {
			a.EventType = b2s(v)
			break
		}
	}
	if a.EventType == "" && ep.typeOn {
		if v, ok := ep.typePath.find(body, &c.scratch2); ok {
			a.EventType = b2s(v)
		}
	}
	if ep.attemptHeader != "" {
		a.ProviderN = parseUint32(h.Peek(ep.attemptHeader))
	}
	if ep.cloudEvents {
		inspectCloudEvent(a, h, body)
	}
	if ep.verifier != nil {
		v := ep.verifier.Verify(h, body, c.arrival)
		a.Sig = v.Result
		if v.Result == trace.SigMismatch && ep.diag != nil {
			a.SigVariant = ep.diagnose(h, body)
		}
		if v.HasTimestamp {
			a.SkewMs = v.Timestamp*1000 - c.arrival.UnixMilli()
			a.Flags |= trace.FlagTimestamp
		}
	}
	var key uint64
	switch {
	case a.MsgID != "":
		key = xxhash.Sum64String(a.MsgID) ^ keyMsgID
	case a.EventID != "":
		key = xxhash.Sum64String(a.EventID) ^ keyEventID
	default:
		key = a.BodyHash ^ keyBody
	}
	a.Nth = ep.counts.inc(key)
	// Repeatable randomness: the same delivery (id, arrival number) draws
	// the same numbers in every run with the same seed.
	c.pcg.Seed(s.seed, key^uint64(a.Nth)*0xbf58476d1ce4e5b9)
}

// Diagnosis budget per endpoint (see endpoint.diagMisses).
const (
	diagFree  = 16
	diagEvery = 64
)

// diagnose names what the provider signed instead of the raw body, within
// the endpoint's budget. It runs on mismatches only: a valid signature
// never reaches it.
func (ep *endpoint) diagnose(h *fasthttp.RequestHeader, body []byte) trace.SigVariant {
	if n := ep.diagMisses.Load(); n >= diagFree && n%diagEvery != 0 {
		ep.diagMisses.Add(1)
		return trace.SigVariantNone
	}
	v := ep.diag.Diagnose(h, body)
	if v == trace.SigVariantNone {
		ep.diagMisses.Add(1)
	} else {
		ep.diagMisses.Store(0)
	}
	return v
}

// decide answers the request: the endpoint's own checks first (size,
// auth, signature, type routing), then the first matching rule.
func (s *Server) decide(c *Call) {
	ep, a, r := c.ep, &c.a, &c.rc.Response
	switch {
	case a.Size > ep.maxBody:
		a.Flags |= trace.FlagTooLarge
		r.SetStatusCode(fasthttp.StatusRequestEntityTooLarge)
		r.SetBodyString("Request Entity Too Large")
		c.behaviorN = "max-body"
		return
	case !ep.authOK(&c.rc.Request.Header):
		a.Flags |= trace.FlagAuthFailed
		r.SetStatusCode(fasthttp.StatusUnauthorized)
		r.SetBodyString("Unauthorized")
		c.behaviorN = "auth"
		return
	case ep.badSig != 0 && ep.verifier != nil && !a.Sig.OK():
		r.SetStatusCode(ep.badSig)
		r.SetBodyString("Invalid signature: ")
		r.AppendBodyString(a.Sig.String())
		c.behaviorN = "bad-sig"
		return
	case len(ep.types) > 0 && !ep.typeAllowed(a.EventType):
		r.SetStatusCode(fasthttp.StatusBadRequest)
		r.SetBodyString("Invalid event type")
		c.behaviorN = "types"
		return
	}
	if lr := s.firstMatch(c); lr != nil {
		c.behaviorN = lr.name
		lr.Behavior.Respond(c)
	}
}

func (s *Server) firstMatch(c *Call) *liveRule {
	for _, rs := range [2]*ruleSet{c.ep.rules.Load(), s.global.Load()} {
		if rs == nil {
			continue
		}
		for _, r := range rs.rules {
			if !r.handshake && r.match(c) {
				return r
			}
		}
	}
	return nil
}

// finish records the attempt in the counters and the trace.
func (s *Server) finish(c *Call) {
	a := &c.a
	a.HandleNs = int64(time.Since(c.t0))
	if c.out == outcomeAbort {
		a.Status = 0
	} else {
		a.Status = c.rc.Response.StatusCode()
	}
	a.Behavior = c.behaviorN
	if s.opts.KeepBodies {
		a.Body = c.rc.PostBody()
	}
	c.ep.m.record(a, c.rc.ConnID(), true)
	if s.trace != nil {
		if err := s.trace.WriteAttempt(a); err != nil {
			s.traceErr(err)
		}
	}
}

// sinceBase converts a clock reading to the trace's time axis (or the
// sink's start without a trace).
func (s *Server) sinceBase(t time.Time) int64 {
	if s.trace != nil {
		return s.trace.At(t)
	}
	return int64(t.Sub(s.start))
}

func parseUint32(b []byte) uint32 {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
		if n > 1<<32-1 {
			return 0
		}
	}
	return uint32(n)
}

// handleUnknown answers 404 to a path that is not an endpoint, recording it.
func (s *Server) handleUnknown(rc *fasthttp.RequestCtx) {
	rc.SetStatusCode(fasthttp.StatusNotFound)
	rc.SetBodyString("Not Found")
	t0 := time.Now()
	arrival := t0
	if s.opts.Now != nil {
		arrival = s.now()
	}
	body := rc.PostBody()
	a := trace.Attempt{
		Endpoint: b2s(rc.Path()), Method: b2s(rc.Method()), ArrivalNs: s.sinceBase(arrival), Status: fasthttp.StatusNotFound,
		Size: len(body), BodyHash: xxhash.Sum64(body), Flags: trace.FlagNoEndpoint,
	}
	if s.opts.KeepBodies {
		a.Body = body
	}
	a.HandleNs = int64(time.Since(t0))
	s.recordOther(&a, rc.ConnID())
}

func (s *Server) recordOther(a *trace.Attempt, shard uint64) {
	s.unknown.record(a, shard, false)
	if s.trace != nil {
		if err := s.trace.WriteAttempt(a); err != nil {
			s.traceErr(err)
		}
	}
}

// handleError answers requests fasthttp could not read. A body over the
// largest endpoint limit is recorded as an Attempt (413, FlagTooLarge,
// Size = the announced length); other errors are counted by reason.
func (s *Server) handleError(rc *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	var head chunkedHead
	if s.chunked.n.Load() > 0 {
		head = s.chunked.take(&rc.Request.Header)
	}
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.badReqs[badBodyTooLarge].Inc()
		arrival := time.Now()
		if s.opts.Now != nil {
			arrival = s.now()
		}
		path, method, size := b2s(rc.Path()), b2s(rc.Method()), max(rc.Request.Header.ContentLength(), 0)
		if head.path != "" {
			// fasthttp reset the request when the chunks went over the
			// limit: the request line comes from headerReceived, and
			// the body was longer than the limit.
			path, method, size = head.path, head.method, s.maxBody+1
		}
		rc.Error("Request Entity Too Large", fasthttp.StatusRequestEntityTooLarge)
		a := trace.Attempt{
			Endpoint: path, Method: method, ArrivalNs: s.sinceBase(arrival), Status: fasthttp.StatusRequestEntityTooLarge,
			Size: size, Flags: trace.FlagTooLarge, Behavior: "max-body",
		}
		if ep := s.endpoints[path]; ep != nil {
			ep.m.record(&a, rc.ConnID(), false)
			if s.trace != nil {
				if err := s.trace.WriteAttempt(&a); err != nil {
					s.traceErr(err)
				}
			}
			return
		}
		a.Flags |= trace.FlagNoEndpoint
		s.recordOther(&a, rc.ConnID())
	case errors.As(err, &small):
		s.badReqs[badHeaderTooLarge].Inc()
		rc.Error("Request Header Fields Too Large", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.As(err, &ne) && ne.Timeout():
		s.badReqs[badTimeout].Inc()
		rc.Error("Request Timeout", fasthttp.StatusRequestTimeout)
	default:
		s.badReqs[badMalformed].Inc()
		rc.Error("Bad Request", fasthttp.StatusBadRequest)
	}
}

// headerReceived runs after fasthttp has read a request header, before the
// body. For a chunked body it keeps the request line: if the chunks go over
// the limit, fasthttp resets the request before handleError sees it.
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if h.ContentLength() == -1 {
		s.chunked.put(h, chunkedHead{method: string(h.Method()), path: string(h.RequestURI())})
	}
	return fasthttp.RequestConfig{}
}

// maxChunkedHeads bounds chunkedHeads: more chunked requests than that
// read at once is past any cap of connections.
const maxChunkedHeads = 1 << 16

// chunkedHead is the request line of a chunked request being read.
type chunkedHead struct{ method, path string }

// chunkedHeads holds the request lines of chunked requests whose body is
// being read, by header (a connection's RequestCtx, reused for each of its
// requests): the handler or the error handler takes them out.
type chunkedHeads struct {
	n  atomic.Int64 // len(m), read without the lock on the hot path
	mu sync.Mutex   // guards m
	m  map[*fasthttp.RequestHeader]chunkedHead
}

func (c *chunkedHeads) put(h *fasthttp.RequestHeader, head chunkedHead) {
	if i := strings.IndexByte(head.path, '?'); i >= 0 {
		head.path = head.path[:i]
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[*fasthttp.RequestHeader]chunkedHead{}
	}
	if len(c.m) >= maxChunkedHeads {
		// Connections that died mid-body left their entries; drop them
		// rather than grow (their next request would have replaced them).
		clear(c.m)
	}
	c.m[h] = head
	c.n.Store(int64(len(c.m)))
	c.mu.Unlock()
}

func (c *chunkedHeads) take(h *fasthttp.RequestHeader) chunkedHead {
	c.mu.Lock()
	head, ok := c.m[h]
	if ok {
		delete(c.m, h)
		c.n.Store(int64(len(c.m)))
	}
	c.mu.Unlock()
	return head
}

// serveInternal serves GET /_hookbench/stats and GET /metrics.
func (s *Server) serveInternal(rc *fasthttp.RequestCtx) {
	p := string(rc.Path())
	switch {
	case p == statsPath && (rc.IsGet() || rc.IsHead()):
		rc.SetContentType("application/json")
		enc := json.NewEncoder(rc)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s.Stats())
	case p == MetricsPath && (rc.IsGet() || rc.IsHead()):
		rc.SetContentType("text/plain; version=0.0.4")
		s.set.WritePrometheus(rc)
	case p == statsPath || p == MetricsPath:
		rc.Error("Method Not Allowed", fasthttp.StatusMethodNotAllowed)
	default:
		rc.Error("Not Found", fasthttp.StatusNotFound)
	}
}

// hijackTrickle writes the response slowly after fasthttp hands over the
// connection, then records the attempt and releases the Call.
func (c *Call) hijackTrickle(conn net.Conn) {
	s := c.s
	defer func() {
		shard := c.rc.ConnID()
		s.finish(c)
		s.releaseCall(c)
		s.inflight.add(shard, -1)
	}()
	resp := &c.rc.Response
	resp.Header.SetConnectionClose()
	resp.Header.SetContentLength(len(resp.Body()))
	out := resp.Header.AppendBytes(nil)
	out = append(out, resp.Body()...)
	const tick = 100 * time.Millisecond
	chunk := max(1, c.trickle/10)
	for off := 0; off < len(out); off += chunk {
		end := min(off+chunk, len(out))
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(out[off:end]); err != nil {
			c.a.Flags |= trace.FlagAborted | trace.FlagProviderGaveUp
			return
		}
		if end == len(out) {
			return
		}
		c.timer.Reset(tick)
		select {
		case <-c.timer.C:
		case <-s.stop:
			c.timer.Stop()
			c.a.Flags |= trace.FlagAborted
			return
		}
		if s.down.Load() {
			c.a.Flags |= trace.FlagAborted
			return
		}
		if closeDetection && connClosedByPeer(conn) {
			c.a.Flags |= trace.FlagAborted | trace.FlagProviderGaveUp
			return
		}
	}
}
