package reports

// Recording values into histograms (cold cache lines, mostly) is a large
// part of a report's work, so it is a stage of its own: the matching stage
// (Add, AddBatch: counts, matching tables, series counts, the clock and the
// interval boundaries) gathers histogram updates as ops, and the recording
// stage applies them in order: on its own goroutine while Feed runs (so
// decoding, matching and recording share the cores), else on the caller's.
// The stages share no mutable state but the ops batches they hand over:
// groups' counts belong to matching, their histograms to recording, and
// the series latencies of closed intervals come back in the batches.

// opClose is histOp.m for the end of an interval.
const opClose = 0xff

// histOp is one update for the recording stage: record v into metric m
// and into the groups of index ep-1 and ty-1 (0: none), or, when m is
// opClose, close the interval of the batch's next span. It holds no
// pointer (16 bytes, nothing for the garbage collector to scan); the
// recording stage finds groups in the groupSets' lists, which never
// move (groupSet.list is allocated at its largest).
type histOp struct {
	v      int64
	ep, ty uint16
	m      uint8
}

// span is a closed interval [start, end).
type span struct{ start, end int64 }

// ivlLat is the series latencies of a closed interval starting at start.
type ivlLat struct {
	start int64
	q     [nMetric]quick
}

// opBatch is a batch of ops with the intervals they close and, once
// applied, those intervals' latencies.
type opBatch struct {
	ops    []histOp
	closes []span
	lats   []ivlLat
}

// opBatchLen is the ops in a batch; opBatches is how many batches the
// recording goroutine may have queued.
const (
	opBatchLen = 2048
	opBatches  = 3
)

func newOpBatch() *opBatch {
	return &opBatch{ops: make([]histOp, 0, opBatchLen), closes: make([]span, 0, 4), lats: make([]ivlLat, 0, 4)}
}

// recorder is the recording goroutine.
type recorder struct {
	in   chan *opBatch // batches to apply, in order
	free chan *opBatch // applied batches, with their lats
	done chan struct{} // closed when the goroutine has applied everything
}

// pushOp adds op to the current batch, handing it over when full.
func (r *Report) pushOp(op histOp) {
	r.ops.ops = append(r.ops.ops, op)
	if len(r.ops.ops) == cap(r.ops.ops) {
		r.flushOps()
	}
}

// flushOps hands the current batch to the recording stage.
func (r *Report) flushOps() {
	if r.rec == nil {
		r.applyOps(r.ops)
		r.mergeLats(r.ops)
		return
	}
	r.rec.in <- r.ops
	r.ops = <-r.rec.free
	r.mergeLats(r.ops)
}

// applyOps is the recording stage's work on one batch.
func (r *Report) applyOps(b *opBatch) {
	eps, types := r.epGroups, r.typeGroups
	closes := b.closes
	for _, op := range b.ops {
		if op.m == opClose {
			r.closeOp(closes[0].start, closes[0].end, b)
			closes = closes[1:]
			continue
		}
		var ep, ty *group
		if op.ep != 0 {
			ep = eps[op.ep-1]
		}
		if op.ty != 0 {
			ty = types[op.ty-1]
		}
		r.recordOp(int(op.m), op.v, ep, ty)
	}
}

// mergeLats adds the latencies of the intervals b closed to the series and
// empties b. Their points exist (closeInterval made them), so the series
// neither grows nor moves: a *point held by the caller stays valid. The
// series may have coarsened since; merging is the same either way.
func (r *Report) mergeLats(b *opBatch) {
	for i := range b.lats {
		l := &b.lats[i]
		pt := &r.series.pts[l.start/r.series.step]
		for m := range l.q {
			pt.lat[m] = r.series.mergeQuick(pt.lat[m], l.q[m])
		}
	}
	b.ops, b.closes, b.lats = b.ops[:0], b.closes[:0], b.lats[:0]
}

// startRecorder moves the recording stage onto a goroutine of its own.
func (r *Report) startRecorder() {
	rc := &recorder{in: make(chan *opBatch, opBatches), free: make(chan *opBatch, opBatches+1), done: make(chan struct{})}
	for range opBatches {
		rc.free <- newOpBatch()
	}
	r.rec = rc
	go func() {
		defer close(rc.done)
		for b := range rc.in {
			r.applyOps(b)
			rc.free <- b
		}
	}()
}

// stopRecorder waits until the recording goroutine has applied every op
// gathered so far and ends it; ops are then applied by the caller again.
func (r *Report) stopRecorder() {
	rc := r.rec
	if rc == nil {
		return
	}
	rc.in <- r.ops
	close(rc.in)
	<-rc.done
	r.rec = nil
	r.ops = nil
	for len(rc.free) > 0 {
		b := <-rc.free
		r.mergeLats(b)
		if r.ops == nil {
			r.ops = b
		}
	}
}
