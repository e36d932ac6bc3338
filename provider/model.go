package provider

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookbench/hookbench/signature"
	"github.com/hookbench/hookbench/trace"
)

// EndpointRequest creates an endpoint (POST /endpoints).
type EndpointRequest struct {
	URL string `json:"url"`
	// Secret, or Secrets for a rotation in progress (a delivery is signed
	// with each); generated when both are empty and the scheme signs.
	Secret     string   `json:"secret,omitempty"`
	Secrets    []string `json:"secrets,omitempty"`
	EventTypes []string `json:"event_types,omitempty"` // empty: every type
	Scheme     string   `json:"scheme,omitempty"`      // "" = the policy's; "none" = unsigned
}

// Endpoint is an endpoint as the API shows it.
type Endpoint struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Scheme     string   `json:"scheme"`
	EventTypes []string `json:"event_types"`
	// Secret is the signing secret; only set in the answers of create and
	// rotate.
	Secret         string    `json:"secret,omitempty"`
	Active         bool      `json:"active"`
	Status         string    `json:"status"` // "active", "disabled" or "deleted"
	DisabledReason string    `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// EventRequest triggers an event (POST /events).
type EventRequest struct {
	Type string `json:"type"`
	// Payload is delivered byte for byte; it must be JSON. Publish keeps
	// the slice: the caller must not change it afterwards.
	Payload json.RawMessage `json:"payload"`
	// Endpoints limits the fan-out to these endpoint ids.
	Endpoints []string `json:"endpoints,omitempty"`
}

// PublishResult is the answer to a trigger.
type PublishResult struct {
	ID string `json:"id"`
	// Replayed: an earlier trigger with the same Idempotency-Key created
	// the event; nothing new was created.
	Replayed bool `json:"replayed,omitempty"`
}

// Event is an event and the state of its deliveries (GET /events/{id}).
type Event struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	CreatedAt  time.Time  `json:"created_at"`
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery is one event's delivery to one endpoint.
type Delivery struct {
	Endpoint    string     `json:"endpoint"`
	MsgID       string     `json:"msg_id"`
	State       string     `json:"state"` // pending, delivered, failed, gone, cancelled
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}

// Attempt is one line of the delivery log (GET /events/{id}/attempts).
type Attempt struct {
	Endpoint     string     `json:"endpoint"`
	MsgID        string     `json:"msg_id"`
	N            int        `json:"n"` // 1-based attempt number
	At           time.Time  `json:"at"`
	Status       int        `json:"status,omitempty"` // 0 when Error is set
	Error        string     `json:"error,omitempty"`  // timeout, connection, other
	DurationMs   float64    `json:"duration_ms"`
	RetryAfterMs int64      `json:"retry_after_ms,omitempty"` // Retry-After the endpoint sent
	Outcome      string     `json:"outcome"`                  // delivered, retry, failed, exhausted, gone, abandoned
	NextAttempt  *time.Time `json:"next_attempt,omitempty"`
}

// Endpoint states.
const (
	epActive int32 = iota
	epDisabled
	epDeleted
)

func epStateName(s int32) string {
	switch s {
	case epActive:
		return "active"
	case epDisabled:
		return "disabled"
	}
	return "deleted"
}

// endpoint is a subscription. Fixed fields are set at creation.
type endpoint struct {
	id, url, scheme string
	eventTypes      []string
	created         time.Time

	state atomic.Int32            // epActive, epDisabled, epDeleted
	sig   atomic.Pointer[signing] // replaced on rotation

	// guarded by Provider.mu
	secrets  []string  // secrets[0] is current; the rest were rotated out
	oldUntil time.Time // when secrets[1:] stop signing; zero = never
	reason   string    // why disabled
	faultSeq uint64    // events fanned out here (drop-events, duplicate-deliveries)

	// validated: the endpoint granted the webhook validation handshake;
	// hsMu lets one attempt at a time ask.
	validated atomic.Bool
	hsMu      sync.Mutex

	lmu      sync.Mutex // guards ready, head, inflight
	ready    []*delivery
	head     int
	inflight int
}

// signing is an endpoint's signers, swapped as a whole.
type signing struct {
	s     signature.Signer // with every current secret
	wrong signature.Signer // with a secret the endpoint never had (wrong-secret)
	until time.Time        // non-zero: rebuild without rotated-out secrets then
}

func (e *endpoint) subscribed(typ string) bool {
	if len(e.eventTypes) == 0 {
		return true
	}
	for _, t := range e.eventTypes {
		if t == typ || t == "*" {
			return true
		}
	}
	return false
}

func (e *endpoint) view(reason string) Endpoint {
	st := e.state.Load()
	types := e.eventTypes
	if types == nil {
		types = []string{}
	}
	return Endpoint{
		ID: e.id, URL: e.url, Scheme: e.scheme, EventTypes: types,
		Active: st == epActive, Status: epStateName(st), DisabledReason: reason,
		CreatedAt: e.created,
	}
}

// delivery states.
type dState uint8

const (
	dPending dState = iota
	dDelivered
	dFailed    // permanent failure or attempts exhausted
	dGone      // 410: the endpoint was disabled
	dCancelled // endpoint disabled or deleted before it was delivered
)

func (s dState) String() string {
	switch s {
	case dPending:
		return "pending"
	case dDelivered:
		return "delivered"
	case dFailed:
		return "failed"
	case dGone:
		return "gone"
	}
	return "cancelled"
}

func parseDState(s string) dState {
	for d := dPending; d <= dCancelled; d++ {
		if d.String() == s {
			return d
		}
	}
	return dFailed
}

// event is one accepted event. Fixed fields are set at creation.
type event struct {
	id, typ string
	body    []byte // delivered bytes; never modified
	created time.Time
	idemKey string

	open atomic.Int32 // deliveries not finished

	variantsOnce sync.Once
	pretty       []byte // body re-serialised (mutate-body-on-retry)
	lossy        []byte // body through float64 maps (lossy-payload, sign-reserialised-body)

	mu         sync.Mutex // guards the mutable fields of deliveries
	deliveries []*delivery
}

func (e *event) variants() (pretty, lossy []byte) {
	e.variantsOnce.Do(func() {
		e.pretty = reencode(e.body, false)
		e.lossy = reencode(e.body, true)
	})
	return e.pretty, e.lossy
}

// delivery is one event to one endpoint. Only the goroutine that holds
// the delivery (scheduler heap → lane) writes its mutable fields, under
// ev.mu so that the API can read them.
type delivery struct {
	ev    *event
	ep    *endpoint
	msgID string // the event id, or the duplicate's own id
	dup   bool   // the extra copy of duplicate-deliveries

	// guarded by ev.mu
	state     dState
	attempts  int
	due       time.Time
	firstTS   time.Time
	log       []attemptLog
	logInline [1]attemptLog // log's first backing array: no alloc for one attempt

	// guarded by Provider.mu
	hdue time.Time // due time while in the heap
	hidx int       // heap index, -1 when not in the heap
}

// firstAt is when the delivery's first attempt started; now when the
// attempt at hand is the first.
func (d *delivery) firstAt(now time.Time) time.Time {
	d.ev.mu.Lock()
	defer d.ev.mu.Unlock()
	if len(d.log) == 0 {
		return now
	}
	return time.Unix(0, d.log[0].At)
}

func (d *delivery) key() string {
	k := d.ev.id + "/" + d.ep.id
	if d.dup {
		k += "/dup"
	}
	return k
}

// attemptLog is one attempt, compact; also the stored form.
type attemptLog struct {
	At         int64         `json:"at"` // unix ns, provider clock
	Next       int64         `json:"next,omitempty"`
	Dur        int64         `json:"dur"` // ns, real time
	RetryAfter int64         `json:"ra,omitempty"`
	MsgID      string        `json:"id,omitempty"` // only when not the delivery's
	Status     int32         `json:"st,omitempty"`
	N          uint16        `json:"n"`
	Err        trace.ErrKind `json:"err,omitempty"`
	Out        logOutcome    `json:"out"`
}

// logOutcome is outcome plus what only the log needs.
type logOutcome uint8

const (
	lDelivered logOutcome = iota
	lRetry
	lFailed
	lGone
	lExhausted // a retryable failure with no attempt left
)

func (o logOutcome) String() string {
	switch o {
	case lDelivered:
		return "delivered"
	case lRetry:
		return "retry"
	case lFailed:
		return "failed"
	case lGone:
		return "gone"
	}
	return "exhausted"
}

func timePtr(ns int64) *time.Time {
	if ns == 0 {
		return nil
	}
	t := time.Unix(0, ns)
	return &t
}

// Stored records.

type endpointRecord struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	Scheme     string    `json:"scheme"`
	EventTypes []string  `json:"event_types,omitempty"`
	Secrets    []string  `json:"secrets,omitempty"`
	OldUntil   int64     `json:"old_until,omitempty"`
	State      int32     `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	Created    time.Time `json:"created"`
}

// eventRecord is an event and where it goes. A target without a
// deliveryRecord is pending with no attempt made yet, due at Due: the
// first write for a delivery is its first result.
type eventRecord struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Body    []byte         `json:"body"`
	Created time.Time      `json:"created"`
	IdemKey string         `json:"idem,omitempty"`
	Due     int64          `json:"due,omitempty"`
	Targets []targetRecord `json:"targets,omitempty"`
}

type targetRecord struct {
	Endpoint string `json:"ep"`
	MsgID    string `json:"id,omitempty"` // "" = the event id
	Dup      bool   `json:"dup,omitempty"`
}

type deliveryRecord struct {
	Event    string       `json:"event"`
	Endpoint string       `json:"endpoint"`
	MsgID    string       `json:"msg_id"`
	Dup      bool         `json:"dup,omitempty"`
	State    string       `json:"state"`
	Attempts int          `json:"attempts"`
	Due      int64        `json:"due,omitempty"`
	FirstTS  int64        `json:"first_ts,omitempty"`
	Log      []attemptLog `json:"log,omitempty"`
}

type idemRecord struct {
	ID string `json:"id"`
	At int64  `json:"at"`
}
