package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every distribution in a report. Values are
// nanoseconds. These are the HdrHistogram parameters written into JSON and
// into every .hlog interval, so histograms from different reports (and
// different machines) merge losslessly.
const (
	// HistLowest is the lowest discernible value: 1 µs. Values below it are
	// still recorded, with a resolution of 512 ns.
	HistLowest = time.Microsecond
	// HistHighest is the highest trackable value: 1 h. Larger values (and
	// negative ones) are counted as out of range, not recorded.
	HistHighest = time.Hour
	// HistDigits is the number of significant decimal digits kept: every
	// recorded value is exact to within 0.1 %.
	HistDigits = 3
)

// GroupDigits is the precision of per-endpoint and per-event-type
// histograms: 2 significant digits (1 %) keeps dozens of them small
// enough to stay in cache while recording. Whole-run metrics, interval
// histograms and .hlog files use HistDigits.
const GroupDigits = 2

// V2 encoding constants.
const (
	encodingCookie       = 0x1c849303 | 0x10
	compressedCookie     = 0x1c849304 | 0x10
	encodingHeaderLength = 40
)

// geom is an HdrHistogram geometry over HistLowest..HistHighest: the same
// numbers hdrhistogram-go computes in New (hist_test.go checks them).
type geom struct {
	digits           int
	unitMagnitude    int32 // floor(log2(lowest))
	subHalfMagnitude int32 // ceil(log2(2*10^digits)) - 1
	subHalfCount     int32
	subBucketMask    int64
	countsLen        int32
	pageLen          int32 // counts per lazily allocated page: one half bucket
	pageShift        int32 // log2(pageLen): recording shifts and masks instead of dividing
	pages            int32
}

func newGeom(digits int) *geom {
	g := &geom{digits: digits, unitMagnitude: int32(bits.Len64(uint64(HistLowest)) - 1)}
	g.subHalfMagnitude = int32(math.Ceil(math.Log2(2*math.Pow10(digits)))) - 1
	g.subHalfCount = 1 << g.subHalfMagnitude
	g.subBucketMask = int64(2*g.subHalfCount-1) << g.unitMagnitude
	buckets := int32(1)
	for v := int64(2*g.subHalfCount) << g.unitMagnitude; v <= int64(HistHighest); v <<= 1 {
		buckets++
	}
	g.countsLen = (buckets + 1) * g.subHalfCount
	g.pageLen = g.subHalfCount
	g.pageShift = g.subHalfMagnitude
	g.pages = g.countsLen / g.pageLen
	return g
}

// Geometries of whole-run (fine) and group (coarse) histograms.
var (
	fineGeom   = newGeom(HistDigits)
	coarseGeom = newGeom(GroupDigits)
)

// hist is an HdrHistogram whose counts array is split into pages of one
// half bucket, allocated on first use, so a histogram of latencies spanning
// two decades costs ~60 KiB instead of 192 KiB (3 digits). Its flat index
// space is exactly hdrhistogram-go's, so it converts to a library Histogram
// (lib) and encodes to the standard V2 format without loss. Recording does
// not allocate once the value's page exists. Not safe for concurrent use.
type hist struct {
	g        *geom
	pages    [][]int64 // nil entries until used
	total    int64
	min, max int64 // exact extremes of recorded values (valid when total > 0)
	lo, hi   int32 // lowest and highest flat index with a count
}

func newHistOf(g *geom) *hist {
	return &hist{g: g, pages: make([][]int64, g.pages), lo: g.countsLen, hi: -1}
}

// newHist returns an empty histogram of the fine geometry.
func newHist() *hist { return newHistOf(fineGeom) }

// inRange reports whether v can be recorded.
func inRange(v int64) bool { return v >= 0 && v <= int64(HistHighest) }

// index is hdrhistogram-go's countsIndexFor.
func (g *geom) index(v int64) int32 {
	bucket := int32(64-bits.LeadingZeros64(uint64(v|g.subBucketMask))) - g.unitMagnitude - (g.subHalfMagnitude + 1)
	sub := int32(v >> uint(bucket+g.unitMagnitude))
	return (bucket+1)<<g.subHalfMagnitude + sub - g.subHalfCount
}

// valueFromIndex is hdrhistogram-go's valueFromFlatIndex: the lowest value
// of the bucket at flat index idx.
func (g *geom) valueFromIndex(idx int32) int64 {
	bucket := idx>>g.subHalfMagnitude - 1
	sub := idx&(g.subHalfCount-1) + g.subHalfCount
	if bucket < 0 {
		sub -= g.subHalfCount
		bucket = 0
	}
	return int64(sub) << uint(bucket+g.unitMagnitude)
}

// highestEquivalent is hdrhistogram-go's highestEquivalentValue: the
// largest value sharing v's bucket.
func (g *geom) highestEquivalent(v int64) int64 {
	bucket := int32(64-bits.LeadingZeros64(uint64(v|g.subBucketMask))) - g.unitMagnitude - (g.subHalfMagnitude + 1)
	sub := int32(v >> uint(bucket+g.unitMagnitude))
	size := bucket
	if sub >= 2*g.subHalfCount {
		size++
	}
	return int64(sub)<<uint(bucket+g.unitMagnitude) + int64(1)<<uint(size+g.unitMagnitude) - 1
}

// highestEquivalent is fineGeom's.
func highestEquivalent(v int64) int64 { return fineGeom.highestEquivalent(v) }

func (h *hist) page(idx int32) []int64 {
	p := h.pages[idx>>h.g.pageShift]
	if p == nil {
		p = make([]int64, h.g.pageLen)
		h.pages[idx>>h.g.pageShift] = p
	}
	return p
}

// record adds v once; it returns false (and records nothing) when v is out
// of range.
func (h *hist) record(v int64) bool {
	if !inRange(v) {
		return false
	}
	idx := h.g.index(v)
	h.page(idx)[idx&(h.g.pageLen-1)]++
	if h.total == 0 {
		h.min, h.max = v, v
	} else if v < h.min {
		h.min = v
	} else if v > h.max {
		h.max = v
	}
	h.total++
	h.lo = min(h.lo, idx)
	h.hi = max(h.hi, idx)
	return true
}

func (h *hist) count(idx int32) int64 {
	if p := h.pages[idx>>h.g.pageShift]; p != nil {
		return p[idx&(h.g.pageLen-1)]
	}
	return 0
}

// reset empties h, keeping its pages.
func (h *hist) reset() {
	if h.total > 0 {
		for pg := h.lo / h.g.pageLen; pg <= h.hi/h.g.pageLen; pg++ {
			clear(h.pages[pg])
		}
	}
	h.total, h.min, h.max, h.lo, h.hi = 0, 0, 0, h.g.countsLen, -1
}

// merge adds every count of o (same geometry) to h.
func (h *hist) merge(o *hist) {
	if o.total == 0 {
		return
	}
	for pg := o.lo / o.g.pageLen; pg <= o.hi/o.g.pageLen; pg++ {
		src := o.pages[pg]
		if src == nil {
			continue
		}
		dst := h.page(pg * h.g.pageLen)
		for i, c := range src {
			dst[i] += c
		}
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if h.total == 0 || o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.lo = min(h.lo, o.lo)
	h.hi = max(h.hi, o.hi)
}

// diffInto sets d to h minus snap (snap a past state of h, same geometry)
// and copies h into snap. d's min and max are its buckets' bounds.
func (h *hist) diffInto(d, snap *hist) {
	d.reset()
	if h.total == snap.total {
		return
	}
	g := h.g
	for pg := h.lo / g.pageLen; pg <= h.hi/g.pageLen; pg++ {
		cur := h.pages[pg]
		if cur == nil {
			continue
		}
		old := snap.page(pg * g.pageLen)
		var dp []int64
		for i, c := range cur {
			if n := c - old[i]; n != 0 {
				if dp == nil {
					dp = d.page(pg * g.pageLen)
				}
				dp[i] = n
				idx := pg*g.pageLen + int32(i)
				d.lo = min(d.lo, idx)
				d.hi = max(d.hi, idx)
				d.total += n
				old[i] = c
			}
		}
	}
	snap.total, snap.min, snap.max, snap.lo, snap.hi = h.total, h.min, h.max, h.lo, h.hi
	if d.total > 0 {
		d.min = g.valueFromIndex(d.lo)
		d.max = g.highestEquivalent(g.valueFromIndex(d.hi))
	}
}

// addCounts adds a flat counts array (as a library Snapshot holds it).
// Counts at indexes outside this geometry are returned as dropped.
func (h *hist) addCounts(counts []int64) (dropped int64) {
	g := h.g
	for i, c := range counts {
		if c <= 0 {
			continue
		}
		if i >= int(g.countsLen) {
			dropped += c
			continue
		}
		idx := int32(i)
		h.page(idx)[idx%g.pageLen] += c
		lo, hi := g.valueFromIndex(idx), g.highestEquivalent(g.valueFromIndex(idx))
		if h.total == 0 || lo < h.min {
			h.min = lo
		}
		if h.total == 0 || hi > h.max {
			h.max = hi
		}
		h.total += c
		h.lo = min(h.lo, idx)
		h.hi = max(h.hi, idx)
	}
	return dropped
}

// percentileRank is hdrhistogram-go's: the 1-based rank of percentile p.
func percentileRank(p float64, total int64) int64 {
	if p > 100 {
		p = 100
	}
	rank := (p/100)*float64(total) + 0.5
	if !(rank >= 1) {
		return 1
	}
	if rank >= float64(total) {
		return total
	}
	return int64(rank)
}

// percentiles fills dst[i] with the value at ps[i] (ascending, 0-100], as
// hdrhistogram-go's ValueAtPercentile computes it (the highest value
// equivalent to the bucket holding that rank), capped at the exact max;
// p == 100 gives the exact max. An empty histogram gives zeros.
func (h *hist) percentiles(ps []float64, dst []int64) {
	if h.total == 0 {
		clear(dst)
		return
	}
	var cum int64
	idx := h.lo
	for i, p := range ps {
		if p >= 100 {
			dst[i] = h.max
			continue
		}
		rank := percentileRank(p, h.total)
		for cum < rank && idx <= h.hi {
			cum += h.count(idx)
			idx++
		}
		dst[i] = min(h.g.highestEquivalent(h.g.valueFromIndex(idx-1)), h.max)
	}
}

// lib returns h as a hdrhistogram-go Histogram (a copy).
func (h *hist) lib() *hdr.Histogram {
	counts := make([]int64, h.g.countsLen)
	for pg, p := range h.pages {
		if p != nil {
			copy(counts[int32(pg)*h.g.pageLen:], p)
		}
	}
	return hdr.Import(&hdr.Snapshot{
		LowestTrackableValue:  int64(HistLowest),
		HighestTrackableValue: int64(HistHighest),
		SignificantFigures:    int64(h.g.digits),
		Counts:                counts,
	})
}

// encoder writes hists in the HdrHistogram V2 compressed format (the
// "HISTF..." strings of .hlog files). It reuses its buffers and zlib
// writer; not safe for concurrent use.
type encoder struct {
	inner []byte
	zbuf  bytes.Buffer
	zw    *zlib.Writer
	raw   []byte
}

// appendZigZag appends v as a ZigZag LEB128 varint (HdrHistogram V2).
func appendZigZag(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// encode appends the base64 V2 compressed encoding of h to dst (the
// "HISTF..." text of .hlog files). It decodes with hdrhistogram-go's Decode
// (and Java's and C's decoders) to the same counts.
func (e *encoder) encode(dst []byte, h *hist) ([]byte, error) {
	raw, err := e.encodeRaw(e.raw[:0], h)
	e.raw = raw
	if err != nil {
		return dst, err
	}
	return base64.StdEncoding.AppendEncode(dst, raw), nil
}

// encodeRaw appends the V2 compressed encoding of h to dst, before base64.
func (e *encoder) encodeRaw(dst []byte, h *hist) ([]byte, error) {
	in := e.inner[:0]
	in = binary.BigEndian.AppendUint32(in, encodingCookie)
	in = binary.BigEndian.AppendUint32(in, 0) // payload length, set below
	in = binary.BigEndian.AppendUint32(in, 0) // normalizing index offset
	in = binary.BigEndian.AppendUint32(in, uint32(h.g.digits))
	in = binary.BigEndian.AppendUint64(in, uint64(HistLowest))
	in = binary.BigEndian.AppendUint64(in, uint64(HistHighest))
	in = binary.BigEndian.AppendUint64(in, math.Float64bits(1))
	limit := h.hi + 1
	for i := int32(0); i < limit; {
		c := h.count(i)
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && h.count(i) == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				in = appendZigZag(in, -zeros)
				continue
			}
		}
		in = appendZigZag(in, c)
	}
	binary.BigEndian.PutUint32(in[4:], uint32(len(in)-encodingHeaderLength))
	e.inner = in
	e.zbuf.Reset()
	if e.zw == nil {
		zw, err := zlib.NewWriterLevel(&e.zbuf, zlib.BestSpeed)
		if err != nil {
			return dst, fmt.Errorf("encode histogram: %w", err)
		}
		e.zw = zw
	} else {
		e.zw.Reset(&e.zbuf)
	}
	if _, err := e.zw.Write(in); err != nil {
		return dst, fmt.Errorf("encode histogram: %w", err)
	}
	if err := e.zw.Close(); err != nil {
		return dst, fmt.Errorf("encode histogram: %w", err)
	}
	dst = binary.BigEndian.AppendUint32(dst, compressedCookie)
	dst = binary.BigEndian.AppendUint32(dst, uint32(e.zbuf.Len()))
	return append(dst, e.zbuf.Bytes()...), nil
}

// errGeometry is returned for an encoded histogram of another geometry.
var errGeometry = errors.New("histogram geometry differs from 1µs..1h at the expected digits")

// decodeInto adds the counts of a base64 V2 compressed histogram to h. The
// histogram must have this package's geometry.
func decodeInto(h *hist, b64 []byte) error {
	lh, err := hdr.Decode(b64)
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	if lh.LowestTrackableValue() != int64(HistLowest) || lh.SignificantFigures() != int64(h.g.digits) {
		return errGeometry
	}
	if dropped := h.addCounts(lh.Export().Counts); dropped > 0 {
		return fmt.Errorf("decode histogram: %d values beyond %v: %w", dropped, HistHighest, errGeometry)
	}
	return nil
}
