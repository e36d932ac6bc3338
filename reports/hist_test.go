package reports

import (
	"math/rand/v2"
	"strconv"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func libHist() *hdr.Histogram { return libHistOf(HistDigits) }

func libHistOf(digits int) *hdr.Histogram {
	return hdr.New(int64(HistLowest), int64(HistHighest), digits)
}

// randomValues spans the whole range: sub-µs, typical latencies, retries.
func randomValues(seed uint64, n int) []int64 {
	r := rand.New(rand.NewPCG(seed, 1))
	vs := make([]int64, n)
	for i := range vs {
		switch r.IntN(4) {
		case 0:
			vs[i] = r.Int64N(5000)
		case 1:
			vs[i] = int64(r.ExpFloat64() * 5e6)
		case 2:
			vs[i] = r.Int64N(int64(HistHighest) + 1)
		default:
			vs[i] = int64(HistHighest) - r.Int64N(1000)
		}
	}
	return vs
}

func TestHistGeometryMatchesLibrary(t *testing.T) {
	t.Parallel()
	for _, g := range []*geom{fineGeom, coarseGeom} {
		t.Run(strconv.Itoa(g.digits)+" digits", func(t *testing.T) {
			lh := libHistOf(g.digits)
			if got := lh.Export().Counts; len(got) != int(g.countsLen) {
				t.Fatalf("library counts length %d, geometry %d", len(got), g.countsLen)
			}
			h := newHistOf(g)
			for _, v := range randomValues(1, 20000) {
				if !h.record(v) {
					t.Fatalf("in-range value %d refused", v)
				}
				if err := lh.RecordValue(v); err != nil {
					t.Fatal(err)
				}
			}
			if !h.lib().Equals(lh) {
				t.Fatal("paged histogram differs from hdrhistogram-go after the same values")
			}
			ps := []float64{0.1, 50, 90, 99, 99.9, 99.99}
			got := make([]int64, len(ps))
			h.percentiles(ps, got)
			for i, p := range ps {
				if want := min(lh.ValueAtPercentile(p), h.max); got[i] != want {
					t.Errorf("p%v = %d, library says %d", p, got[i], want)
				}
			}
			for _, v := range []int64{0, 1, 511, 512, 1000, 1 << 20, 123456789, int64(HistHighest)} {
				he := g.highestEquivalent(v)
				if he < v || !lh.ValuesAreEquivalent(v, he) || lh.ValuesAreEquivalent(v, he+1) {
					t.Errorf("highestEquivalent(%d) = %d is not the top of its bucket", v, he)
				}
			}
		})
	}
}

func TestHistDiffInto(t *testing.T) {
	t.Parallel()
	h, snap, d := newHist(), newHist(), newHist()
	want := libHist()
	for i, v := range randomValues(3, 4000) {
		h.record(v)
		if i >= 1000 {
			_ = want.RecordValue(v)
		}
		if i == 999 {
			h.diffInto(d, snap)
			if d.total != 1000 {
				t.Fatalf("first interval holds %d", d.total)
			}
		}
	}
	h.diffInto(d, snap)
	if !d.lib().Equals(want) {
		t.Fatal("second interval differs from its values")
	}
	h.diffInto(d, snap)
	if d.total != 0 {
		t.Fatalf("empty interval holds %d", d.total)
	}
}

func TestHistRejectsOutOfRange(t *testing.T) {
	t.Parallel()
	h := newHist()
	for _, v := range []int64{-1, int64(HistHighest) + 1 + 1<<40, -1 << 62} {
		if h.record(v) {
			t.Errorf("value %d recorded", v)
		}
	}
	if h.total != 0 {
		t.Fatalf("total %d after only out-of-range values", h.total)
	}
}

func TestHistEncodeDecodesWithLibrary(t *testing.T) {
	t.Parallel()
	var e encoder
	for seed := range uint64(4) {
		h := newHist()
		lh := libHist()
		for _, v := range randomValues(seed, int(seed)*5000) {
			h.record(v)
			_ = lh.RecordValue(v)
		}
		b64, err := e.encode(nil, h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hdr.Decode(b64)
		if err != nil {
			t.Fatalf("seed %d: library cannot decode: %v", seed, err)
		}
		if !got.Equals(lh) {
			t.Fatalf("seed %d: decoded histogram differs", seed)
		}
		back := newHist()
		if err := decodeInto(back, b64); err != nil {
			t.Fatal(err)
		}
		if !back.lib().Equals(lh) {
			t.Fatalf("seed %d: decodeInto differs", seed)
		}
	}
}

func TestHistMergeResetEqualsLibraryMerge(t *testing.T) {
	t.Parallel()
	a, b := newHist(), newHist()
	la, lb := libHist(), libHist()
	for _, v := range randomValues(7, 3000) {
		a.record(v)
		_ = la.RecordValue(v)
	}
	for _, v := range randomValues(8, 3000) {
		b.record(v)
		_ = lb.RecordValue(v)
	}
	a.merge(b)
	la.Merge(lb)
	if !a.lib().Equals(la) {
		t.Fatal("merged histogram differs from library merge")
	}
	if a.total != la.TotalCount() {
		t.Fatalf("total %d, library %d", a.total, la.TotalCount())
	}
	a.reset()
	if a.total != 0 || a.lib().TotalCount() != 0 {
		t.Fatal("reset left counts")
	}
	a.record(5000)
	if a.min != 5000 || a.max != 5000 || a.total != 1 {
		t.Fatalf("after reset+record: min %d max %d total %d", a.min, a.max, a.total)
	}
}

func TestDecodeIntoRejectsOtherGeometry(t *testing.T) {
	t.Parallel()
	other := hdr.New(1, 1000, 2)
	_ = other.RecordValue(5)
	b, err := other.EncodeV2()
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeInto(newHist(), b); err == nil {
		t.Fatal("foreign geometry accepted")
	}
	if err := decodeInto(newHist(), []byte("not base64!")); err == nil {
		t.Fatal("garbage accepted")
	}
}
