package trace

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
)

// FlushInterval is the longest a complete record waits in the writer's
// buffer before it reaches the file, so a killed process loses at most this
// much of the run.
const FlushInterval = 100 * time.Millisecond

// Writer limits.
const (
	// flushSize is how much the buffer holds before it is written out
	// without waiting for the ticker.
	flushSize = 256 << 10
	// maxInterned bounds the writer's (and every reader's) string table;
	// when it is full the table starts over, so memory stays bounded on
	// runs of any length.
	maxInterned = 1 << 18
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("trace: writer closed")

// NewHeader returns a header for a run starting now, with a random run id.
// The returned StartWall keeps its monotonic clock reading, so Writer.Now
// is immune to wall-clock steps.
func NewHeader(args []string, version string) Header {
	var id [8]byte
	_, _ = rand.Read(id[:])
	return Header{
		Version:   FormatVersion,
		RunID:     hex.EncodeToString(id[:]),
		StartWall: time.Now(),
		Args:      args,
		Hookbench: version,
	}
}

// Writer appends records to a trace. It is safe for concurrent use; the
// WriteX methods copy what they need, so callers may reuse their records.
// Records are buffered and flushed at least every FlushInterval.
type Writer struct {
	base   time.Time
	closer io.Closer // nil when the caller owns the io.Writer
	stop   chan struct{}
	done   chan struct{}

	mu sync.Mutex // guards everything below
	w  io.Writer
	// buf holds complete records not yet written.
	buf         []byte
	err         error // first write error; sticky
	closed      bool
	strs        map[uint64]uint32 // xxhash of an interned string → its index
	prevArrival int64             // Attempt.ArrivalNs is written as a delta from this
}

// Create creates (or truncates) the file at path and writes h to it.
func Create(path string, h Header) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create trace: %w", err)
	}
	w, err := newWriter(f, h)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.closer = f
	return w, nil
}

// NewWriter writes h to w and returns a Writer appending to it. The caller
// keeps ownership of w; Close flushes but does not close it.
func NewWriter(w io.Writer, h Header) (*Writer, error) { return newWriter(w, h) }

func newWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Version == 0 {
		h.Version = FormatVersion
	}
	if h.StartWall.IsZero() {
		h.StartWall = time.Now()
	}
	tw := &Writer{
		base: h.StartWall,
		w:    w,
		buf:  make([]byte, 0, flushSize+4096),
		strs: make(map[uint64]uint32, 1024),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	tw.buf = appendHeader(tw.buf, &h)
	if err := tw.flushLocked(); err != nil {
		return nil, err
	}
	go tw.flusher()
	return tw, nil
}

func (w *Writer) flusher() {
	defer close(w.done)
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.Flush()
		}
	}
}

// Now returns nanoseconds since the header's StartWall, on the monotonic clock.
func (w *Writer) Now() int64 { return int64(time.Since(w.base)) }

// At returns t - StartWall in nanoseconds.
func (w *Writer) At(t time.Time) int64 { return int64(t.Sub(w.base)) }

// Base returns the header's StartWall.
func (w *Writer) Base() time.Time { return w.base }

// WriteSent appends a Sent record.
func (w *Writer) WriteSent(s *Sent) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.reserve(5)
	ev, typ, key := w.intern(s.EventID), w.intern(s.Type), w.intern(s.IdemKey)
	pid, dup := w.intern(s.ProviderID), w.intern(s.DuplicateOf)
	b := appendArray(w.buf, 11)
	b = append(b, byte(KindSent))
	b = appendUint(b, uint64(ev))
	b = appendUint(b, uint64(typ))
	b = appendInt(b, s.IntendedNs)
	b = appendInt(b, s.SentNs)
	b = appendInt(b, s.LatencyNs)
	b = appendInt(b, int64(s.Status))
	b = appendUint(b, uint64(s.Err))
	b = appendUint(b, uint64(key))
	b = appendUint(b, uint64(pid))
	b = appendUint(b, uint64(dup))
	w.buf = b
	return w.maybeFlushLocked()
}

// Attempt records have attemptFields fields, then optional trailing ones
// that older traces lack: Method (attemptMethodFields), the CloudEvents
// attributes (attemptCEFields), then SigVariant (attemptVariantFields).
// The writer writes the trailing fields only up to the last one that is
// set, so a plain attempt stays as small as before.
const (
	attemptFields        = 18
	attemptMethodFields  = 1
	attemptCEFields      = 3
	attemptVariantFields = 1
)

// WriteAttempt appends an Attempt record. It does not allocate once the
// strings it names are interned.
func (w *Writer) WriteAttempt(a *Attempt) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	n := attemptFields
	switch {
	case a.SigVariant != SigVariantNone:
		n += attemptMethodFields + attemptCEFields + attemptVariantFields
	case a.CE != 0:
		n += attemptMethodFields + attemptCEFields
	case a.Method != "":
		n += attemptMethodFields
	}
	w.reserve(8)
	ep, msg, ev := w.intern(a.Endpoint), w.intern(a.MsgID), w.intern(a.EventID)
	typ, beh, method := w.intern(a.EventType), w.intern(a.Behavior), w.intern(a.Method)
	var ceID, ceType uint32
	if a.CE != 0 {
		ceID, ceType = w.intern(a.CEID), w.intern(a.CEType)
	}
	b := appendArray(w.buf, n)
	b = append(b, byte(KindAttempt))
	b = appendUint(b, uint64(ep))
	b = appendUint(b, uint64(msg))
	b = appendUint(b, uint64(ev))
	b = appendUint(b, uint64(typ))
	b = appendUint(b, uint64(a.Nth))
	b = appendUint(b, uint64(a.ProviderN))
	b = appendInt(b, a.ArrivalNs-w.prevArrival)
	w.prevArrival = a.ArrivalNs
	b = appendInt(b, a.HandleNs)
	b = appendInt(b, int64(a.Status))
	b = appendUint(b, uint64(a.Sig))
	b = appendInt(b, a.SkewMs)
	b = appendInt(b, int64(a.Size))
	b = appendUint(b, a.BodyHash)
	b = appendUint(b, uint64(beh))
	b = appendUint(b, uint64(a.Flags))
	b = appendInt(b, a.RetryAfter)
	b = appendBin(b, a.Body)
	if n > attemptFields {
		b = appendUint(b, uint64(method))
	}
	if n >= attemptFields+attemptMethodFields+attemptCEFields {
		b = appendUint(b, uint64(a.CE))
		b = appendUint(b, uint64(ceID))
		b = appendUint(b, uint64(ceType))
	}
	if n >= attemptFields+attemptMethodFields+attemptCEFields+attemptVariantFields {
		b = appendUint(b, uint64(a.SigVariant))
	}
	w.buf = b
	return w.maybeFlushLocked()
}

// WriteMark appends a Mark record.
func (w *Writer) WriteMark(m *Mark) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.reserve(2)
	typ, name := w.intern(m.Type), w.intern(m.Name)
	b := appendArray(w.buf, 5)
	b = append(b, byte(KindMark))
	b = appendInt(b, m.AtNs)
	b = appendUint(b, uint64(typ))
	b = appendUint(b, uint64(name))
	b = appendStr(b, m.Detail)
	w.buf = b
	return w.maybeFlushLocked()
}

// intern returns the table index of s, writing a string definition record
// first when s is new. Index 0 is the empty string. The caller holds mu.
func (w *Writer) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	h := xxhash.Sum64String(s)
	if i, ok := w.strs[h]; ok {
		return i
	}
	i := uint32(len(w.strs) + 1)
	w.strs[h] = i
	w.buf = appendArray(w.buf, 3)
	w.buf = append(w.buf, byte(kindString))
	w.buf = appendUint(w.buf, uint64(i))
	w.buf = appendStr(w.buf, s)
	return i
}

// reserve makes room for n new strings in the table, starting it over when
// it is full, so that no index a record uses goes stale mid-record. Readers
// start over on kindReset too. The caller holds mu.
func (w *Writer) reserve(n int) {
	if len(w.strs)+n > maxInterned {
		clear(w.strs)
		w.buf = appendArray(w.buf, 1)
		w.buf = append(w.buf, byte(kindReset))
	}
}

func (w *Writer) maybeFlushLocked() error {
	if len(w.buf) >= flushSize {
		return w.flushLocked()
	}
	return w.err
}

func (w *Writer) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("write trace: %w", err)
	}
	return w.err
}

// Flush writes every buffered record out.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close flushes, stops the background flusher and closes the file if the
// Writer created it. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return w.err
	}
	w.closed = true
	err := w.flushLocked()
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	if w.closer != nil {
		if s, ok := w.closer.(interface{ Sync() error }); ok && err == nil {
			err = s.Sync()
		}
		if cerr := w.closer.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close trace: %w", cerr)
		}
	}
	return err
}

func appendHeader(b []byte, h *Header) []byte {
	b = appendArray(b, 6)
	b = append(b, byte(KindHeader))
	b = appendInt(b, int64(h.Version))
	b = appendStr(b, h.RunID)
	b = appendInt(b, h.StartWall.UnixNano())
	b = appendArray(b, len(h.Args))
	for _, a := range h.Args {
		b = appendStr(b, a)
	}
	return appendStr(b, h.Hookbench)
}
