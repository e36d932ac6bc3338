package provider

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/internal/netx"
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

// attempt makes one delivery attempt and decides what follows. The correct
// path reads as prepare → send → judge; every fault is a visible deviation
// in one of those three steps.
func (p *Provider) attempt(d *delivery, sc *laneScratch) {
	ep := d.ep
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
	a := p.prepare(d, now, sc)
	if p.policy.CloudEvents() {
		if ok, st, ek := p.validated(ep); !ok {
			p.notValidated(d, a.n, now, st, ek)
			return
		}
	}
	r := p.send(d, &a, sc)
	if p.closing.Load() {
		return // abandoned: stays pending in the store, redone after a restart
	}
	rec, state, next := p.judge(d, &a, &r, now)
	if a.n == 1 {
		d.ev.mu.Lock()
		d.firstTS = a.ts
		d.ev.mu.Unlock()
	}
	p.settle(d, a.n, rec, state, next)
}

// prepared is what one attempt sends: its number, start, signing timestamp, message
// id, the body on the wire and the bytes the signature covers.
type prepared struct {
	n            int
	at, ts       time.Time // when the attempt starts; the timestamp it signs
	msgID        string
	body, signed []byte
}

// prepare decides what attempt d.attempts+1 sends. Correct: the event's
// bytes, signed over exactly those bytes, at now, with the delivery's
// stable message id.
func (p *Provider) prepare(d *delivery, now time.Time, sc *laneScratch) prepared {
	ev := d.ev
	a := prepared{n: d.attempts + 1, at: now, ts: now, msgID: d.msgID, body: ev.body}
	tol := p.policy.Tolerance
	switch {
	case p.faults.has(fStaleTimestamp):
		a.ts = now.Add(-2 * tol)
	case p.faults.has(fFutureTimestamp):
		a.ts = now.Add(2 * tol)
	case p.faults.has(fReuseTimestamp) && a.n > 1 && !d.firstTS.IsZero():
		a.ts = d.firstTS
	}
	if p.faults.has(fNewIDPerAttempt) && a.n > 1 {
		a.msgID = p.newID("msg_")
	}
	a.signed = a.body
	switch {
	case p.faults.has(fLossyPayload):
		_, a.body = ev.variants()
		a.signed = a.body
	case p.faults.has(fMutateBodyOnRetry) && a.n > 1:
		a.body, _ = ev.variants()
		a.signed = a.body
	case p.faults.has(fSignReserialised):
		_, a.signed = ev.variants()
	case p.faults.has(fBadSignature):
		sc.bad = append(append(sc.bad[:0], a.body...), ' ')
		a.signed = sc.bad
	}
	return a
}

// response is what one attempt got back: status (0 on a transport error),
// the error's kind, how long it took, when it ended, and the Retry-After and
// Location the response carried.
type response struct {
	status     int
	err        error
	dur        time.Duration
	after      time.Time
	ra         time.Duration
	hasRA      bool
	noLocation bool
}

// send POSTs a to d's endpoint within the policy's timeout. Correct: one
// POST, redirects not followed unless the policy says "follow".
func (p *Provider) send(d *delivery, a *prepared, sc *laneScratch) response {
	ev, ep := d.ev, d.ep
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(ep.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	if p.faults.has(fWrongContentType) {
		req.Header.SetContentType("text/plain; charset=utf-8")
	} else {
		req.Header.SetContentType("application/json")
	}
	req.Header.SetUserAgent(p.opts.UserAgent)
	body, signed := a.body, a.signed
	if p.policy.CloudEvents() {
		body, signed = p.cloudEvent(req, ev, a.msgID, body, signed, sc)
	}
	if !p.faults.has(fDropEventTypeHeader) {
		req.Header.Set(EventTypeHeader, ev.typ)
	}
	sc.num = strconv.AppendInt(sc.num[:0], int64(a.n), 10)
	req.Header.SetBytesV(AttemptHeader, sc.num)
	req.SetBodyRaw(body)
	if !p.faults.has(fUnsigned) {
		sg := p.signingAt(ep, a.at)
		s := sg.s
		if p.faults.has(fWrongSecret) {
			s = sg.wrong
		}
		s.Sign(&req.Header, a.msgID, a.ts, signed)
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
		err = p.follow(req, resp, deadline)
	}
	r := response{err: err, dur: time.Since(start), after: p.clock.Now()}
	if err == nil {
		r.status = resp.StatusCode()
	}
	r.ra, r.hasRA = ParseRetryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), r.after)
	r.noLocation = len(resp.Header.Peek(fasthttp.HeaderLocation)) == 0
	return r
}

// follow chases resp's redirects, at most maxRedirects hops, until the
// deadline: with fFollow302AsGet as most HTTP clients do, otherwise keeping
// the method and body.
func (p *Provider) follow(req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time) error {
	var err error
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
	return err
}

// judge turns attempt a's response into its log record and what follows:
// delivered, failed, gone, or a retry at next. Correct: 2xx delivers, the
// policy's final statuses end, anything else retries on the policy's
// backoff, no sooner than Retry-After asks, within the retry window.
func (p *Provider) judge(d *delivery, a *prepared, r *response, now time.Time) (attemptLog, dState, time.Time) {
	n := a.n
	ek := netx.Classify(r.err)
	out := classify(&p.policy, r.status, ek, p.faults)
	if out == oRetry && p.faults.has(fRedirectNoLocationSuccess) && r.status >= 300 && r.status < 400 && r.noLocation {
		out = oDelivered
	}
	rec := attemptLog{At: now.UnixNano(), Dur: int64(r.dur), Status: int32(r.status), N: uint16(min(n, 65535)), Err: ek}
	if r.hasRA {
		rec.RetryAfter = max(int64(r.ra), 1)
	}
	if a.msgID != d.msgID {
		rec.MsgID = a.msgID
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
		p.disable(d.ep, "410 Gone at attempt "+strconv.Itoa(n)+" of "+d.ev.id)
	case oRetry:
		delay, ok := retryDelay(&p.policy, n, p.faults, p.uniform())
		if !ok {
			rec.Out, state = lExhausted, dFailed
			break
		}
		delay = honorRetryAfter(&p.policy, r.status, r.ra, r.hasRA, delay, p.faults)
		next = r.after.Add(delay)
		if pastWindow(&p.policy, p.faults, d.firstAt(now), next) {
			rec.Out, state, next = lExhausted, dFailed, time.Time{}
			break
		}
		rec.Out, rec.Next = lRetry, next.UnixNano()
	}
	return rec, state, next
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
	if int(rec.Out) < len(p.counters.attempts) {
		p.counters.attempts[rec.Out].Add(1)
	}

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
