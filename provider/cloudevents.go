package provider

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/internal/netx"
	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// CloudEvents attributes of the reference provider's events.
const (
	// CESource is the source attribute of every event.
	CESource = "/hookbench/reference"
	// CEDefaultType is the type attribute of an event triggered without one.
	CEDefaultType = "hookbench.event"
	// Origin is what the provider names itself in WebHook-Request-Origin.
	Origin = "hookbench-reference.invalid"
)

// Webhook validation handshake headers.
const (
	headerRequestOrigin = "WebHook-Request-Origin"
	headerAllowedOrigin = "WebHook-Allowed-Origin"
)

// validated reports whether ep granted delivery, asking it first (once at a
// time per endpoint) when it has not yet. A grant is the WebHook-Allowed-Origin
// header naming this origin or "*"; the status code says nothing, as a
// target that does not take part may still answer OPTIONS with 200.
func (p *Provider) validated(ep *endpoint) (bool, int, trace.ErrKind) {
	if p.faults.has(fSkipAbuseHandshake) || ep.validated.Load() {
		return true, 0, 0
	}
	ep.hsMu.Lock()
	defer ep.hsMu.Unlock()
	if ep.validated.Load() {
		return true, 0, 0
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(ep.url)
	req.Header.SetMethod(fasthttp.MethodOptions)
	req.Header.SetUserAgent(p.opts.UserAgent)
	req.Header.Set(headerRequestOrigin, Origin)
	err := p.client.DoTimeout(req, resp, p.policy.Timeout)
	if err != nil {
		return false, 0, netx.Classify(err)
	}
	allowed := resp.Header.Peek(headerAllowedOrigin)
	ok := string(allowed) == Origin || string(allowed) == "*"
	if p.faults.has(fDeliverDespiteRefusal) && resp.StatusCode() >= 200 && resp.StatusCode() < 300 {
		ok = true
	}
	if ok {
		ep.validated.Store(true)
		return true, resp.StatusCode(), 0
	}
	return false, resp.StatusCode(), trace.ErrOther
}

// notValidated ends attempt n of d without delivering: the endpoint did
// not grant the handshake. It counts as a failed attempt, retried on the
// policy's schedule with a new handshake.
func (p *Provider) notValidated(d *delivery, n int, now time.Time, status int, ek trace.ErrKind) {
	rec := attemptLog{At: now.UnixNano(), Dur: int64(p.clock.Now().Sub(now)), Status: int32(status), N: uint16(min(n, 65535)), Err: ek}
	state := dPending
	var next time.Time
	if delay, ok := retryDelay(&p.policy, n, p.faults, p.uniform()); ok && !pastWindow(&p.policy, p.faults, d.firstAt(now), p.clock.Now().Add(delay)) {
		next = p.clock.Now().Add(delay)
		rec.Out, rec.Next = lRetry, next.UnixNano()
	} else {
		rec.Out, state = lExhausted, dFailed
	}
	p.settle(d, n, rec, state, next)
}

// cloudEvent turns a delivery request into a CloudEvent in the policy's
// content mode and returns the bytes to send and to sign (body and signed
// wrapped alike in structured mode).
func (p *Provider) cloudEvent(req *fasthttp.Request, ev *event, msgID string, body, signed []byte, sc *laneScratch) ([]byte, []byte) {
	typ := ev.typ
	if typ == "" {
		typ = CEDefaultType
	}
	source := CESource
	if p.faults.has(fCEMissingAttributes) {
		source = ""
	}
	ts := ev.created.UTC().Format(time.RFC3339Nano)
	req.Header.Set(headerRequestOrigin, Origin)
	if p.policy.Format != policy.FormatCEStructured {
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", msgID)
		if source != "" {
			req.Header.Set("ce-source", source)
		}
		req.Header.Set("ce-type", typ)
		req.Header.Set("ce-time", ts)
		return body, signed
	}
	req.Header.SetContentType("application/cloudevents+json")
	sc.ce = structuredEvent(sc.ce[:0], msgID, source, typ, ts, body)
	out := sc.ce
	if string(signed) == string(body) {
		return out, out
	}
	sc.ceSigned = structuredEvent(sc.ceSigned[:0], msgID, source, typ, ts, signed)
	return out, sc.ceSigned
}

// structuredEvent appends the JSON of a structured CloudEvent: data holds
// the payload's bytes unchanged when they are JSON, else data_base64 does.
func structuredEvent(b []byte, id, source, typ, ts string, data []byte) []byte {
	b = append(b, `{"specversion":"1.0","id":`...)
	b = appendJSONString(b, id)
	if source != "" {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, source)
	}
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"time":`...)
	b = appendJSONString(b, ts)
	if json.Valid(data) {
		b = append(b, `,"datacontenttype":"application/json","data":`...)
		b = append(b, data...)
	} else {
		b = append(b, `,"data_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, data)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Ids and types are ASCII in
// practice; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	return strconv.AppendQuote(b, s)
}
