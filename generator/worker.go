package generator

import (
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/internal/netx"
	"github.com/hookbench/hookbench/trace"
)

// Sleeping precisely. A Go timer fires on time while the process is busy,
// but when every goroutine is idle the runtime waits in epoll with
// millisecond resolution, so a timer may fire up to about a millisecond
// late (a 100 µs time.Sleep takes 1.6 ms on an idle process). On slow
// schedules (hits at least fineInterval apart, where the process idles) a
// worker therefore waits on its preciseTimer (a timerfd read through the
// netpoller), accurate to tens of microseconds. Fast schedules keep the
// process busy and use the Go timer, saving two syscalls per hit.
const (
	fineInterval = 500 * time.Microsecond
	// maxPreciseWorkers: beyond this many workers none gets a preciseTimer
	// (each holds a file descriptor, next to the connections').
	maxPreciseWorkers = 512
	// gridQuantum is the wake-up grid of fast schedules (see run) and the
	// period of the generator's ticker.
	gridQuantum = 200 * time.Microsecond
	// gridInterval: schedules with hits closer than this keep the process
	// busy enough that Go timers are on time without the ticker.
	gridInterval = 50 * time.Microsecond
)

// liveCounters are one worker's counters, read by Progress.
type liveCounters struct {
	sent, done, late, failed atomic.Uint64
	errs                     [len(errKinds) + 1]atomic.Uint64 // by trace.ErrKind, for Metrics
	classes                  [len(statusClasses)]atomic.Uint64
	lateBuckets              [lateBucketCount]atomic.Uint64
	lateSumNs                atomic.Uint64
	_                        [32]byte // keep workers' counters on separate cache lines
}

// worker sends requests one at a time. Everything it touches per request is
// its own: the request/response objects, buffers, randomness, counters.
type worker struct {
	g     *Generator
	shard *histShard
	live  liveCounters

	req   *fasthttp.Request
	resp  *fasthttp.Response
	timer *time.Timer
	// precise does the waiting on slow schedules; nil when unavailable
	// (then the Go timer does all the waiting). Run creates it; Stop
	// closes it to wake the worker.
	precise *preciseTimer
	pcg     rand.PCG
	rnd     *rand.Rand
	ev      Event

	body, prevBody []byte // current body; last original body (for a duplicate)
	idBuf, prevID  []byte
	prevType       string
	scratch        []byte
	hdrBuf         []byte
	dupPending     bool

	// Final counts, written by the worker only, read after Run's workers end.
	st workerStats
}

// workerStats are a worker's totals, summed into the Summary.
type workerStats struct {
	sent, missed, late, dups, bytes uint64
	status                          [600]uint64 // by HTTP status; [0] unused
	errs                            [4]uint64   // by trace.ErrKind
	aborted                         uint64      // cut at the end of the drain
	worstLate                       time.Duration
	firstSent, lastSent             time.Duration
	firstDue, lastDue               time.Duration
}

func (g *Generator) newWorker(shard *histShard) *worker {
	w := &worker{g: g, shard: shard}
	w.rnd = rand.New(&w.pcg)
	w.ev.Rand = w.rnd
	w.timer = time.NewTimer(time.Hour)
	w.timer.Stop()
	w.req = fasthttp.AcquireRequest()
	w.resp = fasthttp.AcquireResponse()
	w.req.SetRequestURI(g.opts.URL)
	w.req.Header.SetMethod(g.opts.Method)
	w.req.Header.SetContentType(g.ctype)
	w.body = make([]byte, 0, max(512, g.opts.BodySize+64))
	w.prevBody = make([]byte, 0, cap(w.body))
	w.idBuf = make([]byte, 0, 64)
	w.prevID = make([]byte, 0, 64)
	w.scratch = make([]byte, 0, 256)
	w.hdrBuf = make([]byte, 0, 256)
	for _, h := range g.headers {
		if h.t.Static() {
			w.req.Header.Set(h.name, h.t.src)
		}
	}
	w.st.firstSent, w.st.firstDue = -1, -1
	return w
}

func (w *worker) release() {
	fasthttp.ReleaseRequest(w.req)
	fasthttp.ReleaseResponse(w.resp)
	w.req, w.resp = nil, nil
}

// run claims hits and sends them until the schedule ends.
func (w *worker) run() {
	g := w.g
	for {
		if g.stopped.Load() {
			return
		}
		n := g.next.Add(1) - 1
		if g.opts.Count > 0 && n >= g.opts.Count {
			return
		}
		elapsed := time.Since(g.start)
		wait, stop := g.opts.Rate.Pace(elapsed, n)
		if stop {
			return
		}
		due := elapsed + wait
		if g.capacity {
			due = elapsed
		}
		if g.opts.Duration > 0 && due >= g.opts.Duration {
			return
		}
		if wait > 0 {
			next, nstop := g.opts.Rate.Pace(elapsed, n+1)
			interval := next - wait
			fine := nstop || interval >= fineInterval
			wake := due
			if !fine && interval >= gridInterval && g.ticker != nil {
				g.askTicker()
				// Moderate rate: wake on the gridQuantum grid, where
				// the ticker wakes the scheduler, so that the Go timer
				// fires on time (not up to a millisecond late) and
				// workers due close together share a wake-up (each
				// costs a thread context switch). The send may leave
				// up to gridQuantum after its intended time; lateness
				// is measured from the intended time all the same.
				b := time.Duration(g.gridBase.Load())
				wake = b + (due-b+gridQuantum-1)/gridQuantum*gridQuantum
			}
			if !w.sleep(wake, fine) {
				return // stopped before the hit was due
			}
		} else if g.ended.Load() {
			w.st.missed++ // due, but the run ended before a worker was free
			return
		}
		w.send(n, due)
	}
}

// sleep waits until wake (since start); false when the run was stopped first.
func (w *worker) sleep(due time.Duration, fine bool) bool {
	g := w.g
	for {
		left := due - time.Since(g.start)
		if left <= 0 {
			return true
		}
		if fine && w.precise != nil {
			if w.precise.sleep(left) {
				return !g.stopped.Load()
			}
			if g.stopped.Load() { // Stop closed the timer
				return false
			}
			w.precise = nil // broken: the Go timer does the rest
			continue
		}
		w.timer.Reset(left)
		select {
		case <-w.timer.C:
		case <-g.end:
			w.timer.Stop()
			if g.stopped.Load() {
				return false
			}
			// The deadline passed while this hit, due before it, waited:
			// send it anyway.
			return true
		}
	}
}

// send builds and sends hit n (0-based), intended at due since start.
func (w *worker) send(n uint64, due time.Duration) {
	g := w.g
	// Seeds and {{seq}} follow the full schedule's hit number, so the shards
	// of a run send the bodies one unsharded run would.
	n = g.opts.Shard.Global(n)
	w.pcg.Seed(uint64(g.opts.Seed), n)
	ev := &w.ev
	dupOf := false
	if w.dupPending {
		// Resend the last original: same body, same id and key.
		w.dupPending = false
		dupOf = true
		w.body, w.prevBody = w.prevBody, w.body
		w.idBuf, w.prevID = w.prevID, w.idBuf
		ev.ID = w.idBuf
		ev.Type = w.prevType
	} else {
		ev.Seq = n + 1
		ev.Time = g.start.Add(due)
		if len(g.opts.Types) == 1 {
			ev.Type = g.opts.Types[0]
		} else {
			ev.Type = g.opts.Types[w.rnd.IntN(len(g.opts.Types))]
		}
		w.idBuf = strconv.AppendUint(append(w.idBuf[:0], g.idPrefix...), ev.Seq, 10)
		ev.ID = w.idBuf
		w.body = g.body.appendBody(w.body[:0], &w.scratch, ev)
		if g.opts.Duplicates > 0 && w.rnd.Float64() < g.opts.Duplicates {
			w.dupPending = true
		}
	}
	req := w.req
	req.SetBodyRaw(w.body)
	if g.opts.IdempotencyHeader != "" {
		req.Header.SetBytesV(g.opts.IdempotencyHeader, w.idBuf)
	}
	for i := range g.headers {
		h := &g.headers[i]
		if !h.t.Static() {
			w.hdrBuf = h.t.Append(w.hdrBuf[:0], ev)
			req.Header.SetBytesV(h.name, w.hdrBuf)
		}
	}

	sentAt := time.Since(g.start)
	w.live.sent.Add(1)
	// The connection enforces the timeout (deadlineConn); a response
	// within its slack but after the timeout is a timeout all the same.
	err := g.client.Do(req, w.resp)
	doneAt := time.Since(g.start)
	if err == nil && doneAt-sentAt > g.opts.Timeout {
		err = fasthttp.ErrTimeout
	}
	w.live.done.Add(1)

	status := 0
	kind := trace.ErrNone
	if err != nil {
		kind = netx.Classify(err)
		if g.forced.Load() {
			w.st.aborted++
			kind = trace.ErrTimeout
		} else {
			w.st.errs[kind]++
		}
		w.live.errs[kind].Add(1)
		w.live.failed.Add(1)
	} else {
		status = w.resp.StatusCode()
		if status < 0 || status >= len(w.st.status) {
			status = len(w.st.status) - 1
		}
		w.st.status[status]++
		w.live.classes[statusClass(status)].Add(1)
		if status < 200 || status > 299 {
			w.live.failed.Add(1)
		}
	}
	late := sentAt - due
	if late > LateThreshold {
		w.st.late++
		w.live.late.Add(1)
	}
	w.st.worstLate = max(w.st.worstLate, late)
	lateNs := max(late, 0)
	w.live.lateBuckets[lateBucket(lateNs)].Add(1)
	w.live.lateSumNs.Add(uint64(lateNs))
	w.st.sent++
	w.st.bytes += uint64(len(w.body))
	if w.st.firstSent < 0 {
		w.st.firstSent, w.st.firstDue = sentAt, due
	}
	w.st.firstSent = min(w.st.firstSent, sentAt)
	w.st.firstDue = min(w.st.firstDue, due)
	w.st.lastSent = max(w.st.lastSent, sentAt)
	w.st.lastDue = max(w.st.lastDue, due)
	w.shard.record(doneAt-due, doneAt-sentAt, late)

	if g.opts.Trace != nil {
		w.writeSent(due, sentAt, doneAt, status, kind, dupOf, err == nil)
	}
	if dupOf {
		w.st.dups++
		// Put the original back where a fresh event will overwrite it.
		w.body, w.prevBody = w.prevBody, w.body
		w.idBuf, w.prevID = w.prevID, w.idBuf
	} else if w.dupPending {
		w.body, w.prevBody = w.prevBody, w.body
		w.idBuf, w.prevID = w.prevID, w.idBuf
		w.prevType = ev.Type
	}
}

// writeSent writes the Sent record. Its strings alias the worker's buffers:
// the trace writer copies them before WriteSent returns.
func (w *worker) writeSent(due, sentAt, doneAt time.Duration, status int, kind trace.ErrKind, dup, ok bool) {
	g := w.g
	id := bytesString(w.idBuf)
	s := trace.Sent{
		EventID:    id,
		Type:       w.ev.Type,
		IntendedNs: g.traceAt + int64(due),
		SentNs:     g.traceAt + int64(sentAt),
		LatencyNs:  int64(doneAt - sentAt),
		Status:     status,
		Err:        kind,
	}
	if g.opts.IdempotencyHeader != "" {
		s.IdemKey = id
	}
	if dup {
		s.DuplicateOf = id
	}
	if ok {
		s.ProviderID = bytesString(scanID(w.resp.Body()))
	}
	_ = g.opts.Trace.WriteSent(&s) // a failing trace is reported by its Close
}

// bytesString views b as a string without copying. The string is valid only
// while b is not modified.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
