package trace

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	// flushSize is how much the buffer holds before the flusher is asked
	// to write it out without waiting for the ticker.
	flushSize = 256 << 10
	// maxBuffered is how much the buffer may hold while a write is slow:
	// past it, the record's writer writes the buffer out itself, so memory
	// stays bounded when the disk cannot keep up.
	maxBuffered = 4 * flushSize
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
	kick   chan struct{} // asks the flusher to write now (cap 1)

	// wmu serialises writes to w. Records are appended under mu alone, and
	// the file is written with mu released (the buffers are swapped under
	// it), so a write to the file never holds up the goroutines recording:
	// the sink's handlers, the generator's workers. Lock order: wmu, then
	// mu.
	wmu sync.Mutex
	w   io.Writer

	mu sync.Mutex // guards everything below
	// buf holds complete records not yet written.
	buf []byte
	// spare and spareEnds are the buffers of the last write, reused by the
	// next swap.
	spare     []byte
	spareEnds []int
	// ends holds the end offset in buf of each record a WriteX call
	// appended, so a failed or short write knows how many records it lost.
	ends        []int
	written     uint64 // records that reached the io.Writer whole
	lost        uint64 // records that did not (write errors, writes after Close)
	err         error  // first write error; sticky
	closed      bool
	strs        map[uint64]uint32 // xxhash of an interned string → its index
	prevArrival int64             // Attempt.ArrivalNs is written as a delta from this
}

// FileMode is the permission of trace files: a trace may hold request
// bodies and headers, so only its owner may read it.
const FileMode fs.FileMode = 0o600

// OpenFile creates the file at path for a new trace, with FileMode. It
// refuses a file that exists (the error wraps fs.ErrExist), so a run
// never overwrites a recorded trace, unless overwrite is set.
func OpenFile(path string, overwrite bool) (*os.File, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, FileMode)
	if err != nil {
		return nil, fmt.Errorf("create trace: %w", err)
	}
	if overwrite {
		// An existing file keeps its mode through O_TRUNC.
		_ = f.Chmod(FileMode)
	}
	return f, nil
}

// Create creates (or truncates) the file at path and writes h to it.
func Create(path string, h Header) (*Writer, error) { return CreateFile(path, h, true) }

// CreateFile opens path with OpenFile and writes h to it.
func CreateFile(path string, h Header, overwrite bool) (*Writer, error) {
	f, err := OpenFile(path, overwrite)
	if err != nil {
		return nil, err
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
		kick: make(chan struct{}, 1),
	}
	tw.buf = appendHeader(tw.buf, &h)
	if err := tw.writeOut(); err != nil {
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
		case <-w.kick:
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
	if err := w.refuseLocked(); err != nil {
		w.mu.Unlock()
		return err
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
	w.ends = append(w.ends, len(b))
	return w.appended()
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
	if err := w.refuseLocked(); err != nil {
		w.mu.Unlock()
		return err
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
	w.ends = append(w.ends, len(b))
	return w.appended()
}

// WriteMark appends a Mark record.
func (w *Writer) WriteMark(m *Mark) error {
	w.mu.Lock()
	if err := w.refuseLocked(); err != nil {
		w.mu.Unlock()
		return err
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
	w.ends = append(w.ends, len(b))
	return w.appended()
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

// appended ends a WriteX call: it releases mu, and asks the flusher for a
// write when the buffer is full, or writes it out itself when the flusher
// is too far behind. The caller holds mu.
func (w *Writer) appended() error {
	n, err := len(w.buf), w.err
	w.mu.Unlock()
	switch {
	case n >= maxBuffered:
		return w.Flush()
	case n >= flushSize:
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return err
}

// refuseLocked counts a record that cannot be written (after Close or a
// write error) as lost and says why. The caller holds mu.
func (w *Writer) refuseLocked() error {
	switch {
	case w.closed:
		w.lost++
		return ErrClosed
	case w.err != nil:
		w.lost++
		return w.err
	}
	return nil
}

// writeOut writes the buffered records to the file. The caller holds wmu
// and not mu: the buffer is swapped for the spare under mu, and written
// with mu released.
func (w *Writer) writeOut() error {
	w.mu.Lock()
	if w.err != nil {
		w.dropBufferedLocked() // appended while the failed write was under way
		w.mu.Unlock()
		return w.err
	}
	if len(w.buf) == 0 {
		w.mu.Unlock()
		return nil
	}
	buf, ends := w.buf, w.ends
	w.buf, w.ends = w.spare[:0], w.spareEnds[:0]
	w.mu.Unlock()

	n, err := w.w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		// The records wholly inside the first n bytes reached the file; a
		// reader recovers them and drops the torn one after them.
		kept := 0
		for kept < len(ends) && ends[kept] <= n {
			kept++
		}
		w.written += uint64(kept)
		w.lost += uint64(len(ends) - kept)
		w.err = fmt.Errorf("write trace: %w", err)
		w.dropBufferedLocked() // appended meanwhile: it cannot follow a torn record
	} else {
		w.written += uint64(len(ends))
	}
	if cap(buf) <= maxBuffered+flushSize {
		w.spare, w.spareEnds = buf[:0], ends[:0]
	}
	return w.err
}

// dropBufferedLocked counts the buffered records as lost and frees the
// buffer, after a write failed. The caller holds mu.
func (w *Writer) dropBufferedLocked() {
	w.lost += uint64(len(w.ends))
	w.buf, w.ends = w.buf[:0], w.ends[:0]
}

// Lost returns how many records did not reach the file whole: those in a
// buffer whose write failed, and every one written after the failure or
// after Close. Written and Lost add up to the records written so far.
func (w *Writer) Lost() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}

// Written returns how many records reached the file whole. Records still
// in the buffer count in neither Written nor Lost until the next flush.
func (w *Writer) Written() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Flush writes every buffered record out.
func (w *Writer) Flush() error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.writeOut()
}

// Close flushes, stops the background flusher and closes the file if the
// Writer created it. It is safe to call more than once.
func (w *Writer) Close() error {
	w.wmu.Lock()
	w.mu.Lock()
	if w.closed {
		err := w.err
		w.mu.Unlock()
		w.wmu.Unlock()
		return err
	}
	w.closed = true
	w.mu.Unlock()
	err := w.writeOut()
	w.wmu.Unlock()
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
