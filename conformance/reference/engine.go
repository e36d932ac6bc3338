package reference

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/trace"
)

// noTimeoutLimit is how long the no-timeout fault waits for an answer.
const noTimeoutLimit = time.Hour

// maxRedirects bounds the follow-redirects fault.
const maxRedirects = 5

// dispatch hands d to its endpoint: a new lane when fewer than
// Concurrency attempts are in flight there, else the endpoint's queue.
func (p *Provider) dispatch(d *delivery) {
	ep := d.ep
	ep.lmu.Lock()
	if p.closing.Load() {
		ep.lmu.Unlock()
		return
	}
	if ep.inflight < p.opts.Concurrency {
		ep.inflight++
		p.lanes.Add(1)
		ep.lmu.Unlock()
		go p.lane(ep, d)
		return
	}
	ep.ready = append(ep.ready, d)
	ep.lmu.Unlock()
}

// next takes the endpoint's next queued delivery, or ends the lane.
func (p *Provider) next(ep *endpoint) *delivery {
	ep.lmu.Lock()
	defer ep.lmu.Unlock()
	if p.closing.Load() || ep.head == len(ep.ready) {
		ep.inflight--
		return nil
	}
	d := ep.ready[ep.head]
	ep.ready[ep.head] = nil
	ep.head++
	switch {
	case ep.head == len(ep.ready):
		ep.ready, ep.head = ep.ready[:0], 0
	case ep.head >= 1024 && ep.head*2 >= len(ep.ready):
		n := copy(ep.ready, ep.ready[ep.head:])
		clear(ep.ready[n:])
		ep.ready, ep.head = ep.ready[:n], 0
	}
	return d
}

// laneScratch is per-lane scratch, pooled.
type laneScratch struct {
	num      []byte
	bad      []byte
	ce       []byte // structured CloudEvent
	ceSigned []byte // structured CloudEvent around the signed variant
}

// lane makes attempts for one endpoint until its queue is empty.
func (p *Provider) lane(ep *endpoint, d *delivery) {
	defer p.lanes.Done()
	sc := p.scratch.Get().(*laneScratch)
	for d != nil {
		p.attempt(d, sc)
		d = p.next(ep)
	}
	p.scratch.Put(sc)
}

// attempt makes one delivery attempt and decides what follows.
func (p *Provider) attempt(d *delivery, sc *laneScratch) {
	ev, ep := d.ev, d.ep
	now := p.clock.Now()
	switch ep.state.Load() {
	case epDisabled:
		p.finish(d, dCancelled, nil)
		return
	case epDeleted:
		if !p.faults.has(fDeliverToDeleted) {
			p.finish(d, dCancelled, nil)
			return
		}
	}
	n := d.attempts + 1
	tol := p.policy.Tolerance
	ts := now
	switch {
	case p.faults.has(fStaleTimestamp):
		ts = now.Add(-2 * tol)
	case p.faults.has(fFutureTimestamp):
		ts = now.Add(2 * tol)
	case p.faults.has(fReuseTimestamp) && n > 1 && !d.firstTS.IsZero():
		ts = d.firstTS
	}
	msgID := d.msgID
	if p.faults.has(fNewIDPerAttempt) && n > 1 {
		msgID = p.newID("msg_")
	}
	body := ev.body
	signed := body
	switch {
	case p.faults.has(fLossyPayload):
		_, body = ev.variants()
		signed = body
	case p.faults.has(fMutateBodyOnRetry) && n > 1:
		body, _ = ev.variants()
		signed = body
	case p.faults.has(fSignReserialised):
		_, signed = ev.variants()
	case p.faults.has(fBadSignature):
		sc.bad = append(append(sc.bad[:0], body...), ' ')
		signed = sc.bad
	}

	if p.policy.CloudEvents() {
		if ok, st, ek := p.validated(ep); !ok {
			p.notValidated(d, n, now, st, ek)
			return
		}
	}

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	req.SetRequestURI(ep.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	if p.faults.has(fWrongContentType) {
		req.Header.SetContentType("text/plain; charset=utf-8")
	} else {
		req.Header.SetContentType("application/json")
	}
	req.Header.SetUserAgent(p.opts.UserAgent)
	if p.policy.CloudEvents() {
		body, signed = p.cloudEvent(req, ev, msgID, body, signed, sc)
	}
	if !p.faults.has(fDropEventTypeHeader) {
		req.Header.Set(EventTypeHeader, ev.typ)
	}
	sc.num = strconv.AppendInt(sc.num[:0], int64(n), 10)
	req.Header.SetBytesV(AttemptHeader, sc.num)
	req.SetBodyRaw(body)
	if !p.faults.has(fUnsigned) {
		sg := p.signingAt(ep, now)
		s := sg.s
		if p.faults.has(fWrongSecret) {
			s = sg.wrong
		}
		s.Sign(&req.Header, msgID, ts, signed)
	}
	timeout := p.policy.Timeout
	if p.faults.has(fNoTimeout) {
		timeout = noTimeoutLimit
	}
	if p.faults.has(fShortTimeout) {
		timeout /= 5
	}
	start := time.Now()
	deadline := start.Add(timeout)
	err := p.client.DoDeadline(req, resp, deadline)
	if err == nil && (p.faults.has(fFollowRedirects) || p.faults.has(fFollow302AsGet) || p.policy.Redirects == "follow") {
		for hop := 0; hop < maxRedirects && err == nil && fasthttp.StatusCodeIsRedirect(resp.StatusCode()); hop++ {
			loc := resp.Header.Peek(fasthttp.HeaderLocation)
			if len(loc) == 0 {
				break
			}
			if p.faults.has(fFollow302AsGet) && !p.faults.has(fFollowRedirects) && p.policy.Redirects != "follow" {
				// What browsers and most HTTP clients do: 301, 302 and 303
				// turn into a GET without the body; 307 and 308 would keep
				// the method and body, and are refused instead.
				if c := resp.StatusCode(); c == fasthttp.StatusTemporaryRedirect || c == fasthttp.StatusPermanentRedirect {
					break
				}
				req.Header.SetMethod(fasthttp.MethodGet)
				req.ResetBody()
				req.Header.SetContentLength(0)
				req.Header.Del(fasthttp.HeaderContentType)
			}
			req.URI().UpdateBytes(loc)
			err = p.client.DoDeadline(req, resp, deadline)
		}
	}
	dur := time.Since(start)
	status := 0
	if err == nil {
		status = resp.StatusCode()
	}
	after := p.clock.Now()
	ra, hasRA := ParseRetryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), after)
	noLocation := len(resp.Header.Peek(fasthttp.HeaderLocation)) == 0
	fasthttp.ReleaseRequest(req)
	fasthttp.ReleaseResponse(resp)
	if p.closing.Load() {
		return // abandoned: stays pending in the store, redone after a restart
	}

	ek := errKind(err)
	out := classify(&p.policy, status, ek, p.faults)
	if out == oRetry && p.faults.has(fRedirectNoLocationSuccess) && status >= 300 && status < 400 && noLocation {
		out = oDelivered
	}
	rec := attemptLog{At: now.UnixNano(), Dur: int64(dur), Status: int32(status), N: uint16(min(n, 65535)), Err: ek}
	if hasRA {
		rec.RetryAfter = max(int64(ra), 1)
	}
	if msgID != d.msgID {
		rec.MsgID = msgID
	}
	var next time.Time
	state := dPending
	switch out {
	case oDelivered:
		rec.Out, state = lDelivered, dDelivered
	case oFinal:
		rec.Out, state = lFailed, dFailed
	case oGone:
		rec.Out, state = lGone, dGone
		p.disable(ep, "410 Gone at attempt "+strconv.Itoa(n)+" of "+ev.id)
	case oRetry:
		delay, ok := retryDelay(&p.policy, n, p.faults, p.uniform())
		if !ok {
			rec.Out, state = lExhausted, dFailed
			break
		}
		delay = honorRetryAfter(&p.policy, status, ra, hasRA, delay, p.faults)
		next = after.Add(delay)
		if pastWindow(&p.policy, p.faults, d.firstAt(now), next) {
			rec.Out, state, next = lExhausted, dFailed, time.Time{}
			break
		}
		rec.Out, rec.Next = lRetry, next.UnixNano()
	}

	if n == 1 {
		ev.mu.Lock()
		d.firstTS = ts
		ev.mu.Unlock()
	}
	p.settle(d, n, rec, state, next)
}

// settle logs attempt n of d and moves the delivery on: finished in state,
// or scheduled again at next.
func (p *Provider) settle(d *delivery, n int, rec attemptLog, state dState, next time.Time) {
	ev := d.ev
	ev.mu.Lock()
	d.attempts = n
	if d.log == nil {
		d.log = d.logInline[:0]
	}
	d.log = append(d.log, rec)
	d.state = state
	d.due = next
	ev.mu.Unlock()

	if state != dPending {
		p.finish(d, state, &rec)
	} else {
		p.persistDelivery(d)
		p.schedule(d, next)
	}
	// After schedule: a test that advances a fake clock on this call finds
	// the retry's timer armed. (A zero-delay retry may log before this.)
	if p.attemptHook != nil {
		p.attemptHook(ev.id, d.ep.id, rec)
	}
}

// finish ends a delivery (rec is its last attempt, nil when none).
func (p *Provider) finish(d *delivery, state dState, rec *attemptLog) {
	if rec == nil {
		d.ev.mu.Lock()
		d.state = state
		d.due = time.Time{}
		d.ev.mu.Unlock()
	}
	p.persistDelivery(d)
	p.pending.Add(-1)
	if d.ev.open.Add(-1) == 0 {
		p.mu.Lock()
		p.doneQ = append(p.doneQ, d.ev.id)
		p.evictLocked()
		p.mu.Unlock()
	}
}

// persistDelivery queues d's record (not waited for: losing it in a crash
// repeats an attempt, which at-least-once allows).
func (p *Provider) persistDelivery(d *delivery) {
	if !p.st.persistent() || p.faults.has(fLoseOnRestart) {
		return
	}
	d.ev.mu.Lock()
	r := deliveryRecord{Event: d.ev.id, Endpoint: d.ep.id, MsgID: d.msgID, Dup: d.dup, State: d.state.String(),
		Attempts: d.attempts, Log: slices.Clone(d.log)}
	if !d.due.IsZero() {
		r.Due = d.due.UnixNano()
	}
	if !d.firstTS.IsZero() {
		r.FirstTS = d.firstTS.UnixNano()
	}
	d.ev.mu.Unlock()
	b, err := json.Marshal(&r)
	if err != nil {
		p.log("reference: encode delivery %s: %v", d.key(), err)
		return
	}
	if err := p.st.write([]kv{{bDeliveries, d.key(), b}}, false); err != nil && !errors.Is(err, ErrClosed) {
		p.log("reference: persist delivery %s: %v", d.key(), err)
	}
}

// evictLocked forgets the oldest finished events beyond KeepEvents.
func (p *Provider) evictLocked() {
	var kvs []kv
	for len(p.doneQ)-p.doneHead > p.opts.KeepEvents {
		id := p.doneQ[p.doneHead]
		p.doneQ[p.doneHead] = ""
		p.doneHead++
		ev := p.events[id]
		if ev == nil {
			continue
		}
		delete(p.events, id)
		if p.st.persistent() {
			kvs = append(kvs, kv{bEvents, id, nil})
			ev.mu.Lock()
			for _, d := range ev.deliveries {
				kvs = append(kvs, kv{bDeliveries, d.key(), nil})
			}
			ev.mu.Unlock()
		}
	}
	if p.doneHead >= 1024 && p.doneHead*2 >= len(p.doneQ) {
		n := copy(p.doneQ, p.doneQ[p.doneHead:])
		clear(p.doneQ[n:])
		p.doneQ, p.doneHead = p.doneQ[:n], 0
	}
	if len(kvs) > 0 {
		if err := p.st.write(kvs, false); err != nil && !errors.Is(err, ErrClosed) {
			p.log("reference: evict events: %v", err)
		}
	}
}

// errKind sorts a transport error for the log and the retry decision.
func errKind(err error) trace.ErrKind {
	if err == nil {
		return trace.ErrNone
	}
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		errors.Is(err, os.ErrDeadlineExceeded) {
		return trace.ErrTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return trace.ErrTimeout
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, fasthttp.ErrConnectionClosed) ||
		errors.Is(err, net.ErrClosed) {
		return trace.ErrConnection
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return trace.ErrConnection
	}
	return trace.ErrOther
}

// connTracker dials delivery connections and can close them all, which
// cuts off attempts in flight when the provider closes.
type connTracker struct {
	mu     sync.Mutex // guards conns and closed
	conns  map[*trackedConn]struct{}
	closed bool
}

type trackedConn struct {
	net.Conn
	t    *connTracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

func (t *connTracker) dialer(timeout time.Duration) fasthttp.DialFunc {
	return func(addr string) (net.Conn, error) {
		c, err := fasthttp.DialTimeout(addr, timeout)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, t: t}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			c.Close()
			return nil, net.ErrClosed
		}
		if t.conns == nil {
			t.conns = map[*trackedConn]struct{}{}
		}
		t.conns[tc] = struct{}{}
		t.mu.Unlock()
		return tc, nil
	}
}

func (t *connTracker) closeAll() {
	t.mu.Lock()
	t.closed = true
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Conn.Close()
	}
}

func sortIdem(es []idemEntry) {
	slices.SortFunc(es, func(a, b idemEntry) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
}
