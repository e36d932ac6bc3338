package reports

import (
	"encoding/base64"
	"fmt"
)

// point is one interval of the series.
type point struct {
	sent, sentFailed, attempts, first, succ int64
	status                                  [5]int64 // 2xx, 3xx, 4xx, 5xx, none
	lat                                     [nMetric]quick
}

type quick struct{ n, p50, p90, p99, max int64 }

// series is the per-interval time series. It holds at most max points: a
// time past them doubles the step, merging pairs of points.
type series struct {
	step   int64
	max    int
	pts    []point
	approx bool
	// the last point returned and its time range, to skip the division
	last           int
	lastLo, lastHi int64
}

// at returns the point holding time t (0 <= t < maxTime).
func (s *series) at(t int64) *point {
	if t >= s.lastLo && t < s.lastHi {
		return &s.pts[s.last]
	}
	i := t / s.step
	for i >= int64(s.max) {
		s.coarsen()
		i = t / s.step
	}
	if int(i) >= len(s.pts) {
		if int(i) < cap(s.pts) {
			s.pts = s.pts[:i+1]
		} else {
			s.pts = append(s.pts, make([]point, int(i)+1-len(s.pts))...)
		}
	}
	s.last, s.lastLo, s.lastHi = int(i), i*s.step, (i+1)*s.step
	return &s.pts[i]
}

// mergeQuick combines an interval's latencies into a point that may
// already hold some (after coarsening): counts add, percentiles take the
// larger value, and the series is marked approximate.
func (s *series) mergeQuick(a, b quick) quick {
	if a.n == 0 {
		return b
	}
	if b.n == 0 {
		return a
	}
	s.approx = true
	return quick{n: a.n + b.n, p50: max(a.p50, b.p50), p90: max(a.p90, b.p90), p99: max(a.p99, b.p99), max: max(a.max, b.max)}
}

func (s *series) coarsen() {
	n := (len(s.pts) + 1) / 2
	for i := range n {
		a := s.pts[2*i]
		if 2*i+1 < len(s.pts) {
			b := s.pts[2*i+1]
			a.sent += b.sent
			a.sentFailed += b.sentFailed
			a.attempts += b.attempts
			a.first += b.first
			a.succ += b.succ
			for k := range a.status {
				a.status[k] += b.status[k]
			}
			for m := range a.lat {
				a.lat[m] = s.mergeQuick(a.lat[m], b.lat[m])
			}
		}
		s.pts[i] = a
	}
	clear(s.pts[n:])
	s.pts = s.pts[:n]
	s.step *= 2
	s.lastLo, s.lastHi = 0, 0
}

// hlogLine is one interval of a .hlog file.
type hlogLine struct {
	start, end int64  // ns since the report's start
	max        int64  // highest equivalent value of the interval's max
	raw        []byte // V2 compressed histogram (base64 when written)
}

func (l hlogLine) addTo(h *hist) error {
	return decodeInto(h, base64.StdEncoding.AppendEncode(nil, l.raw))
}

// hlogLog collects the intervals of one metric's .hlog. Series intervals
// are accumulated until the log's own interval ends; when the log would
// exceed max intervals, its interval doubles and neighbours merge (exactly:
// they are decoded, added and encoded again).
type hlogLog struct {
	step             int64
	max              int
	acc              *hist
	accStart, accEnd int64
	lines            []hlogLine
}

func (l *hlogLog) add(e *encoder, start, end int64, h *hist) error {
	if h.total == 0 {
		return nil
	}
	if l.acc.total > 0 && start/l.step != l.accStart/l.step {
		if err := l.emit(e); err != nil {
			return err
		}
	}
	if l.acc.total == 0 {
		l.accStart = start
	}
	l.accEnd = end
	l.acc.merge(h)
	return nil
}

// emit turns the accumulated interval into a line.
func (l *hlogLog) emit(e *encoder) error {
	if l.acc.total == 0 {
		return nil
	}
	start := l.accStart
	if n := len(l.lines); n > 0 && l.lines[n-1].start/l.step == start/l.step {
		// A coarsening made the last line and this one share an interval.
		if err := l.lines[n-1].addTo(l.acc); err != nil {
			return fmt.Errorf("hlog: %w", err)
		}
		start = l.lines[n-1].start
		l.lines = l.lines[:n-1]
	}
	raw, err := e.encodeRaw(nil, l.acc)
	if err != nil {
		return fmt.Errorf("hlog: %w", err)
	}
	l.lines = append(l.lines, hlogLine{start: start, end: l.accEnd, max: highestEquivalent(l.acc.max), raw: raw})
	l.acc.reset()
	for len(l.lines) > l.max {
		if err := l.coarsen(e); err != nil {
			return err
		}
	}
	return nil
}

func (l *hlogLog) coarsen(e *encoder) error {
	l.step *= 2
	out := l.lines[:0]
	scratch := newHist()
	for i := 0; i < len(l.lines); {
		j := i + 1
		for j < len(l.lines) && l.lines[j].start/l.step == l.lines[i].start/l.step {
			j++
		}
		if j == i+1 {
			out = append(out, l.lines[i])
			i = j
			continue
		}
		scratch.reset()
		for k := i; k < j; k++ {
			if err := l.lines[k].addTo(scratch); err != nil {
				return fmt.Errorf("hlog: %w", err)
			}
		}
		raw, err := e.encodeRaw(nil, scratch)
		if err != nil {
			return fmt.Errorf("hlog: %w", err)
		}
		out = append(out, hlogLine{start: l.lines[i].start, end: l.lines[j-1].end, max: highestEquivalent(scratch.max), raw: raw})
		i = j
	}
	clear(l.lines[len(out):])
	l.lines = out
	return nil
}
