package reports

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// maxTime is the latest record time the series accept: 30 days.
const maxTime = int64(30 * 24 * time.Hour)

// Report accumulates trace records into the measurements of a run. It
// streams: memory is bounded by its Options (matching tables, groups,
// series, .hlog intervals), never by the number of records, and no raw
// sample is kept. Add records in trace order; times must be on the clock of
// the first Header added (Feed shifts several traces onto one clock).
// A Report is not safe for concurrent use.
type Report struct {
	opts   Options
	closed bool
	sum    *Summary
	err    error // first internal error (encoding), reported by Close

	runs    []Run
	base    time.Time
	hasBase bool
	counts  Counts

	metrics [nMetric]*hist
	oor     [nMetric]int64
	eps     groupSet
	types   groupSet
	status  [600]int64
	sig     [16]int64

	sent  gens[sentState]
	deliv gens[delivState]

	// The matching stage (Add, AddBatch) keeps the clock, the open
	// interval and the series, and hands histogram updates to the
	// recording stage as ops.
	clock    int64
	ivlOpen  bool
	ivlStart int64
	ivlEnd   int64
	series   series
	ops      *opBatch  // the ops being gathered
	rec      *recorder // the recording goroutine; nil: ops are applied by the caller
	// eps.list and types.list up to their capacity, for the recording
	// stage: their elements are set before any op refers to them.
	epGroups, typeGroups []*group
	// The recording stage's state: the histograms above (metrics, oor,
	// groups' m and oor) and the intervals' histograms below.
	ivl    [nMetric]*hist // scratch: the closing interval's values
	snap   [nMetric]*hist // metrics as they were when the open interval began
	ivlMax [nMetric]int64 // exact max of each metric in the open interval
	hlogs  [nMetric]*hlogLog
	enc    encoder // used by the .hlog goroutines, one at a time
	// Closed intervals are added to the .hlog logs (zlib compression) on
	// goroutines that run one after the other, so the report goroutine does
	// not wait for them: hlogPrev is closed when the last handed-over
	// interval is in the logs; hlogFree returns interval histogram sets.
	hlogPrev       chan struct{}
	hlogFree       chan *[nMetric]*hist
	hlogSets       int
	hlogErr        error // first .hlog error, read after hlogPrev is closed
	marks          []Mark
	scratch        [batchLen]recKeys
	touchSent      [batchLen]uint64 // AddBatch: event keys to touch (0: none)
	touchDeliv     [batchLen]uint64 // AddBatch: delivery keys to touch
	sink           uint64           // keeps AddBatch's cache-warming loads alive
	timelines      map[uint64]*timeline
	tracked        map[uint64]bool
	plainTimelines int
	evictedOpen    int64
}

// sentState is what the report keeps per harness event id: 40 bytes (48
// with its key). Most events go to one endpoint, so the delivery to the
// first endpoint seen lives here too (ep1, last1, meta1); other endpoints'
// deliveries go to the delivery table.
type sentState struct {
	// t is the intended trigger time once the Sent is known (sSent);
	// before that it holds ep1's pending first arrival.
	t     int64
	last1 int64     // ep1 delivery: arrival of its latest attempt
	meta1 uint64    // ep1 delivery: flags and pending offset, as delivState.meta
	eps   [2]uint16 // endpoint index+1 of table deliveries waiting for the Sent
	typ   uint16    // event type index+1
	flags uint16
	ep1   uint16 // endpoint index+1 of the inline delivery, 0 before any
}

const (
	sSent         uint16 = 1 << iota // a Sent record was seen
	sExpect                          // accepted, not a duplicate: a delivery is expected
	sDelivered                       // an attempt arrived
	sSucceeded                       // a 2xx attempt arrived
	sPendOverflow                    // more endpoints waited than eps holds
	sLate                            // created by a late attempt after the state was dropped
)

// inline returns the view of the event's inline delivery.
func (st *sentState) inline() dview { return dview{&st.last1, &st.t, &st.meta1} }

// delivState is what the report keeps per (event, endpoint) for endpoints
// after an event's first: 24 bytes, so a slot with its key is 32 and two
// share a cache line.
type delivState struct {
	last  int64  // arrival of the latest attempt
	first int64  // first arrival (or first 2xx), kept while the Sent is unknown
	meta  uint64 // flags in the low byte; above it, first 2xx - first (ns)
}

func (d *delivState) view() dview { return dview{&d.last, &d.first, &d.meta} }

const (
	dSucceeded uint64 = 1 << iota
	dPendFirst
	dPendSucc
	dRetried
	dNoFirst // attempts seen, but not the first one (Nth == 1)
)

// dview is a delivery's state, wherever it is kept.
type dview struct {
	last, first *int64
	meta        *uint64
}

// pendSucc returns the pending first-2xx arrival.
func (d dview) pendSucc() int64 { return *d.first + int64(*d.meta>>8) }

// setPendFirst keeps at as the first arrival until the Sent is known.
func (d dview) setPendFirst(at int64) {
	if *d.meta&dPendSucc != 0 { // a 2xx retry was seen before the first attempt
		succ := d.pendSucc()
		*d.first = at
		*d.meta = *d.meta&0xff | uint64(max(succ-at, 0))<<8 | dPendFirst
		return
	}
	*d.first = at
	*d.meta |= dPendFirst
}

// setPendSucc keeps at as the first 2xx arrival until the Sent is known.
func (d dview) setPendSucc(at int64) {
	if *d.meta&dPendFirst == 0 {
		*d.first = at
	}
	off := max(at-*d.first, 0)
	*d.meta = *d.meta&0xff | uint64(off)<<8 | dPendSucc
}

// resolve records a delivery's pending latencies now that its event's
// intended time is known; ep and ty are group indexes + 1, as record's.
func (r *Report) resolve(d dview, intended int64, ep, ty uint16) {
	if *d.meta&dPendFirst != 0 {
		r.record(mE2EFirst, *d.first-intended, ep, ty)
	}
	if *d.meta&dPendSucc != 0 {
		r.record(mE2ESuccess, d.pendSucc()-intended, ep, ty)
	}
	*d.meta &= 0xff &^ (dPendFirst | dPendSucc)
}

// New returns an empty Report.
func New(opts Options) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := &Report{
		opts:      opts,
		hlogFree:  make(chan *[nMetric]*hist, hlogSets),
		eps:       newGroupSet(opts.MaxGroups, mE2EFirst, mE2ESuccess, mGap),
		types:     newGroupSet(opts.MaxGroups, mE2EFirst, mE2ESuccess, mTrigger, mTriggerRaw, mGap),
		series:    series{step: int64(opts.Step), max: opts.MaxPoints},
		timelines: map[uint64]*timeline{},
		tracked:   map[uint64]bool{},
		ops:       newOpBatch(),
	}
	for m := range nMetric {
		r.metrics[m] = newHist()
		r.ivl[m] = newHist()
		r.snap[m] = newHist()
		r.hlogs[m] = &hlogLog{step: int64(opts.Step), max: opts.MaxHlogIntervals, acc: newHist()}
	}
	r.epGroups, r.typeGroups = r.eps.list[:cap(r.eps.list)], r.types.list[:cap(r.types.list)]
	r.sent = newGens(opts.MatchEntries, r.evictSent)
	r.deliv = newGens(opts.MatchEntries, r.evictDelivery)
	for _, id := range opts.Track {
		r.tracked[idKey(id)] = true
	}
	return r, nil
}

// Add adds one record. Records after Close are ignored. Add does not
// allocate for records of known endpoints and event types (hot path).
func (r *Report) Add(rec *trace.Record) {
	if r.closed {
		return
	}
	switch rec.Kind {
	case trace.KindHeader:
		r.addHeader(&rec.Header, "")
	case trace.KindSent:
		r.addSent(&rec.Sent, r.keys(rec, recordKey(rec)))
	case trace.KindAttempt:
		r.addAttempt(&rec.Attempt, r.keys(rec, recordKey(rec)))
	case trace.KindMark:
		r.addMark(&rec.Mark)
	}
}

func (r *Report) addHeader(h *trace.Header, source string) {
	if !r.hasBase {
		r.base, r.hasBase = h.StartWall, true
	}
	r.runs = append(r.runs, Run{
		Source:    source,
		RunID:     h.RunID,
		Start:     h.StartWall,
		Offset:    int64(h.StartWall.Sub(r.base)),
		Args:      append([]string(nil), h.Args...),
		Hookbench: h.Hookbench,
	})
}

// noteDropped records a truncated tail of the last trace added.
func (r *Report) noteDropped(source string, n int64) {
	for i := range r.runs {
		if r.runs[i].Source == source {
			r.runs[i].Dropped += n
		}
	}
}

// advance moves the report clock to t, closing the interval it leaves.
func (r *Report) advance(t int64) {
	if t <= r.clock || t >= maxTime {
		return
	}
	r.clock = t
	if r.ivlOpen && t >= r.ivlEnd {
		r.closeInterval()
	}
}

// seriesAt returns the series point of time t, or nil for a bad time.
func (r *Report) seriesAt(t int64) *point {
	if t < 0 || t >= maxTime {
		r.counts.BadTimes++
		return nil
	}
	return r.series.at(t)
}

// record adds v to metric m overall, in the open interval and in the
// groups that keep m: endpoint ep-1 and event type ty-1 (0: none). The
// histograms are updated by the recording stage (recorder.go); here only
// the interval is opened, as it is by a value the histograms accept.
func (r *Report) record(m int, v int64, ep, ty uint16) {
	if inRange(v) && !r.ivlOpen {
		r.ivlStart = r.clock / r.series.step * r.series.step
		r.ivlEnd = r.ivlStart + r.series.step
		r.ivlOpen = true
	}
	r.pushOp(histOp{v: v, ep: ep, ty: ty, m: uint8(m)})
}

func isSuccess(status int) bool { return status >= 200 && status < 300 }

// recKeys are a record's matching keys, computed once per record.
type recKeys struct {
	ek, dk uint64 // event key, (event, endpoint) key; 0 when none
	epi    uint16 // endpoint group (attempts)
}

// recordKey is the event key of a Sent or Attempt record (0: none): a pure
// function of the record, so Feed computes it on the decoding goroutine.
func recordKey(rec *trace.Record) uint64 {
	switch rec.Kind {
	case trace.KindSent:
		if rec.Sent.EventID != "" {
			return idKey(rec.Sent.EventID)
		}
	case trace.KindAttempt:
		id := rec.Attempt.EventID
		if id == "" {
			id = rec.Attempt.MsgID
		}
		if id != "" {
			return idKey(id)
		}
	}
	return 0
}

// keys completes the matching keys of a record whose event key is ek.
func (r *Report) keys(rec *trace.Record, ek uint64) recKeys {
	k := recKeys{ek: ek}
	if rec.Kind == trace.KindAttempt {
		k.epi = r.eps.index(rec.Attempt.Endpoint)
		if ek != 0 {
			k.dk = pairKey(ek, k.epi)
		}
	}
	return k
}

// batchLen is how many records AddBatch looks ahead.
const batchLen = 128

// AddBatch adds records like Add, faster: it first touches the matching
// table slots of every record in a window so their cache misses overlap,
// then adds the records in order. Results are identical to Add's.
func (r *Report) AddBatch(recs []trace.Record) { r.addBatch(recs, nil) }

// addBatch is AddBatch with the records' event keys (recordKey) when the
// caller computed them, else nil.
func (r *Report) addBatch(recs []trace.Record, eks []uint64) {
	if r.closed {
		return
	}
	for len(recs) > 0 {
		n := min(len(recs), batchLen)
		win := recs[:n]
		keys := r.scratch[:n]
		sks, dks := r.touchSent[:n], r.touchDeliv[:0]
		for i := range win {
			var ek uint64
			if eks != nil {
				ek = eks[i]
			} else {
				ek = recordKey(&win[i])
			}
			k := r.keys(&win[i], ek)
			keys[i] = k
			sks[i] = k.ek
			if k.dk != 0 && win[i].Attempt.EventID == "" {
				dks = append(dks, k.dk)
			}
		}
		r.sink += r.sent.touch(sks) + r.deliv.touch(dks)
		for i := range win {
			rec := &win[i]
			switch rec.Kind {
			case trace.KindHeader:
				r.addHeader(&rec.Header, "")
			case trace.KindSent:
				r.addSent(&rec.Sent, keys[i])
			case trace.KindAttempt:
				r.addAttempt(&rec.Attempt, keys[i])
			case trace.KindMark:
				r.addMark(&rec.Mark)
			}
		}
		recs = recs[n:]
		if eks != nil {
			eks = eks[n:]
		}
	}
}

func (r *Report) addSent(s *trace.Sent, k recKeys) {
	r.counts.Sent++
	done := s.SentNs + s.LatencyNs
	r.advance(done)
	intended := s.IntendedNs
	if intended == 0 {
		intended = s.SentNs
	}
	ok := s.Err == trace.ErrNone && isSuccess(s.Status)
	if !ok {
		r.counts.SentFailed++
		if s.Err != trace.ErrNone {
			r.counts.SentErrors++
		}
	}
	if s.DuplicateOf != "" {
		r.counts.SentDuplicates++
	}
	if pt := r.seriesAt(s.SentNs); pt != nil {
		pt.sent++
		if !ok {
			pt.sentFailed++
		}
	}
	ti := r.types.index(s.Type)
	ty := r.types.list[ti]
	ty.c.Sent++
	r.record(mTrigger, done-intended, 0, ti+1)
	r.record(mTriggerRaw, s.LatencyNs, 0, ti+1)
	if s.EventID == "" {
		r.counts.SentNoID++
		return
	}
	st, _ := r.sent.upsert(k.ek)
	if st.flags&sSent != 0 {
		r.counts.SentRepeatedID++
		return
	}
	if ok && s.DuplicateOf == "" {
		st.flags |= sExpect
	}
	if s.Type != "" || st.typ == 0 {
		st.typ = ti + 1
	}
	if st.flags&sDelivered != 0 {
		r.counts.EventsDelivered++
		if st.flags&sSucceeded != 0 {
			r.counts.EventsSucceeded++
		}
		r.resolvePending(k.ek, st, intended)
	}
	st.flags |= sSent
	st.t = intended
}

// resolvePending records the latencies of deliveries that arrived before
// their Sent record.
func (r *Report) resolvePending(ek uint64, st *sentState, intended int64) {
	if st.ep1 != 0 {
		r.resolve(st.inline(), intended, st.ep1, st.typ)
	}
	try := func(ep uint16) {
		if d := r.deliv.get(pairKey(ek, ep)); d != nil {
			r.resolve(d.view(), intended, ep+1, st.typ)
		}
	}
	if st.flags&sPendOverflow != 0 {
		for ep := range r.eps.list {
			try(uint16(ep))
		}
	} else {
		for _, e := range st.eps {
			if e != 0 {
				try(e - 1)
			}
		}
	}
	st.eps = [2]uint16{}
	st.flags &^= sPendOverflow
}

func (st *sentState) addPending(ep uint16) {
	for i, e := range st.eps {
		if e == ep+1 {
			return
		}
		if e == 0 {
			st.eps[i] = ep + 1
			return
		}
	}
	st.flags |= sPendOverflow
}

func statusClass(status int) int {
	switch {
	case status >= 200 && status < 300:
		return 0
	case status >= 300 && status < 400:
		return 1
	case status >= 400 && status < 500:
		return 2
	case status >= 500 && status < 600:
		return 3
	}
	return 4
}

func (r *Report) addAttempt(a *trace.Attempt, k recKeys) {
	r.counts.Attempts++
	r.advance(a.ArrivalNs)
	cls := statusClass(a.Status)
	pt := r.seriesAt(a.ArrivalNs) // valid through this call: record never moves the series
	if pt != nil {
		pt.attempts++
		pt.status[cls]++
	}
	if a.Status >= 0 && a.Status < len(r.status) {
		r.status[a.Status]++
	} else {
		r.status[0]++
	}
	r.sig[a.Sig&15]++
	epi := k.epi
	ep := r.eps.list[epi]
	ep.c.Attempts++
	ep.c.addStatus(cls)
	if a.Sig != trace.SigNone && !a.Sig.OK() {
		ep.c.SigFailed++
	}

	if a.EventID == "" {
		r.counts.AttemptsNoEvent++
		if k.ek == 0 {
			r.counts.AttemptsNoKey++
			return
		}
	}
	ek, dk := k.ek, k.dk
	// The event's state, then its delivery to this endpoint: inline in the
	// event's state for the first endpoint seen, in the delivery table for
	// others and for attempts matched by message id only.
	var st *sentState
	known := false
	if a.EventID != "" {
		st, known = r.sent.upsert(ek)
		if !known {
			st.typ = r.types.index(a.EventType) + 1
		}
	}
	var d dview
	var seen, inline bool
	if st != nil && (st.ep1 == 0 || st.ep1 == epi+1) {
		inline, seen = true, st.ep1 != 0
		st.ep1 = epi + 1
		d = st.inline()
	} else {
		var ds *delivState
		ds, seen = r.deliv.upsert(dk)
		d = ds.view()
	}
	// The sink numbers attempts in arrival order (Nth), but records are
	// written when handled, so a hung first attempt can come after its
	// retry. The first arrival is the Nth == 1 attempt (or, without
	// numbering, the first one seen); a retry seen first opens the state
	// and waits for it (dNoFirst).
	isFirst := a.Nth == 1 || (a.Nth == 0 && !seen)
	first := isFirst && (!seen || *d.meta&dNoFirst != 0)
	if st != nil && !known && !isFirst {
		st.flags |= sLate
	}
	newRetry := false
	var gap int64 = -1
	if seen {
		gap = a.ArrivalNs - *d.last
		if gap < 0 {
			gap = -gap
		} else {
			*d.last = a.ArrivalNs
		}
	} else {
		*d.last = a.ArrivalNs
		if !isFirst {
			*d.meta |= dNoFirst
		}
	}
	if (seen || !isFirst) && *d.meta&dRetried == 0 {
		*d.meta |= dRetried
		r.counts.DeliveriesRetried++
		ep.c.Retried++
		newRetry = true
	}
	if first {
		*d.meta &^= dNoFirst
		r.counts.Deliveries++
		ep.c.Deliveries++
	}
	success := cls == 0
	firstSuccess := success && *d.meta&dSucceeded == 0
	if firstSuccess {
		*d.meta |= dSucceeded
		r.counts.DeliveriesSucceeded++
		ep.c.Succeeded++
	}
	if pt != nil {
		if first {
			pt.first++
		}
		if firstSuccess {
			pt.succ++
		}
	}

	if st == nil { // matched by message id: gaps only
		if gap >= 0 {
			r.record(mGap, gap, epi+1, r.types.index(a.EventType)+1)
		}
		r.track(dk, ek, a, epi, nil, seen)
		return
	}
	ty := r.types.list[st.typ-1]
	ty.c.Attempts++
	if first {
		ty.c.Deliveries++
	}
	if firstSuccess {
		ty.c.Succeeded++
	}
	if newRetry {
		ty.c.Retried++
	}
	ty.c.addStatus(cls)
	if st.flags&sDelivered == 0 {
		st.flags |= sDelivered
		if st.flags&sSent != 0 {
			r.counts.EventsDelivered++
		}
	}
	if success && st.flags&sSucceeded == 0 {
		st.flags |= sSucceeded
		if st.flags&sSent != 0 {
			r.counts.EventsSucceeded++
		}
	}
	if gap >= 0 {
		r.record(mGap, gap, epi+1, st.typ)
	}
	if st.flags&sSent != 0 {
		if first {
			r.record(mE2EFirst, a.ArrivalNs-st.t, epi+1, st.typ)
		}
		if firstSuccess {
			r.record(mE2ESuccess, a.ArrivalNs-st.t, epi+1, st.typ)
		}
	} else {
		if first {
			d.setPendFirst(a.ArrivalNs)
		}
		if firstSuccess {
			d.setPendSucc(a.ArrivalNs)
		}
		if (first || firstSuccess) && !inline {
			st.addPending(epi)
		}
	}
	r.track(dk, ek, a, epi, st, seen)
}

// evictSent accounts for an event state dropped from the matching table
// (and for every state left at Close).
func (r *Report) evictSent(st *sentState) {
	if !r.closed && (st.flags&sSent == 0 || st.flags&sDelivered == 0) {
		r.evictedOpen++
	}
	if st.ep1 != 0 {
		r.accountDelivery(st.meta1)
	}
	switch {
	case st.flags&sSent == 0:
		if st.flags&sLate == 0 {
			r.counts.EventsUnknown++
		}
	case st.flags&sExpect != 0 && st.flags&sDelivered == 0:
		r.counts.EventsUndelivered++
	}
	if st.flags&sExpect != 0 {
		r.counts.EventsExpected++
	}
}

// evictDelivery accounts for a delivery state dropped before it saw a 2xx
// or while waiting for its Sent.
func (r *Report) evictDelivery(d *delivState) { r.accountDelivery(d.meta) }

// accountDelivery counts a delivery state being dropped (or left at Close).
func (r *Report) accountDelivery(meta uint64) {
	if meta&dNoFirst != 0 {
		r.counts.DeliveriesNoFirst++
	}
	if !r.closed && (meta&(dPendFirst|dPendSucc|dNoFirst) != 0 || meta&dSucceeded == 0) {
		r.evictedOpen++
	}
}

func (r *Report) addMark(m *trace.Mark) {
	r.counts.Marks++
	r.advance(m.AtNs)
	if len(r.marks) < r.opts.MaxMarks {
		r.marks = append(r.marks, Mark{
			At:     time.Duration(m.AtNs),
			Type:   strings.Clone(m.Type),
			Name:   strings.Clone(m.Name),
			Detail: strings.Clone(m.Detail),
		})
	}
}

// closeInterval ends the open interval: its series point is made now (so
// the series grows, and coarsens, exactly when it did when the recording
// was done here), and the recording stage turns the interval's histograms
// into series latencies and .hlog intervals.
func (r *Report) closeInterval() {
	if !r.ivlOpen {
		return
	}
	r.ivlOpen = false
	r.series.at(r.ivlStart)
	r.ops.closes = append(r.ops.closes, span{r.ivlStart, r.ivlEnd})
	r.pushOp(histOp{m: opClose})
}

// recordOp adds v to metric m overall and in the groups that keep m (the
// recording stage's half of record).
func (r *Report) recordOp(m int, v int64, ep, ty *group) {
	if !r.metrics[m].record(v) {
		r.oor[m]++
		if ep != nil && ep.m[m] != nil {
			ep.oor[m]++
		}
		if ty != nil && ty.m[m] != nil {
			ty.oor[m]++
		}
		return
	}
	r.ivlMax[m] = max(r.ivlMax[m], v)
	if ep != nil && ep.m[m] != nil {
		ep.m[m].record(v)
	}
	if ty != nil && ty.m[m] != nil {
		ty.m[m].record(v)
	}
}

// closeOp turns the histograms of the interval [start, end) into series
// latencies (added to b.lats, for the matching stage to put into the
// series) and hands them to the .hlog goroutine.
func (r *Report) closeOp(start, end int64, b *opBatch) {
	lat := ivlLat{start: start}
	var vals [4]int64
	for m := range nMetric {
		h := r.ivl[m]
		r.metrics[m].diffInto(h, r.snap[m])
		if h.total == 0 {
			continue
		}
		h.max = r.ivlMax[m]
		r.ivlMax[m] = 0
		h.percentiles(quickPercentiles[:], vals[:])
		lat.q[m] = quick{n: h.total, p50: vals[0], p90: vals[1], p99: vals[2], max: vals[3]}
	}
	b.lats = append(b.lats, lat)
	set := new([nMetric]*hist)
	*set = r.ivl
	prev, done := r.hlogPrev, make(chan struct{})
	r.hlogPrev = done
	go func() {
		if prev != nil {
			<-prev
		}
		for m, h := range set {
			if h.total == 0 {
				continue
			}
			if err := r.hlogs[m].add(&r.enc, start, end, h); err != nil && r.hlogErr == nil {
				r.hlogErr = err
			}
			h.reset()
		}
		r.hlogFree <- set
		close(done)
	}()
	// The next interval's histograms: a returned set, or a new one while
	// fewer than hlogSets exist (which bounds the intervals in flight).
	select {
	case free := <-r.hlogFree:
		r.ivl = *free
		return
	default:
	}
	if r.hlogSets < hlogSets-1 {
		r.hlogSets++
		for m := range nMetric {
			r.ivl[m] = newHist()
		}
		return
	}
	r.ivl = *<-r.hlogFree
}

// hlogSets is how many interval histogram sets exist at most: the one
// being filled and those waiting for their .hlog goroutine.
const hlogSets = 3

// waitHlogs waits until every closed interval is in the .hlog logs.
func (r *Report) waitHlogs() {
	if r.hlogPrev != nil {
		<-r.hlogPrev
	}
	if r.hlogErr != nil && r.err == nil {
		r.err = r.hlogErr
	}
}

var quickPercentiles = [4]float64{50, 90, 99, 100}

// Close finishes the report and returns its summary. Later calls return
// the same summary. The error reports an internal failure (encoding an
// .hlog interval); the summary is complete but for that.
func (r *Report) Close() (*Summary, error) {
	if r.closed {
		return r.sum, r.err
	}
	r.closed = true
	r.closeInterval()
	r.flushOps()
	r.waitHlogs()
	for m := range nMetric {
		if err := r.hlogs[m].emit(&r.enc); err != nil && r.err == nil {
			r.err = err
		}
	}
	for _, t := range r.timelines {
		if !t.hasIntended {
			if st := r.sent.peek(t.ek); st != nil && st.flags&sSent != 0 {
				t.intended, t.hasIntended = st.t, true
			}
		}
	}
	r.sent.each(r.evictSent)
	r.deliv.each(r.evictDelivery)
	r.sum = r.summarize()
	if r.err != nil {
		r.err = fmt.Errorf("build report: %w", r.err)
	}
	return r.sum, r.err
}

// errClosed is returned by Feed for a closed report.
var errClosed = errors.New("report is closed")
