package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/hookbench/hookbench/trace"
)

// Source is one trace to feed into a report.
type Source struct {
	Name string    // shown in errors and in Summary.Runs (a file name)
	R    io.Reader // the trace stream
}

// feedBatch is the number of records a decoding goroutine hands over at a
// time; feedBuffered is how many batches each source may have decoded
// ahead of the report.
const (
	feedBatch    = 512
	feedBuffered = 3
)

type batch struct {
	recs []trace.Record
	eks  []uint64 // recordKey of each record, computed while decoding
	n    int
	err  error // set on the last batch of a source: nil at a clean end
	last bool
}

// feeder decodes one source on its own goroutine.
type feeder struct {
	src     Source
	out     chan *batch
	free    chan *batch
	dropped int64
	// consumer state
	cur    *batch
	pos    int
	offset int64
	done   bool
}

// Feed adds every record of the sources to r. Each source is decoded on
// its own goroutine while r consumes (so decoding and reporting use two
// cores). With several sources, their headers are added first, earliest
// StartWall first, and every later time is shifted onto the earliest
// header's clock; records are then merged in time order, so histograms and
// time series are exactly those of one trace holding all the records, and
// an event sent in one trace and delivered in another is matched. Event ids
// must be unique across the sources (gen/run --shard keeps them so).
//
// A truncated last record is tolerated (Summary.Runs[].Dropped and a
// warning); any other decoding error stops Feed and is returned, naming the
// source. Feed returns ctx.Err() when ctx is cancelled.
func Feed(ctx context.Context, r *Report, srcs ...Source) error {
	if r.closed {
		return errClosed
	}
	if len(srcs) == 0 {
		return errors.New("feed report: no trace given")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	fs := make([]*feeder, len(srcs))
	for i, src := range srcs {
		f := &feeder{src: src, out: make(chan *batch, feedBuffered), free: make(chan *batch, feedBuffered+1)}
		for range feedBuffered + 1 {
			f.free <- &batch{recs: make([]trace.Record, feedBatch), eks: make([]uint64, feedBatch)}
		}
		fs[i] = f
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.decode(stop)
		}()
	}
	r.startRecorder()
	err := feed(ctx, r, fs)
	r.stopRecorder()
	close(stop)
	wg.Wait()
	return err
}

// decode runs on the feeder's goroutine until the source ends or stop.
func (f *feeder) decode(stop <-chan struct{}) {
	dec := trace.NewDecoder(f.src.R)
	for {
		var b *batch
		select {
		case b = <-f.free:
		case <-stop:
			return
		}
		b.n, b.err, b.last = 0, nil, false
	fill:
		for b.n < len(b.recs) {
			err := dec.Decode(&b.recs[b.n])
			if err == nil {
				b.eks[b.n] = recordKey(&b.recs[b.n])
				b.n++
				continue
			}
			b.last = true
			var te *trace.TruncatedError
			switch {
			case errors.Is(err, io.EOF):
			case errors.As(err, &te) && te.Index > 0:
				f.dropped = te.Dropped
			default:
				b.err = err
			}
			break fill
		}
		select {
		case f.out <- b:
		case <-stop:
			return
		}
		if b.last {
			return
		}
	}
}

// next makes f.cur hold an unread record, or marks f done.
func (f *feeder) next(ctx context.Context) error {
	for f.cur == nil || f.pos >= f.cur.n {
		if f.cur != nil {
			if f.cur.last {
				f.done = true
				return f.cur.err
			}
			f.free <- f.cur
			f.cur = nil
		}
		select {
		case b := <-f.out:
			f.cur, f.pos = b, 0
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (f *feeder) peek() *trace.Record { return &f.cur.recs[f.pos] }

func feed(ctx context.Context, r *Report, fs []*feeder) error {
	// Headers first: each source starts with one (the decoder checks).
	type hdr struct {
		f *feeder
		h trace.Header
	}
	hs := make([]hdr, 0, len(fs))
	for _, f := range fs {
		if err := f.next(ctx); err != nil {
			return fmt.Errorf("read trace %s: %w", f.src.Name, err)
		}
		if f.done {
			return fmt.Errorf("read trace %s: %w", f.src.Name, trace.ErrNotTrace)
		}
		rec := f.peek()
		if rec.Kind != trace.KindHeader {
			return fmt.Errorf("read trace %s: %w", f.src.Name, trace.ErrNotTrace)
		}
		hs = append(hs, hdr{f, rec.Header})
		f.pos++
	}
	slices.SortStableFunc(hs, func(a, b hdr) int { return a.h.StartWall.Compare(b.h.StartWall) })
	for _, h := range hs {
		r.addHeader(&h.h, h.f.src.Name)
		h.f.offset = int64(h.h.StartWall.Sub(r.base))
	}
	live := slices.Clone(fs)
	for _, f := range live {
		if err := f.next(ctx); err != nil {
			return fmt.Errorf("read trace %s: %w", f.src.Name, err)
		}
	}
	live = slices.DeleteFunc(live, func(f *feeder) bool { return f.done })
	if len(live) == 1 {
		return feedOne(ctx, r, live[0])
	}
	// Merge in time order through a window of copies, so the report still
	// gets batches (AddBatch's cache warming). Copies drop Attempt.Body,
	// which the decoder reuses and the report does not read.
	win := make([]trace.Record, 0, batchLen)
	eks := make([]uint64, 0, batchLen)
	for len(live) > 0 {
		best := 0
		bt := recTime(live[0].peek()) + live[0].offset
		for i := 1; i < len(live); i++ {
			if t := recTime(live[i].peek()) + live[i].offset; t < bt {
				best, bt = i, t
			}
		}
		f := live[best]
		win = append(win, *f.peek())
		rec := &win[len(win)-1]
		rec.Attempt.Body = nil
		shift(rec, f.offset)
		eks = append(eks, f.cur.eks[f.pos])
		if len(win) == cap(win) {
			r.addBatch(win, eks)
			win, eks = win[:0], eks[:0]
		}
		f.pos++
		if err := f.next(ctx); err != nil {
			return fmt.Errorf("read trace %s: %w", f.src.Name, err)
		}
		if f.done {
			r.noteDropped(f.src.Name, f.dropped)
			live = slices.Delete(live, best, best+1)
		}
	}
	r.addBatch(win, eks)
	return nil
}

// feedOne is Feed's loop for a single source: no merging.
func feedOne(ctx context.Context, r *Report, f *feeder) error {
	for !f.done {
		recs := f.cur.recs[f.pos:f.cur.n]
		if f.offset != 0 {
			for i := range recs {
				shift(&recs[i], f.offset)
			}
		}
		r.addBatch(recs, f.cur.eks[f.pos:f.cur.n])
		f.pos = f.cur.n
		if err := f.next(ctx); err != nil {
			return fmt.Errorf("read trace %s: %w", f.src.Name, err)
		}
	}
	r.noteDropped(f.src.Name, f.dropped)
	return nil
}

// recTime is the time a record was written at, which orders a trace.
func recTime(rec *trace.Record) int64 {
	switch rec.Kind {
	case trace.KindSent:
		return rec.Sent.SentNs + rec.Sent.LatencyNs
	case trace.KindAttempt:
		return rec.Attempt.ArrivalNs
	case trace.KindMark:
		return rec.Mark.AtNs
	}
	return 0
}

// shift moves a record's times by off nanoseconds.
func shift(rec *trace.Record, off int64) {
	switch rec.Kind {
	case trace.KindSent:
		if rec.Sent.IntendedNs != 0 {
			rec.Sent.IntendedNs += off
		}
		rec.Sent.SentNs += off
	case trace.KindAttempt:
		rec.Attempt.ArrivalNs += off
	case trace.KindMark:
		rec.Mark.AtNs += off
	}
}

// FeedFiles opens the trace files and feeds them to r (see Feed).
func FeedFiles(ctx context.Context, r *Report, paths ...string) error {
	srcs := make([]Source, 0, len(paths))
	for _, p := range paths {
		f, err := openFile(p)
		if err != nil {
			for _, s := range srcs {
				s.R.(io.Closer).Close()
			}
			return err
		}
		srcs = append(srcs, Source{Name: p, R: f})
	}
	defer func() {
		for _, s := range srcs {
			s.R.(io.Closer).Close()
		}
	}()
	return Feed(ctx, r, srcs...)
}

func openFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open trace: %w", err)
	}
	return f, nil
}
