package scenarios

import (
	"io"
	"sync"

	"github.com/hookbench/hookbench/policy"
	"github.com/hookbench/hookbench/trace"
)

// teeBuffer is the io.Writer half of a bounded in-memory pipe: the trace
// writer writes its bytes here as well as to the file, and the tracker
// decodes them as they arrive. When maxBuffered bytes wait unread, writes
// block (backpressure); after Close or abandon, writes are discarded.
type teeBuffer struct {
	mu     sync.Mutex // guards buf and closed
	cond   *sync.Cond
	buf    []byte
	closed bool
}

// maxTeeBuffered bounds the bytes waiting for the tracker.
const maxTeeBuffered = 16 << 20

func newTeeBuffer() *teeBuffer {
	t := &teeBuffer{}
	t.cond = sync.NewCond(&t.mu)
	return t
}

func (t *teeBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for !t.closed && len(t.buf) > 0 && len(t.buf)+len(p) > maxTeeBuffered {
		t.cond.Wait()
	}
	if !t.closed {
		t.buf = append(t.buf, p...)
		t.cond.Broadcast()
	}
	return len(p), nil
}

func (t *teeBuffer) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.buf) == 0 && !t.closed {
		t.cond.Wait()
	}
	if len(t.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, t.buf)
	t.buf = t.buf[:copy(t.buf, t.buf[n:])]
	t.cond.Broadcast()
	return n, nil
}

// Close ends the stream: the reader gets what is buffered, then EOF.
func (t *teeBuffer) Close() error {
	t.mu.Lock()
	t.closed = true
	t.cond.Broadcast()
	t.mu.Unlock()
	return nil
}

// abandon drops everything buffered and discards later writes (the reader
// gave up).
func (t *teeBuffer) abandon() {
	t.mu.Lock()
	t.closed = true
	t.buf = nil
	t.cond.Broadcast()
	t.mu.Unlock()
}

// Progress is a snapshot of a run, computed from its own trace records.
type Progress struct {
	Phase       string
	Sent        uint64 // trigger requests made (duplicates included)
	Accepted    uint64 // triggers the provider accepted (2xx), duplicates excluded
	Rejected    uint64 // triggers that failed (non-2xx or error)
	Deliveries  uint64 // delivery attempts the sink saw
	Delivered   uint64 // (accepted event, subscribed endpoint) pairs with a successful delivery
	Failures    uint64 // attempts the sink failed (non-2xx, reset, ack-lost) or that were refused
	BadSigs     uint64 // attempts whose signature did not verify
	Outstanding uint64 // (event, endpoint) pairs without a terminal outcome
	// ByCount is true when deliveries carry no harness event id, so
	// Outstanding is estimated from counts per endpoint.
	ByCount bool
}

// eventState is what the tracker knows of one harness event.
type eventState struct {
	typ      string
	accepted bool
	// attempts, done: per endpoint index.
	attempts []uint32
	done     []bool
	success  []bool
}

// tracker follows a run's trace to know which events still await a
// terminal outcome: delivered, out of attempts, or refused for good.
type tracker struct {
	policy   policy.Policy
	byCount  bool
	paths    map[string]int
	types    [][]string // per endpoint: subscribed event types, nil = all
	disabled []bool     // endpoints that answered 410 under a "disable" policy

	mu        sync.Mutex // guards everything below
	phase     string
	p         Progress
	events    map[string]*eventState
	anonOK    []uint64 // per endpoint: successful attempts without an event id
	anonWant  []uint64 // per endpoint: accepted events that endpoint should get
	decodeErr error
}

func newTracker(policy policy.Policy, eps []EndpointSpec, byCount bool) *tracker {
	t := &tracker{
		policy:   policy,
		byCount:  byCount,
		paths:    map[string]int{},
		events:   map[string]*eventState{},
		anonOK:   make([]uint64, len(eps)),
		anonWant: make([]uint64, len(eps)),
		disabled: make([]bool, len(eps)),
	}
	for i, ep := range eps {
		t.paths[ep.Path] = i
		t.types = append(t.types, ep.EventTypes)
	}
	return t
}

// consume decodes records from r until EOF or an error.
func (t *tracker) consume(r io.Reader) error {
	dec := trace.NewDecoder(r)
	var rec trace.Record
	for {
		err := dec.Decode(&rec)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			t.mu.Lock()
			t.decodeErr = err
			t.mu.Unlock()
			return err
		}
		t.add(&rec)
	}
}

func (t *tracker) setByCount(v bool) {
	t.mu.Lock()
	t.byCount = v
	t.mu.Unlock()
}

func (t *tracker) setPolicy(p policy.Policy) {
	t.mu.Lock()
	t.policy = p
	t.mu.Unlock()
}

func (t *tracker) setPhase(name string) {
	t.mu.Lock()
	t.phase = name
	t.mu.Unlock()
}

func (t *tracker) snapshot() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.p
	p.Phase = t.phase
	p.ByCount = t.byCount
	p.Outstanding = t.outstandingLocked()
	return p
}

func (t *tracker) subscribed(ep int, typ string) bool {
	if t.disabled[ep] {
		return false
	}
	types := t.types[ep]
	if len(types) == 0 || typ == "" {
		return true
	}
	for _, x := range types {
		if x == typ {
			return true
		}
	}
	return false
}

func (t *tracker) event(id string) *eventState {
	ev := t.events[id]
	if ev == nil {
		n := len(t.types)
		ev = &eventState{attempts: make([]uint32, n), done: make([]bool, n), success: make([]bool, n)}
		t.events[id] = ev
	}
	return ev
}

func (t *tracker) add(rec *trace.Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch rec.Kind {
	case trace.KindSent:
		s := &rec.Sent
		t.p.Sent++
		if s.Status < 200 || s.Status > 299 || s.Err != trace.ErrNone {
			t.p.Rejected++
			return
		}
		if s.DuplicateOf != "" {
			return
		}
		t.p.Accepted++
		if t.byCount {
			for i := range t.types {
				if t.subscribed(i, s.Type) {
					t.anonWant[i]++
				}
			}
			return
		}
		ev := t.event(s.EventID)
		if ev.accepted {
			return // a retrigger of an event already counted
		}
		ev.accepted = true
		ev.typ = s.Type
		for i := range ev.success {
			if ev.success[i] && t.subscribed(i, s.Type) {
				t.p.Delivered++ // delivered before its Sent record was written
			}
		}
		t.retire(s.EventID, ev)
	case trace.KindAttempt:
		t.attempt(&rec.Attempt)
	}
}

func (t *tracker) success(status int) bool {
	if len(t.policy.Success) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range t.policy.Success {
		if s == status {
			return true
		}
	}
	return false
}

// final reports whether a failed attempt with this status ends the event
// at that endpoint under the policy (no retry will follow).
func (t *tracker) final(status int) bool {
	if status == 410 && t.policy.Gone != "retry" {
		return true
	}
	if len(t.policy.NoRetry) > 0 {
		for _, s := range t.policy.NoRetry {
			if s == status {
				return true
			}
		}
		return false
	}
	return status >= 400 && status <= 499 && status != 408 && status != 429
}

func (t *tracker) attempt(a *trace.Attempt) {
	t.p.Deliveries++
	if a.Sig != trace.SigNone && !a.Sig.OK() {
		t.p.BadSigs++
	}
	i, ok := t.paths[a.Endpoint]
	if !ok {
		t.p.Failures++
		return
	}
	ok = t.success(a.Status) && a.Flags&trace.FlagAborted == 0 && a.Flags&trace.FlagProviderGaveUp == 0
	if !ok {
		t.p.Failures++
		if a.Status == 410 && t.policy.Gone == "disable" {
			t.disabled[i] = true
		}
	}
	if t.byCount || a.EventID == "" {
		if ok {
			t.anonOK[i]++
			t.p.Delivered++
		}
		return
	}
	ev := t.event(a.EventID)
	ev.attempts[i]++
	if ev.done[i] {
		return
	}
	switch {
	case ok:
		ev.done[i], ev.success[i] = true, true
		if ev.accepted && t.subscribed(i, ev.typ) {
			t.p.Delivered++
		}
	case a.Status != 0 && t.final(a.Status):
		ev.done[i] = true
	case t.policy.MaxAttempts > 0 && int(ev.attempts[i]) >= t.policy.MaxAttempts:
		ev.done[i] = true
	}
	t.retire(a.EventID, ev)
}

// retire forgets an accepted event once every subscribed endpoint reached a
// terminal outcome, so memory follows the outstanding events, not the run.
func (t *tracker) retire(id string, ev *eventState) {
	if !ev.accepted {
		return
	}
	for i := range ev.done {
		if !ev.done[i] && t.subscribed(i, ev.typ) {
			return
		}
	}
	delete(t.events, id)
}

func (t *tracker) outstandingLocked() uint64 {
	var n uint64
	if t.byCount {
		for i := range t.anonWant {
			if t.disabled[i] {
				continue
			}
			if t.anonWant[i] > t.anonOK[i] {
				n += t.anonWant[i] - t.anonOK[i]
			}
		}
		return n
	}
	for _, ev := range t.events {
		if !ev.accepted {
			continue
		}
		for i := range ev.done {
			if !ev.done[i] && t.subscribed(i, ev.typ) {
				n++
			}
		}
	}
	return n
}
