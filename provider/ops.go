package provider

import (
	cryptorand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/signature"
)

// Limits of API input.
const (
	maxURLLen     = 2048
	maxTypeLen    = 256
	maxIdemKeyLen = 255
	maxSecrets    = 8
	maxEventTypes = 256
)

// seedEventType and seedPayload are what the minimal server's POST /trigger sends.
const (
	seedEventType = "new_order"
	seedPayload   = `{"type":"new_order","data":{"orderID":123}}`
)

// CheckEndpointURL reports why u cannot be an endpoint's URL (the check
// CreateEndpoint makes), so that a command line can refuse it at once.
func CheckEndpointURL(u string) error { return validateURL("url", u) }

func validateURL(field, s string) error {
	if s == "" {
		return badInput(field, "required")
	}
	if len(s) > maxURLLen {
		return badInput(field, fmt.Sprintf("longer than %d bytes", maxURLLen))
	}
	u, err := url.Parse(s)
	if err != nil {
		return badInput(field, "not a URL: "+err.Error())
	}
	if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" {
		return badInput(field, fmt.Sprintf("want an http or https URL, got scheme %q", u.Scheme))
	}
	if u.Host == "" {
		return badInput(field, "no host")
	}
	return nil
}

// validateToken checks an event type or similar header-safe name.
func validateToken(field, s string) error {
	if s == "" {
		return badInput(field, "required")
	}
	if len(s) > maxTypeLen {
		return badInput(field, fmt.Sprintf("longer than %d bytes", maxTypeLen))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return badInput(field, fmt.Sprintf("byte %d is not printable ASCII", i))
		}
	}
	return nil
}

// CreateEndpoint validates req and creates an endpoint. The answer carries
// the secret (generated when none was given).
func (p *Provider) CreateEndpoint(req EndpointRequest) (Endpoint, error) {
	if err := validateURL("url", req.URL); err != nil {
		return Endpoint{}, err
	}
	if err := p.checkTarget("url", req.URL); err != nil {
		return Endpoint{}, err
	}
	scheme := req.Scheme
	if scheme == "" {
		scheme = p.policy.Scheme
	}
	if err := checkScheme(scheme, len(p.policy.SchemeOptions) > 0); err != nil {
		return Endpoint{}, badInput("scheme", err.Error())
	}
	if len(req.EventTypes) > maxEventTypes {
		return Endpoint{}, badInput("event_types", fmt.Sprintf("more than %d", maxEventTypes))
	}
	for i, t := range req.EventTypes {
		if err := validateToken(indexField("event_types", i), t); err != nil {
			return Endpoint{}, err
		}
	}
	secrets := req.Secrets
	switch {
	case req.Secret != "" && len(req.Secrets) > 0:
		return Endpoint{}, badInput("secrets", "give secret or secrets, not both")
	case req.Secret != "":
		secrets = []string{req.Secret}
	case len(secrets) == 0 && scheme != schemeNone:
		if len(p.opts.Policy.Secrets) > 0 {
			secrets = slices.Clone(p.opts.Policy.Secrets)
		} else {
			s, err := generateSecret(scheme, cryptorand.Reader)
			if err != nil {
				return Endpoint{}, err
			}
			secrets = []string{s}
		}
	}
	if len(secrets) > maxSecrets {
		return Endpoint{}, badInput("secrets", fmt.Sprintf("more than %d", maxSecrets))
	}
	ep := &endpoint{
		url: req.URL, scheme: scheme, eventTypes: slices.Clone(req.EventTypes),
		created: p.clock.Now().UTC().Truncate(time.Microsecond), secrets: slices.Clone(secrets),
	}
	if err := p.buildSigning(ep); err != nil {
		field := "secret"
		if len(req.Secrets) > 0 {
			field = "secrets"
		}
		return Endpoint{}, badInput(field, err.Error())
	}
	ep.id = p.newID("ep_")
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return Endpoint{}, ErrClosed
	}
	p.endpoints[ep.id] = ep
	p.epOrder = append(p.epOrder, ep)
	rec := p.endpointRecordLocked(ep)
	p.mu.Unlock()
	if err := p.persistEndpoint(rec, true); err != nil {
		p.mu.Lock()
		delete(p.endpoints, ep.id)
		p.epOrder = slices.DeleteFunc(p.epOrder, func(e *endpoint) bool { return e == ep })
		p.mu.Unlock()
		return Endpoint{}, err
	}
	v := ep.view("")
	if len(secrets) > 0 {
		v.Secret = secrets[0]
	}
	return v, nil
}

// buildSigning (re)creates ep's signers from its secrets. The caller holds
// p.mu or owns ep exclusively.
func (p *Provider) buildSigning(ep *endpoint) error {
	active := ep.secrets
	until := time.Time{}
	if len(active) > 1 && !ep.oldUntil.IsZero() {
		until = ep.oldUntil
	}
	s, err := newSigner(ep.scheme, active, p.policy.SchemeOptions)
	if err != nil {
		return err
	}
	var wrong signature.Signer = nopSigner{}
	if ep.scheme != schemeNone && ep.scheme != "" {
		ws, err := generateSecret(ep.scheme, cryptorand.Reader)
		if err != nil {
			return err
		}
		if wrong, err = newSigner(ep.scheme, []string{ws}, p.policy.SchemeOptions); err != nil {
			return fmt.Errorf("wrong-secret signer: %w", err)
		}
	}
	ep.sig.Store(&signing{s: s, wrong: wrong, until: until})
	return nil
}

// signingAt returns ep's signers, first dropping rotated-out secrets
// whose overlap has ended.
func (p *Provider) signingAt(ep *endpoint, now time.Time) *signing {
	sg := ep.sig.Load()
	if sg.until.IsZero() || now.Before(sg.until) {
		return sg
	}
	p.mu.Lock()
	if ep.sig.Load() == sg {
		ep.secrets = ep.secrets[:1]
		ep.oldUntil = time.Time{}
		if err := p.buildSigning(ep); err != nil {
			p.log("reference: endpoint %s: drop old secret: %v", ep.id, err)
		}
		rec := p.endpointRecordLocked(ep)
		p.mu.Unlock()
		p.persistEndpoint(rec, false)
	} else {
		p.mu.Unlock()
	}
	return ep.sig.Load()
}

func (p *Provider) endpointRecordLocked(ep *endpoint) endpointRecord {
	r := endpointRecord{ID: ep.id, URL: ep.url, Scheme: ep.scheme, EventTypes: ep.eventTypes,
		Secrets: slices.Clone(ep.secrets), State: ep.state.Load(), Reason: ep.reason, Created: ep.created}
	if !ep.oldUntil.IsZero() {
		r.OldUntil = ep.oldUntil.UnixNano()
	}
	return r
}

func (p *Provider) persistEndpoint(r endpointRecord, wait bool) error {
	if !p.st.persistent() {
		return nil
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return fmt.Errorf("encode endpoint %s: %w", r.ID, err)
	}
	if err := p.st.write([]kv{{bEndpoints, r.ID, b}}, wait); err != nil {
		if !wait {
			p.log("reference: persist endpoint %s: %v", r.ID, err)
		}
		return fmt.Errorf("persist endpoint %s: %w", r.ID, err)
	}
	return nil
}

// lookupLocked finds a visible (not deleted) endpoint.
func (p *Provider) lookupLocked(id string) (*endpoint, error) {
	ep := p.endpoints[id]
	if ep == nil || ep.state.Load() == epDeleted {
		return nil, fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	return ep, nil
}

// Endpoint returns one endpoint (without its secret).
func (p *Provider) Endpoint(id string) (Endpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ep, err := p.lookupLocked(id)
	if err != nil {
		return Endpoint{}, err
	}
	return ep.view(ep.reason), nil
}

// Endpoints lists the endpoints that are not deleted, oldest first.
func (p *Provider) Endpoints() []Endpoint {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []Endpoint{}
	for _, ep := range p.epOrder {
		if ep.state.Load() != epDeleted {
			out = append(out, ep.view(ep.reason))
		}
	}
	return out
}

// DeleteEndpoint deletes an endpoint: it gets no new events, and its
// pending deliveries are cancelled when they come due.
func (p *Provider) DeleteEndpoint(id string) error {
	p.mu.Lock()
	ep, err := p.lookupLocked(id)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	old := ep.state.Swap(epDeleted)
	rec := p.endpointRecordLocked(ep)
	p.mu.Unlock()
	if err := p.persistEndpoint(rec, true); err != nil {
		ep.state.Store(old)
		return err
	}
	return nil
}

// RotateSecret makes secret (generated when "") the endpoint's current
// secret. The previous one keeps signing alongside it for
// Options.RotationOverlap, so consumers can switch without a gap.
func (p *Provider) RotateSecret(id, secret string) (Endpoint, error) {
	p.mu.Lock()
	ep, err := p.lookupLocked(id)
	if err != nil {
		p.mu.Unlock()
		return Endpoint{}, err
	}
	if ep.scheme == schemeNone {
		p.mu.Unlock()
		return Endpoint{}, badInput("secret", "the endpoint is unsigned (scheme none)")
	}
	if secret == "" {
		if secret, err = generateSecret(ep.scheme, cryptorand.Reader); err != nil {
			p.mu.Unlock()
			return Endpoint{}, err
		}
	}
	oldSecrets, oldUntil := ep.secrets, ep.oldUntil
	ep.secrets = []string{secret}
	ep.oldUntil = time.Time{}
	if len(oldSecrets) > 0 && !p.faults.has(fDropOldSecret) && p.opts.RotationOverlap > 0 {
		ep.secrets = append(ep.secrets, oldSecrets[0])
		ep.oldUntil = p.clock.Now().Add(p.opts.RotationOverlap)
	}
	if err := p.buildSigning(ep); err != nil {
		ep.secrets, ep.oldUntil = oldSecrets, oldUntil
		p.buildSigning(ep)
		p.mu.Unlock()
		return Endpoint{}, badInput("secret", err.Error())
	}
	rec := p.endpointRecordLocked(ep)
	v := ep.view(ep.reason)
	p.mu.Unlock()
	if err := p.persistEndpoint(rec, true); err != nil {
		return Endpoint{}, err
	}
	v.Secret = secret
	return v, nil
}

// EnableEndpoint re-activates an endpoint disabled after a 410.
func (p *Provider) EnableEndpoint(id string) (Endpoint, error) {
	p.mu.Lock()
	ep, err := p.lookupLocked(id)
	if err != nil {
		p.mu.Unlock()
		return Endpoint{}, err
	}
	ep.state.Store(epActive)
	ep.reason = ""
	rec := p.endpointRecordLocked(ep)
	v := ep.view("")
	p.mu.Unlock()
	if err := p.persistEndpoint(rec, true); err != nil {
		return Endpoint{}, err
	}
	return v, nil
}

// disable marks ep disabled (after a 410).
func (p *Provider) disable(ep *endpoint, reason string) {
	p.mu.Lock()
	if !ep.state.CompareAndSwap(epActive, epDisabled) {
		p.mu.Unlock()
		return
	}
	ep.reason = reason
	rec := p.endpointRecordLocked(ep)
	p.mu.Unlock()
	p.log("reference: endpoint %s disabled: %s", ep.id, reason)
	p.persistEndpoint(rec, false)
}

// EnsureEndpoint returns the endpoint registered for req.URL (not
// deleted), with its current secret, or creates one from req when there is
// none; created tells which. An existing endpoint is returned as it is.
// Registering the same URL again at every start (hookbench provider
// --endpoint with --data) thus keeps one endpoint, and each event is
// delivered once.
func (p *Provider) EnsureEndpoint(req EndpointRequest) (ep Endpoint, created bool, err error) {
	if err := validateURL("url", req.URL); err != nil {
		return Endpoint{}, false, err
	}
	p.mu.Lock()
	for _, ep := range p.epOrder {
		if ep.url == req.URL && ep.state.Load() != epDeleted {
			v := ep.view(ep.reason)
			if len(ep.secrets) > 0 {
				v.Secret = ep.secrets[0]
			}
			p.mu.Unlock()
			return v, false, nil
		}
	}
	p.mu.Unlock()
	v, err := p.CreateEndpoint(req)
	return v, err == nil, err
}

// registerURL is the minimal server's POST /webhook: EnsureEndpoint under the
// field name that API uses.
func (p *Provider) registerURL(u string) (Endpoint, bool, error) {
	v, created, err := p.EnsureEndpoint(EndpointRequest{URL: u})
	var ie *InputError
	if errors.As(err, &ie) && ie.Field == "url" {
		ie.Field = "webhookUrl"
	}
	return v, created, err
}

// Publish accepts an event and fans it out to every active endpoint
// subscribed to its type (or to req.Endpoints). With a non-empty idemKey,
// a key seen in the last IdempotencyWindow returns the first event's id
// and creates nothing. With a DataDir it returns once the event is on
// disk. It fails with *InputError, ErrQueueFull or ErrClosed.
func (p *Provider) Publish(req EventRequest, idemKey string) (PublishResult, error) {
	if err := validateToken("type", req.Type); err != nil {
		return PublishResult{}, err
	}
	if len(req.Payload) == 0 || string(req.Payload) == "null" {
		return PublishResult{}, badInput("payload", "required")
	}
	if !json.Valid(req.Payload) {
		return PublishResult{}, badInput("payload", "not valid JSON")
	}
	if len(idemKey) > maxIdemKeyLen {
		return PublishResult{}, badInput(IdempotencyHeader, fmt.Sprintf("longer than %d bytes", maxIdemKeyLen))
	}
	useIdem := idemKey != "" && !p.faults.has(fIgnoreIdempotencyKey)
	now := p.clock.Now()

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return PublishResult{}, ErrClosed
	}
	if useIdem {
		if r, ok := p.idem[idemKey]; ok && now.UnixNano()-r.At < int64(p.opts.IdempotencyWindow) {
			p.mu.Unlock()
			return PublishResult{ID: r.ID, Replayed: true}, nil
		}
	}
	targets, err := p.targetsLocked(&req)
	if err != nil {
		p.mu.Unlock()
		return PublishResult{}, err
	}
	// drop-events and duplicate-deliveries count per endpoint, so that
	// each endpoint (one per conformance fragment) sees them the same way
	// whatever else runs on the provider.
	copies := make([]uint8, len(targets))
	n := 0
	for i, ep := range targets {
		seq := ep.faultSeq + 1
		switch {
		case p.faults.has(fDropEvents) && seq%5 == 2:
		case p.faults.has(fDuplicateDeliveries) && seq%5 == 3:
			copies[i] = 2
		default:
			copies[i] = 1
		}
		n += int(copies[i])
	}
	if p.pending.Add(int64(n)) > int64(p.opts.QueueSize) {
		p.pending.Add(-int64(n))
		p.mu.Unlock()
		p.counters.queueFull.Add(1)
		return PublishResult{}, ErrQueueFull
	}
	for _, ep := range targets {
		ep.faultSeq++
	}
	due := now
	if p.faults.has(fSlow) {
		due = now.Add(p.opts.SlowDelay)
	}
	ev := &event{id: p.newID("msg_"), typ: req.Type, body: req.Payload, created: now, idemKey: idemKey}
	if n > 0 {
		ev.deliveries = make([]*delivery, 0, n)
		ds := make([]delivery, n)
		k := 0
		for i, ep := range targets {
			for c := range copies[i] {
				d := &ds[k]
				k++
				*d = delivery{ev: ev, ep: ep, msgID: ev.id, due: due, hidx: -1}
				if c == 1 {
					d.msgID, d.dup = p.newID("msg_"), true
				}
				ev.deliveries = append(ev.deliveries, d)
			}
		}
	}
	ev.open.Store(int32(n))
	p.events[ev.id] = ev
	if useIdem {
		p.idem[idemKey] = idemRecord{ID: ev.id, At: now.UnixNano()}
		p.idemQ = append(p.idemQ, idemEntry{key: idemKey, at: now.UnixNano()})
	}
	expired := p.expireIdemLocked(now)
	if n == 0 {
		p.doneQ = append(p.doneQ, ev.id)
	}
	p.mu.Unlock()

	if err := p.persistEvent(ev, useIdem, expired); err != nil {
		p.mu.Lock()
		delete(p.events, ev.id)
		if useIdem && p.idem[idemKey].ID == ev.id {
			delete(p.idem, idemKey)
		}
		p.mu.Unlock()
		p.pending.Add(-int64(n))
		return PublishResult{}, err
	}
	for _, d := range ev.deliveries {
		p.schedule(d, due)
	}
	if n == 0 {
		p.mu.Lock()
		p.evictLocked()
		p.mu.Unlock()
	}
	p.counters.accepted.Add(1)
	return PublishResult{ID: ev.id}, nil
}

// targetsLocked resolves an event's endpoints.
func (p *Provider) targetsLocked(req *EventRequest) ([]*endpoint, error) {
	ok := func(ep *endpoint) bool {
		switch ep.state.Load() {
		case epActive:
			return true
		case epDeleted:
			return p.faults.has(fDeliverToDeleted)
		}
		return false
	}
	var out []*endpoint
	if len(req.Endpoints) > 0 {
		for i, id := range req.Endpoints {
			ep := p.endpoints[id]
			if ep == nil || (ep.state.Load() == epDeleted && !p.faults.has(fDeliverToDeleted)) {
				return nil, badInput(indexField("endpoints", i), fmt.Sprintf("no endpoint %q", id))
			}
			if ok(ep) && !slices.Contains(out, ep) {
				out = append(out, ep)
			}
		}
		return out, nil
	}
	for _, ep := range p.epOrder {
		if ok(ep) && ep.subscribed(req.Type) {
			out = append(out, ep)
		}
	}
	return out, nil
}

// expireIdemLocked forgets idempotency keys older than the window (or
// beyond the table's bound) and returns them for the store.
func (p *Provider) expireIdemLocked(now time.Time) []string {
	var gone []string
	win := int64(p.opts.IdempotencyWindow)
	for p.idemHead < len(p.idemQ) {
		e := p.idemQ[p.idemHead]
		if now.UnixNano()-e.at < win && len(p.idem) <= maxIdempotencyKeys {
			break
		}
		if r, ok := p.idem[e.key]; ok && r.At == e.at {
			delete(p.idem, e.key)
			gone = append(gone, e.key)
		}
		p.idemQ[p.idemHead] = idemEntry{}
		p.idemHead++
	}
	if p.idemHead >= 1024 && p.idemHead*2 >= len(p.idemQ) {
		n := copy(p.idemQ, p.idemQ[p.idemHead:])
		clear(p.idemQ[n:])
		p.idemQ, p.idemHead = p.idemQ[:n], 0
	}
	return gone
}

// persistEvent writes a new event with its targets and its idempotency
// key in one transaction and waits for it.
func (p *Provider) persistEvent(ev *event, idem bool, expired []string) error {
	if !p.st.persistent() {
		return nil
	}
	kvs := make([]kv, 0, 2+len(expired))
	r := eventRecord{ID: ev.id, Type: ev.typ, Body: ev.body, Created: ev.created, IdemKey: ev.idemKey}
	if !p.faults.has(fLoseOnRestart) {
		for _, d := range ev.deliveries {
			t := targetRecord{Endpoint: d.ep.id, Dup: d.dup}
			if d.msgID != ev.id {
				t.MsgID = d.msgID
			}
			r.Targets = append(r.Targets, t)
			r.Due = d.due.UnixNano()
		}
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	kvs = append(kvs, kv{bEvents, ev.id, b})
	if idem {
		b, _ := json.Marshal(&idemRecord{ID: ev.id, At: ev.created.UnixNano()})
		kvs = append(kvs, kv{bIdempotency, ev.idemKey, b})
	}
	for _, k := range expired {
		kvs = append(kvs, kv{bIdempotency, k, nil})
	}
	if err := p.st.write(kvs, true); err != nil {
		return fmt.Errorf("persist event: %w", err)
	}
	return nil
}

// Event returns an event and the state of its deliveries.
func (p *Provider) Event(id string) (Event, error) {
	p.mu.Lock()
	ev := p.events[id]
	p.mu.Unlock()
	if ev == nil {
		return Event{}, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	out := Event{ID: ev.id, Type: ev.typ, CreatedAt: ev.created, Deliveries: []Delivery{}}
	ev.mu.Lock()
	for _, d := range ev.deliveries {
		dv := Delivery{Endpoint: d.ep.id, MsgID: d.msgID, State: d.state.String(), Attempts: d.attempts}
		if d.state == dPending && !d.due.IsZero() {
			t := d.due
			dv.NextAttempt = &t
		}
		out.Deliveries = append(out.Deliveries, dv)
	}
	ev.mu.Unlock()
	return out, nil
}

// Attempts returns an event's delivery log, in attempt order per delivery.
func (p *Provider) Attempts(id string) ([]Attempt, error) {
	p.mu.Lock()
	ev := p.events[id]
	p.mu.Unlock()
	if ev == nil {
		return nil, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	out := []Attempt{}
	ev.mu.Lock()
	for _, d := range ev.deliveries {
		for _, r := range d.log {
			a := Attempt{Endpoint: d.ep.id, MsgID: d.msgID, N: int(r.N), At: time.Unix(0, r.At),
				Status: int(r.Status), Error: r.Err.String(), DurationMs: float64(r.Dur) / 1e6,
				RetryAfterMs: r.RetryAfter / int64(time.Millisecond), Outcome: r.Out.String(), NextAttempt: timePtr(r.Next)}
			if r.MsgID != "" {
				a.MsgID = r.MsgID
			}
			out = append(out, a)
		}
	}
	ev.mu.Unlock()
	return out, nil
}
