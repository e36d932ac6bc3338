package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
	"unsafe"
)

// Decoder limits: a corrupt length must not make the reader allocate
// gigabytes.
const (
	maxStrLen   = 16 << 20
	maxArrayLen = 1 << 16
)

// TruncatedError reports a trace whose last record is incomplete, as a
// killed writer leaves it. Every record before it was read.
type TruncatedError struct {
	Index   int   // index of the incomplete record
	Offset  int64 // byte offset where it starts
	Dropped int64 // bytes of it present in the file
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("trace: record %d at byte %d is truncated (%d bytes dropped): %v", e.Index, e.Offset, e.Dropped, io.ErrUnexpectedEOF)
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *TruncatedError) Unwrap() error { return io.ErrUnexpectedEOF }

// CorruptError reports bytes that are not a valid trace record.
type CorruptError struct {
	Index  int   // index of the bad record (0 = header)
	Offset int64 // byte offset where that record starts
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("trace: corrupt record %d at byte %d: %v", e.Index, e.Offset, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ErrNotTrace is wrapped by the error for input that does not start with a
// trace header.
var ErrNotTrace = errors.New("not a hookbench trace (no header record)")

// Decoder reads records from a trace stream. It is not safe for concurrent
// use.
type Decoder struct {
	r      io.Reader
	buf    []byte // buf[pos:] is read but not yet decoded
	pos    int
	eof    bool  // r returned io.EOF
	rerr   error // r's error other than EOF
	base   int64 // stream offset of buf[0]
	index  int   // records returned (string records excluded)
	strs   []string
	arena  []byte // backs interned strings; bytes once used are never written again
	prevAt int64
	header bool
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, buf: make([]byte, 0, 64<<10), strs: []string{""}}
}

// Offset returns the number of bytes decoded so far.
func (d *Decoder) Offset() int64 { return d.base + int64(d.pos) }

// errShort means the buffer ends inside the value being read.
var errShort = errors.New("short buffer")

// fill reads more input, keeping buf[pos:]. It reports false when nothing
// more can come.
func (d *Decoder) fill() bool {
	if d.eof || d.rerr != nil {
		return false
	}
	if d.pos > 0 {
		n := copy(d.buf, d.buf[d.pos:])
		d.base += int64(d.pos)
		d.buf, d.pos = d.buf[:n], 0
	}
	if len(d.buf) == cap(d.buf) {
		nb := make([]byte, len(d.buf), 2*cap(d.buf))
		copy(nb, d.buf)
		d.buf = nb
	}
	n, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
	d.buf = d.buf[:len(d.buf)+n]
	if err == io.EOF {
		d.eof = true
	} else if err != nil {
		d.rerr = err
	}
	return n > 0 || (!d.eof && d.rerr == nil)
}

// Decode reads the next record into rec, reusing rec's storage where it
// can. It returns io.EOF after the last record, a *TruncatedError when the
// stream ends inside a record, and a *CorruptError for invalid bytes; after
// either error the Decoder is unusable. String fields of rec stay valid;
// Attempt.Body is reused by the next call.
func (d *Decoder) Decode(rec *Record) error {
	for {
		if d.pos >= len(d.buf) && !d.fill() {
			if d.rerr != nil {
				return fmt.Errorf("read trace: %w", d.rerr)
			}
			if !d.header {
				return &CorruptError{Index: 0, Offset: 0, Err: ErrNotTrace}
			}
			return io.EOF
		}
		start := d.pos
		kind, err := d.record(rec)
		if err == errShort {
			d.pos = start
			if d.fill() {
				continue
			}
			if d.rerr != nil {
				return fmt.Errorf("read trace: %w", d.rerr)
			}
			// fill may have moved the record to the front of buf: d.pos,
			// not start, is where it begins now.
			return &TruncatedError{Index: d.index, Offset: d.base + int64(d.pos), Dropped: int64(len(d.buf) - d.pos)}
		}
		if err != nil {
			return &CorruptError{Index: d.index, Offset: d.base + int64(start), Err: err}
		}
		if kind == kindString || kind == kindReset {
			continue
		}
		d.index++
		return nil
	}
}

func (d *Decoder) record(rec *Record) (Kind, error) {
	n, err := d.arrayLen()
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, errors.New("empty record")
	}
	k, err := d.uint()
	if err != nil {
		return 0, err
	}
	kind := Kind(k)
	if !d.header && kind != KindHeader {
		return 0, ErrNotTrace
	}
	want := fieldCount(kind)
	if want == 0 {
		return 0, fmt.Errorf("unknown record kind %d", k)
	}
	if n < want {
		return 0, fmt.Errorf("%s record has %d fields, want at least %d", kind, n, want)
	}
	// A string definition must not be applied twice when a short buffer
	// makes the record be read again, so it is parsed before it changes
	// any state; so are the other kinds (prevAt is restored on errShort).
	prevAt := d.prevAt
	rec.Kind = kind
	switch kind {
	case KindHeader:
		err = d.readHeader(&rec.Header)
	case KindSent:
		err = d.readSent(&rec.Sent)
	case KindAttempt:
		var used int
		used, err = d.readAttempt(&rec.Attempt, n-want)
		want += used
	case KindMark:
		err = d.readMark(&rec.Mark)
	case kindString:
		err = d.readString(n - want)
		return kind, err
	case kindReset:
	}
	if err == nil {
		// Fields a newer writer added are skipped.
		for i := want; i < n && err == nil; i++ {
			err = d.skip(0)
		}
	}
	if err == errShort {
		d.prevAt = prevAt
		if kind == KindHeader {
			d.header = false
		}
		return kind, err
	}
	if err == nil && kind == kindReset {
		d.strs = d.strs[:1]
	}
	return kind, err
}

func (d *Decoder) readHeader(h *Header) error {
	if d.header {
		return errors.New("second header record")
	}
	v, err := d.int()
	if err != nil {
		return err
	}
	if v != FormatVersion {
		return fmt.Errorf("trace format version %d, this hookbench reads version %d", v, FormatVersion)
	}
	h.Version = int(v)
	if h.RunID, err = d.str(); err != nil {
		return err
	}
	ns, err := d.int()
	if err != nil {
		return err
	}
	h.StartWall = time.Unix(0, ns)
	n, err := d.arrayLen()
	if err != nil {
		return err
	}
	h.Args = make([]string, n)
	for i := range h.Args {
		if h.Args[i], err = d.str(); err != nil {
			return err
		}
	}
	if h.Hookbench, err = d.str(); err != nil {
		return err
	}
	d.header = true
	return nil
}

func (d *Decoder) readSent(s *Sent) (err error) {
	if err = d.refs(&s.EventID, &s.Type); err != nil {
		return err
	}
	var v [5]int64
	if err = d.ints(v[:]); err != nil {
		return err
	}
	s.IntendedNs, s.SentNs, s.LatencyNs, s.Status, s.Err = v[0], v[1], v[2], int(v[3]), ErrKind(v[4])
	if s.IdemKey, err = d.ref(); err != nil {
		return err
	}
	if s.ProviderID, err = d.ref(); err != nil {
		return err
	}
	s.DuplicateOf, err = d.ref()
	return err
}

// readAttempt reads an Attempt: the attemptFields every trace has, then as
// many of the optional trailing fields (Method, the CloudEvents ones, then
// SigVariant) as the record carries, and returns how many of those it
// used. Fields the record lacks are zero: the Decoder reuses the Record.
func (d *Decoder) readAttempt(a *Attempt, extra int) (used int, err error) {
	err = d.readAttemptBase(a)
	a.Method, a.CE, a.CEID, a.CEType, a.SigVariant = "", 0, "", "", SigVariantNone
	if err != nil || extra < attemptMethodFields {
		return 0, err
	}
	if a.Method, err = d.ref(); err != nil {
		return 0, err
	}
	used = attemptMethodFields
	if extra < used+attemptCEFields {
		return used, nil
	}
	ce, err := d.uint()
	if err != nil {
		return 0, err
	}
	if a.CEID, err = d.ref(); err != nil {
		return 0, err
	}
	if a.CEType, err = d.ref(); err != nil {
		return 0, err
	}
	a.CE = CEAttrs(ce)
	used += attemptCEFields
	if extra < used+attemptVariantFields {
		return used, nil
	}
	sv, err := d.uint()
	if err != nil {
		return 0, err
	}
	a.SigVariant = SigVariant(sv)
	return used + attemptVariantFields, nil
}

func (d *Decoder) readAttemptBase(a *Attempt) (err error) {
	if err = d.refs(&a.Endpoint, &a.MsgID, &a.EventID, &a.EventType); err != nil {
		return err
	}
	var v [8]int64
	if err = d.ints(v[:]); err != nil {
		return err
	}
	d.prevAt += v[2]
	a.Nth, a.ProviderN, a.ArrivalNs, a.HandleNs = uint32(v[0]), uint32(v[1]), d.prevAt, v[3]
	a.Status, a.Sig, a.SkewMs, a.Size = int(v[4]), SigResult(v[5]), v[6], int(v[7])
	if a.BodyHash, err = d.uint(); err != nil {
		return err
	}
	if a.Behavior, err = d.ref(); err != nil {
		return err
	}
	var f, ra int64
	if f, err = d.int(); err != nil {
		return err
	}
	if ra, err = d.int(); err != nil {
		return err
	}
	a.Flags, a.RetryAfter = uint8(f), ra
	a.Body, err = d.bin(a.Body[:0])
	return err
}

func (d *Decoder) readMark(m *Mark) error {
	var err error
	if m.AtNs, err = d.int(); err != nil {
		return err
	}
	if m.Type, err = d.ref(); err != nil {
		return err
	}
	if m.Name, err = d.ref(); err != nil {
		return err
	}
	m.Detail, err = d.str()
	return err
}

// readString parses a string definition, skips extra fields, and only then
// adds it to the table, so a re-read after a short buffer adds it once.
func (d *Decoder) readString(extra int) error {
	i, err := d.uint()
	if err != nil {
		return err
	}
	s, err := d.strBytes()
	if err != nil {
		return err
	}
	for j := 0; j < extra; j++ {
		if err := d.skip(0); err != nil {
			return err
		}
	}
	if i != uint64(len(d.strs)) || i > maxInterned {
		return fmt.Errorf("string definition %d out of sequence (table has %d)", i, len(d.strs)-1)
	}
	d.strs = append(d.strs, d.intern(s))
	return nil
}

// Interned strings are cut from shared chunks of arenaChunk bytes: a trace
// defines one string per event and message id, and allocating each one on
// its own was a large part of decoding. A string kept by the caller pins
// its chunk, so chunks stay small.
const (
	arenaChunk = 4 << 10
	arenaMax   = 256 // longer strings get their own allocation
)

// intern returns a string with the bytes of s, which may live in the
// decoder's arena. The arena is append-only: bytes behind a returned string
// are never modified, which is what makes unsafe.String sound here.
func (d *Decoder) intern(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > arenaMax {
		return string(s)
	}
	if cap(d.arena)-len(d.arena) < len(s) {
		d.arena = make([]byte, 0, arenaChunk)
	}
	off := len(d.arena)
	d.arena = append(d.arena, s...)
	return unsafe.String(&d.arena[off], len(s))
}

// ref reads a string reference; a one-byte index is read here, without
// a call.
func (d *Decoder) ref() (string, error) {
	var i uint64
	if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 {
		i = uint64(d.buf[d.pos])
		d.pos++
	} else {
		var err error
		if i, err = d.uint(); err != nil {
			return "", err
		}
	}
	if i >= uint64(len(d.strs)) {
		return "", fmt.Errorf("string reference %d undefined (table has %d)", i, len(d.strs)-1)
	}
	return d.strs[i], nil
}

// refs reads a string reference into each of dst, in one loop like ints.
func (d *Decoder) refs(dst ...*string) error {
	buf, pos, strs := d.buf, d.pos, d.strs
	for _, p := range dst {
		var i uint64
		if pos < len(buf) && buf[pos] < 0x80 {
			i = uint64(buf[pos])
			pos++
		} else {
			d.pos = pos
			var err error
			if i, err = d.uint(); err != nil {
				return err
			}
			pos = d.pos
		}
		if i >= uint64(len(strs)) {
			d.pos = pos
			return fmt.Errorf("string reference %d undefined (table has %d)", i, len(strs)-1)
		}
		*p = strs[i]
	}
	d.pos = pos
	return nil
}

// ints reads len(v) integers. One-byte values, the most common, are read
// in this loop without a call.
func (d *Decoder) ints(v []int64) error {
	buf, pos := d.buf, d.pos
	for i := range v {
		if pos < len(buf) && buf[pos] < 0x80 {
			v[i] = int64(buf[pos])
			pos++
			continue
		}
		d.pos = pos
		x, err := d.int()
		if err != nil {
			return err
		}
		v[i] = x
		pos = d.pos
	}
	d.pos = pos
	return nil
}

// Low-level readers over buf[pos:]. They return errShort when the value
// runs past the buffer.

func (d *Decoder) take(k int) ([]byte, error) {
	if len(d.buf)-d.pos < k {
		return nil, errShort
	}
	p := d.buf[d.pos : d.pos+k]
	d.pos += k
	return p, nil
}

func (d *Decoder) byte() (byte, error) {
	if d.pos >= len(d.buf) {
		return 0, errShort
	}
	c := d.buf[d.pos]
	d.pos++
	return c, nil
}

func (d *Decoder) arrayLen() (int, error) {
	c, err := d.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), nil
	case c == 0xdc:
		p, err := d.take(2)
		if err != nil {
			return 0, err
		}
		return int(binary.BigEndian.Uint16(p)), nil
	case c == 0xdd:
		p, err := d.take(4)
		if err != nil {
			return 0, err
		}
		n := binary.BigEndian.Uint32(p)
		if n > maxArrayLen {
			return 0, fmt.Errorf("array of %d elements is too long", n)
		}
		return int(n), nil
	}
	return 0, fmt.Errorf("expected an array, found byte 0x%02x", c)
}

// intPayload is the payload size of the integer type bytes 0xcc..0xd3
// (uint8..uint64, int8..int64).
var intPayload = [8]uint8{1, 2, 4, 8, 1, 2, 4, 8}

// int reads a msgpack integer of any encoding.
func (d *Decoder) int() (int64, error) {
	if d.pos >= len(d.buf) {
		return 0, errShort
	}
	c := d.buf[d.pos]
	if c < 0x80 {
		d.pos++
		return int64(c), nil
	}
	if c >= 0xe0 {
		d.pos++
		return int64(int8(c)), nil
	}
	if c < 0xcc || c > 0xd3 {
		return 0, fmt.Errorf("expected an integer, found byte 0x%02x", c)
	}
	size := int(intPayload[c-0xcc])
	if len(d.buf)-d.pos >= 9 {
		// Most of a trace is far from the buffer's end: read the payload
		// as one 8-byte load and shift it down to size bytes.
		x := binary.BigEndian.Uint64(d.buf[d.pos+1 : d.pos+9])
		shift := uint(64 - 8*size)
		d.pos += 1 + size
		if c >= 0xd0 {
			return int64(x) >> shift, nil
		}
		if x >>= shift; x > math.MaxInt64 {
			d.pos -= 1 + size
			return 0, fmt.Errorf("integer %d overflows int64", x)
		}
		return int64(x), nil
	}
	p, err := d.take(1 + size)
	if err != nil {
		return 0, err
	}
	p = p[1:]
	switch c {
	case 0xcc:
		return int64(p[0]), nil
	case 0xcd:
		return int64(binary.BigEndian.Uint16(p)), nil
	case 0xce:
		return int64(binary.BigEndian.Uint32(p)), nil
	case 0xcf:
		v := binary.BigEndian.Uint64(p)
		if v > math.MaxInt64 {
			return 0, fmt.Errorf("integer %d overflows int64", v)
		}
		return int64(v), nil
	case 0xd0:
		return int64(int8(p[0])), nil
	case 0xd1:
		return int64(int16(binary.BigEndian.Uint16(p))), nil
	case 0xd2:
		return int64(int32(binary.BigEndian.Uint32(p))), nil
	}
	return int64(binary.BigEndian.Uint64(p)), nil
}

// uint reads a msgpack unsigned integer.
func (d *Decoder) uint() (uint64, error) {
	if d.pos >= len(d.buf) {
		return 0, errShort
	}
	c := d.buf[d.pos]
	if c < 0x80 {
		d.pos++
		return uint64(c), nil
	}
	if c < 0xcc || c > 0xcf {
		return 0, fmt.Errorf("expected an unsigned integer, found byte 0x%02x", c)
	}
	size := int(intPayload[c-0xcc])
	if len(d.buf)-d.pos >= 9 {
		x := binary.BigEndian.Uint64(d.buf[d.pos+1 : d.pos+9])
		d.pos += 1 + size
		return x >> uint(64-8*size), nil
	}
	p, err := d.take(1 + size)
	if err != nil {
		return 0, err
	}
	p = p[1:]
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// strLen reads the length of a str or bin value whose type byte is c.
func (d *Decoder) strLen(c byte) (int, bool, error) {
	var n int
	switch {
	case c&0xe0 == 0xa0:
		return int(c & 0x1f), true, nil
	case c == 0xd9 || c == 0xc4:
		p, err := d.take(1)
		if err != nil {
			return 0, true, err
		}
		n = int(p[0])
	case c == 0xda || c == 0xc5:
		p, err := d.take(2)
		if err != nil {
			return 0, true, err
		}
		n = int(binary.BigEndian.Uint16(p))
	case c == 0xdb || c == 0xc6:
		p, err := d.take(4)
		if err != nil {
			return 0, true, err
		}
		n = int(binary.BigEndian.Uint32(p))
	default:
		return 0, false, nil
	}
	if n > maxStrLen {
		return 0, true, fmt.Errorf("string of %d bytes is too long", n)
	}
	return n, true, nil
}

// strBytes returns a str value's bytes, valid until the next fill.
func (d *Decoder) strBytes() ([]byte, error) {
	c, err := d.byte()
	if err != nil {
		return nil, err
	}
	n, ok, err := d.strLen(c)
	if err != nil {
		return nil, err
	}
	if !ok || (c >= 0xc4 && c <= 0xc6) {
		return nil, fmt.Errorf("expected a string, found byte 0x%02x", c)
	}
	return d.take(n)
}

func (d *Decoder) str() (string, error) {
	p, err := d.strBytes()
	return string(p), err
}

func (d *Decoder) bin(dst []byte) ([]byte, error) {
	c, err := d.byte()
	if err != nil {
		return nil, err
	}
	if c == 0xc0 {
		return nil, nil
	}
	if c < 0xc4 || c > 0xc6 {
		return nil, fmt.Errorf("expected binary or nil, found byte 0x%02x", c)
	}
	n, _, err := d.strLen(c)
	if err != nil {
		return nil, err
	}
	p, err := d.take(n)
	if err != nil {
		return nil, err
	}
	return append(dst, p...), nil
}

// skip reads past one value of any msgpack type.
func (d *Decoder) skip(depth int) error {
	if depth > 32 {
		return errors.New("values nested too deeply")
	}
	c, err := d.byte()
	if err != nil {
		return err
	}
	switch {
	case c < 0x80 || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return nil
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf: // maps
		n := int(c & 0x0f)
		if c == 0xde || c == 0xdf {
			k := 2
			if c == 0xdf {
				k = 4
			}
			p, err := d.take(k)
			if err != nil {
				return err
			}
			if k == 2 {
				n = int(binary.BigEndian.Uint16(p))
			} else {
				n = int(binary.BigEndian.Uint32(p))
			}
		}
		if n > maxArrayLen {
			return fmt.Errorf("map of %d entries is too long", n)
		}
		for i := 0; i < 2*n; i++ {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		d.pos--
		n, err := d.arrayLen()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
	if n, ok, err := d.strLen(c); ok {
		if err != nil {
			return err
		}
		_, err = d.take(n)
		return err
	}
	if k := intSize(c); k > 0 {
		_, err := d.take(k)
		return err
	}
	if c >= 0xc7 && c <= 0xc9 { // ext 8/16/32
		k := 1 << (c - 0xc7)
		p, err := d.take(k)
		if err != nil {
			return err
		}
		var n int
		switch k {
		case 1:
			n = int(p[0])
		case 2:
			n = int(binary.BigEndian.Uint16(p))
		default:
			n = int(binary.BigEndian.Uint32(p))
		}
		if n > maxStrLen {
			return fmt.Errorf("ext of %d bytes is too long", n)
		}
		_, err = d.take(n + 1)
		return err
	}
	return fmt.Errorf("invalid msgpack byte 0x%02x", c)
}

// Trace is a whole run held in memory, as the conformance checks read it.
type Trace struct {
	Header   Header
	Sent     []Sent
	Attempts []Attempt
	Marks    []Mark
	// Dropped is the size of an incomplete last record, 0 when the file
	// ended cleanly.
	Dropped int64
}

// Read decodes a whole trace. A truncated last record is tolerated and
// reported in Dropped; corruption is an error naming record and offset.
func Read(r io.Reader) (*Trace, error) {
	d := NewDecoder(r)
	t := &Trace{}
	var rec Record
	for {
		err := d.Decode(&rec)
		if err == io.EOF {
			return t, nil
		}
		var te *TruncatedError
		if errors.As(err, &te) {
			if t.Header.Version == 0 {
				return nil, err
			}
			t.Dropped = te.Dropped
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		switch rec.Kind {
		case KindHeader:
			t.Header = rec.Header
		case KindSent:
			t.Sent = append(t.Sent, rec.Sent)
		case KindAttempt:
			a := rec.Attempt
			if a.Body != nil {
				a.Body = append([]byte(nil), a.Body...)
			}
			t.Attempts = append(t.Attempts, a)
		case KindMark:
			t.Marks = append(t.Marks, rec.Mark)
		}
	}
}

// ReadFile reads the trace file at path (see Read).
func ReadFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open trace: %w", err)
	}
	defer f.Close()
	t, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("read trace %s: %w", path, err)
	}
	return t, nil
}

func fieldCount(k Kind) int {
	switch k {
	case KindHeader:
		return 6
	case KindSent:
		return 11
	case KindAttempt:
		return attemptFields
	case KindMark:
		return 5
	case kindString:
		return 3
	case kindReset:
		return 1
	}
	return 0
}

// intSize returns the payload size of fixed-size msgpack types (ints,
// floats, fixext), 0 for others.
func intSize(c byte) int {
	switch c {
	case 0xcc, 0xd0:
		return 1
	case 0xcd, 0xd1, 0xd4:
		return 2
	case 0xd5:
		return 3
	case 0xce, 0xd2, 0xca:
		return 4
	case 0xd6:
		return 5
	case 0xcf, 0xd3, 0xcb:
		return 8
	case 0xd7:
		return 9
	case 0xd8:
		return 17
	}
	return 0
}
