package sink

import (
	"bytes"
	"time"

	"github.com/hookbench/hookbench/trace"
	"github.com/valyala/fasthttp"
)

// Webhook validation handshake headers (CloudEvents "HTTP 1.1 Web Hooks for
// Event Delivery", abuse protection).
const (
	HeaderRequestOrigin = "WebHook-Request-Origin"
	HeaderAllowedOrigin = "WebHook-Allowed-Origin"
	HeaderAllowedRate   = "WebHook-Allowed-Rate"
)

// structuredType is the media type of a CloudEvent in structured mode.
var structuredType = []byte("application/cloudevents+json")

// inspectCloudEvent records how the request carried a CloudEvent: the
// structured JSON when the Content-Type says so, else the ce- headers of
// binary mode. The ids it records point into the request, like the
// Attempt's other strings. Header values stay percent-encoded: retries of
// one event carry the same bytes either way.
func inspectCloudEvent(a *trace.Attempt, h *fasthttp.RequestHeader, body []byte) {
	a.CE = trace.CEChecked
	if isStructured(h.ContentType()) {
		attrs, id, typ := scanCloudEvent(body)
		a.CE |= trace.CEStructured | attrs
		a.CEID, a.CEType = b2s(id), b2s(typ)
	} else {
		if v := h.Peek("ce-specversion"); len(v) > 0 {
			a.CE |= trace.CEBinary
			if string(v) == "1.0" {
				a.CE |= trace.CEHasSpecVersion
			}
		}
		if v := h.Peek("ce-id"); len(v) > 0 {
			a.CE |= trace.CEHasID
			a.CEID = b2s(v)
		}
		if v := h.Peek("ce-source"); len(v) > 0 {
			a.CE |= trace.CEHasSource
		}
		if v := h.Peek("ce-type"); len(v) > 0 {
			a.CE |= trace.CEHasType
			a.CEType = b2s(v)
		}
	}
	if a.EventType == "" {
		a.EventType = a.CEType
	}
}

// isStructured reports whether a Content-Type is application/cloudevents+json
// (any case, parameters allowed).
func isStructured(ct []byte) bool {
	if len(ct) < len(structuredType) || !bytes.EqualFold(ct[:len(structuredType)], structuredType) {
		return false
	}
	rest := ct[len(structuredType):]
	return len(rest) == 0 || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// ceKey identifies the top-level members scanCloudEvent looks for.
type ceKey uint8

const (
	ceOther ceKey = iota
	ceSpecVersion
	ceID
	ceSource
	ceType
	ceData
)

var ceKeys = [...]struct {
	name string
	key  ceKey
}{{"specversion", ceSpecVersion}, {"id", ceID}, {"source", ceSource}, {"type", ceType}, {"data", ceData}, {"data_base64", ceData}}

// noPath matches no key, so the scanner only skips values.
var noPath = jsonPath{}

// scanCloudEvent reads the top-level members of a structured CloudEvent:
// which required attributes are non-empty strings (specversion "1.0"), and
// the raw text of id and type (escapes left in). It stops at the first
// syntax error, keeping what it found before. It does not allocate.
func scanCloudEvent(body []byte) (attrs trace.CEAttrs, id, typ []byte) {
	s := jscan{b: body, p: &noPath}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return 0, nil, nil
	}
	s.i++
	for {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			return attrs, id, typ
		}
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return attrs, id, typ
		}
		raw, esc, ok := s.str()
		if !ok {
			return attrs, id, typ
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return attrs, id, typ
		}
		s.i++
		s.ws()
		k := memberKey(raw, esc)
		var val []byte
		isStr := false
		if k != ceOther && k != ceData && s.i < len(s.b) && s.b[s.i] == '"' {
			if val, _, ok = s.str(); !ok {
				return attrs, id, typ
			}
			isStr = true
		} else if !s.value(1, -1) {
			return attrs, id, typ
		}
		switch {
		case k == ceData:
			attrs |= trace.CEHasData
		case !isStr || len(val) == 0:
		case k == ceSpecVersion:
			if string(val) == "1.0" {
				attrs |= trace.CEHasSpecVersion
			}
		case k == ceID:
			attrs |= trace.CEHasID
			id = val
		case k == ceSource:
			attrs |= trace.CEHasSource
		case k == ceType:
			attrs |= trace.CEHasType
			typ = val
		}
		s.ws()
		if s.i >= len(s.b) {
			return attrs, id, typ
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			return attrs, id, typ
		default:
			return attrs, id, typ
		}
	}
}

func memberKey(raw []byte, esc bool) ceKey {
	if esc {
		if len(raw) > maxKeyLen {
			return ceOther
		}
		var kb [maxKeyLen]byte
		k, ok := unescapeJSON(kb[:0], raw)
		if !ok {
			return ceOther
		}
		raw = k
	}
	for _, c := range ceKeys {
		if string(raw) == c.name {
			return c.key
		}
	}
	return ceOther
}

// handshake answers a webhook validation request (OPTIONS with
// WebHook-Request-Origin): it grants the origin unless a refuse-handshake
// rule matches, and records the exchange as a handshake mark. A refusal
// leaves out WebHook-Allowed-Origin but still answers 200 (or the rule's
// status): consent is the header, never the status code.
func (s *Server) handshake(rc *fasthttp.RequestCtx, ep *endpoint, origin []byte) {
	c := s.acquireCall(rc, ep)
	c.a.Endpoint = ep.path
	c.pcg.Seed(s.seed, uint64(c.arrival.UnixNano()))
	r := &rc.Response
	r.Header.Set("Allow", "POST, OPTIONS")
	refused := s.handshakeRule(c)
	detail := "allowed origin="
	if refused != nil {
		detail = "refused origin="
		r.SetStatusCode(refused.status())
		if refused.Body != "" {
			r.SetBodyString(refused.Body)
		}
	} else {
		r.SetStatusCode(fasthttp.StatusOK)
		r.Header.SetBytesV(HeaderAllowedOrigin, origin)
		r.Header.Set(HeaderAllowedRate, "*")
	}
	if s.trace != nil {
		m := trace.Mark{AtNs: s.sinceBase(c.arrival), Type: trace.HandshakeMark, Name: ep.path, Detail: detail + string(origin)}
		if err := s.trace.WriteMark(&m); err != nil {
			s.traceErr(err)
		}
	}
	c.a.HandleNs = int64(time.Since(c.t0))
	s.releaseCall(c)
}

// handshakeRule returns the action of the first refuse-handshake rule
// matching c, nil when the handshake is granted.
func (s *Server) handshakeRule(c *Call) *Action {
	for _, rs := range [2]*ruleSet{c.ep.rules.Load(), s.global.Load()} {
		if rs == nil {
			continue
		}
		for _, r := range rs.rules {
			if r.handshake && r.match(c) {
				return r.Behavior.(*Action)
			}
		}
	}
	return nil
}
