package reports

import (
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// Charts are drawn server-side as inline SVG: the HTML report works with
// scripts disabled and needs no plotting library.

// axis maps data values to pixels, linearly or on a log10 scale.
type axis struct {
	lo, hi   float64 // data range (log: positive)
	p0, p1   float64 // pixel range
	log      bool
	clampMin float64
}

func (a axis) px(v float64) float64 {
	if a.log {
		v = math.Log10(max(v, a.clampMin))
		lo, hi := math.Log10(a.lo), math.Log10(a.hi)
		return a.p0 + (v-lo)/(hi-lo)*(a.p1-a.p0)
	}
	if a.hi == a.lo {
		return a.p0
	}
	return a.p0 + (v-a.lo)/(a.hi-a.lo)*(a.p1-a.p0)
}

// svg builds one chart.
type svg struct {
	b    strings.Builder
	w, h float64
}

func newSVG(w, h float64, label string) *svg {
	s := &svg{w: w, h: h}
	s.raw(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ` + f0(w) + ` ` + f0(h) +
		`" width="` + f0(w) + `" height="` + f0(h) + `" role="img" aria-label="` + esc(label) + `">`)
	return s
}

func (s *svg) raw(x string) { s.b.WriteString(x) }

func (s *svg) done() string {
	s.raw(`</svg>`)
	return s.b.String()
}

func esc(x string) string { return html.EscapeString(x) }

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	s.raw(`<line x1="` + f1(x1) + `" y1="` + f1(y1) + `" x2="` + f1(x2) + `" y2="` + f1(y2) + `" class="` + class + `"/>`)
}

func (s *svg) text(x, y float64, anchor, class, t string) {
	s.raw(`<text x="` + f1(x) + `" y="` + f1(y) + `" text-anchor="` + anchor + `" class="` + class + `">` + esc(t) + `</text>`)
}

func (s *svg) rect(x, y, w, h float64, class, title string) {
	s.raw(`<rect x="` + f1(x) + `" y="` + f1(y) + `" width="` + f1(max(w, 0)) + `" height="` + f1(max(h, 0)) + `" class="` + class + `">`)
	if title != "" {
		s.raw(`<title>` + esc(title) + `</title>`)
	}
	s.raw(`</rect>`)
}

func (s *svg) polyline(xs, ys []float64, class string) {
	if len(xs) == 0 {
		return
	}
	s.raw(`<polyline class="` + class + `" points="`)
	for i := range xs {
		if i > 0 {
			s.raw(" ")
		}
		s.raw(f1(xs[i]) + "," + f1(ys[i]))
	}
	s.raw(`"/>`)
}

// chart frame geometry.
const (
	chartW      = 920
	chartH      = 300
	marginLeft  = 70
	marginRight = 34
	marginTop   = 24
	marginBot   = 44
)

// durLabel formats an axis value in ns.
func durLabel(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Hour:
		return strconv.FormatFloat(d.Hours(), 'g', 3, 64) + "h"
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'g', 3, 64) + "s"
	case d >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'g', 3, 64) + "ms"
	case d >= time.Microsecond:
		return strconv.FormatFloat(float64(d)/1e3, 'g', 3, 64) + "µs"
	}
	return strconv.FormatFloat(ns, 'g', 3, 64) + "ns"
}

// logRange returns decade bounds around [lo, hi] (ns).
func logRange(lo, hi float64) (float64, float64) {
	lo = math.Max(lo, 1000)
	hi = math.Max(hi, lo*10)
	return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
}

// yLogAxis draws horizontal grid lines and labels at each decade.
func (s *svg) yLogAxis(y axis, x0, x1 float64) {
	for v := y.lo; v <= y.hi*1.0001; v *= 10 {
		py := y.px(v)
		s.line(x0, py, x1, py, "grid")
		s.text(x0-6, py+4, "end", "tick", durLabel(v))
	}
}

// niceStep returns a round step giving about n ticks over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// xTimeAxis draws vertical grid lines and second labels along the run.
func (s *svg) xTimeAxis(x axis, y0, y1 float64) {
	step := niceStep(x.hi-x.lo, 10)
	for v := math.Ceil(x.lo/step) * step; v <= x.hi+step/1000; v += step {
		px := x.px(v)
		s.line(px, y0, px, y1, "grid")
		s.text(px, y1+16, "middle", "tick", strconv.FormatFloat(v, 'f', -1, 64)+"s")
	}
	s.text((x.p0+x.p1)/2, y1+34, "middle", "axis-label", "time since start")
}

// shadeSpans draws phases (alternating bands with labels), fragments and
// behaviour changes (dashed lines) behind a time chart.
func (s *svg) shadeSpans(spans []Span, x axis, y0, y1 float64) {
	phase := 0
	for _, sp := range spans {
		x0, x1 := x.px(sp.Start.Seconds()), x.px(sp.End.Seconds())
		title := sp.Type + " " + sp.Name
		if sp.Detail != "" {
			title += ": " + sp.Detail
		}
		title += " (" + fmtDur(sp.Start) + " – " + fmtDur(sp.End) + ")"
		switch sp.Type {
		case trace.PhaseMark:
			s.rect(x0, y0, x1-x0, y1-y0, "phase phase"+strconv.Itoa(phase%2), title)
			if x1-x0 > 8+6.5*float64(len([]rune(sp.Name))) { // label only where it fits
				s.text(x0+4, y0+12, "start", "phase-label", sp.Name)
			}
			phase++
		case trace.FragmentMark:
			s.rect(x0, y1-6, x1-x0, 6, "fragment fragment"+strconv.Itoa(phase%2), title)
			phase++
		case trace.BehaviorMark:
			s.raw(`<g class="behavior-mark"><title>` + esc(title) + `</title>`)
			s.line(x0, y0, x0, y1, "behavior")
			s.raw(`</g>`)
		}
	}
}

// legend draws colored swatches with labels in a row at the top.
func (s *svg) legend(x, y float64, items [][2]string) {
	for _, it := range items {
		s.rect(x, y-9, 12, 10, "swatch "+it[0], "")
		s.text(x+16, y, "start", "legend", it[1])
		x += 28 + 7*float64(len([]rune(it[1])))
	}
}

// percentileChart plots each metric's percentile distribution: x is
// 1/(1-p) on a log scale (HdrHistogram's plots), y the latency (log).
func percentileChart(s *Summary) string {
	g := newSVG(chartW, chartH+20, "latency by percentile")
	x0, x1, y0, y1 := float64(marginLeft), float64(chartW-marginRight), float64(marginTop+10), float64(chartH+20-marginBot)
	const maxNines = 5 // 99.999 %
	xa := axis{lo: 0, hi: maxNines, p0: x0, p1: x1}
	lo, hi := math.Inf(1), 0.0
	for _, d := range s.Metrics {
		for _, p := range d.Plot {
			lo = math.Min(lo, float64(p.Value))
			hi = math.Max(hi, float64(p.Value))
		}
	}
	if hi == 0 {
		g.text(chartW/2, chartH/2, "middle", "empty", "no latencies recorded")
		return g.done()
	}
	ylo, yhi := logRange(lo, hi)
	ya := axis{lo: ylo, hi: yhi, p0: y1, p1: y0, log: true, clampMin: ylo}
	g.yLogAxis(ya, x0, x1)
	for i, lab := range []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		px := xa.px(float64(i))
		g.line(px, y0, px, y1, "grid")
		g.text(px, y1+16, "middle", "tick", lab)
	}
	g.text((x0+x1)/2, y1+34, "middle", "axis-label", "percentile (log scale of 1/(1-p))")
	var items [][2]string
	for _, d := range s.Metrics {
		if len(d.Plot) == 0 {
			continue
		}
		var xs, ys []float64
		for _, p := range d.Plot {
			nines := float64(maxNines)
			if p.P < 100 {
				nines = min(math.Log10(100/(100-p.P)), maxNines)
			}
			xs = append(xs, xa.px(nines))
			ys = append(ys, ya.px(float64(p.Value)))
		}
		g.polyline(xs, ys, "series "+d.Name)
		items = append(items, [2]string{d.Name, metricLabel(d.Name)})
	}
	g.legend(x0, 14, items)
	return g.done()
}

// latencyChart plots e2e first-arrival p50/p99/max and trigger p99 per
// interval on a log scale.
func latencyChart(s *Summary) string {
	g := newSVG(chartW, chartH, "latency over time")
	x0, x1, y0, y1 := float64(marginLeft), float64(chartW-marginRight), float64(marginTop), float64(chartH-marginBot)
	pts := s.Series.Points
	lo, hi := math.Inf(1), 0.0
	for _, p := range pts {
		for _, m := range []int{mE2EFirst, mTrigger} {
			if q := p.Latency[m]; q.N > 0 {
				lo, hi = math.Min(lo, float64(q.P50)), math.Max(hi, float64(q.Max))
			}
		}
	}
	if hi == 0 {
		g.text(chartW/2, chartH/2, "middle", "empty", "no latencies recorded")
		return g.done()
	}
	xa := timeAxis(s, x0, x1)
	ylo, yhi := logRange(lo, hi)
	ya := axis{lo: ylo, hi: yhi, p0: y1, p1: y0, log: true, clampMin: ylo}
	g.shadeSpans(s.Spans, xa, y0, y1)
	g.yLogAxis(ya, x0, x1)
	g.xTimeAxis(xa, y0, y1)
	step := s.Series.Step.Seconds()
	lines := []struct {
		m     int
		pick  func(Quick) time.Duration
		class string
		label string
	}{
		{mE2EFirst, func(q Quick) time.Duration { return q.Max }, "series e2e_first max", "e2e first max"},
		{mE2EFirst, func(q Quick) time.Duration { return q.P99 }, "series e2e_first p99", "e2e first p99"},
		{mE2EFirst, func(q Quick) time.Duration { return q.P50 }, "series e2e_first p50", "e2e first p50"},
		{mTrigger, func(q Quick) time.Duration { return q.P99 }, "series trigger p99", "trigger p99"},
	}
	var items [][2]string
	for _, l := range lines {
		var xs, ys []float64
		for _, p := range pts {
			q := p.Latency[l.m]
			if q.N == 0 {
				continue
			}
			xs = append(xs, xa.px(p.T.Seconds()+step/2))
			ys = append(ys, ya.px(float64(l.pick(q))))
		}
		if len(xs) == 0 {
			continue
		}
		g.polyline(xs, ys, l.class)
		items = append(items, [2]string{l.class[len("series "):], l.label})
	}
	g.legend(x0, 14, items)
	return g.done()
}

func timeAxis(s *Summary, x0, x1 float64) axis {
	end := max(s.Duration.Seconds(), float64(len(s.Series.Points))*s.Series.Step.Seconds(), 1)
	return axis{lo: 0, hi: end, p0: x0, p1: x1}
}

// throughputChart stacks each interval's attempts by status class and
// draws the sent rate as a line.
func throughputChart(s *Summary) string {
	g := newSVG(chartW, chartH, "throughput over time")
	x0, x1, y0, y1 := float64(marginLeft), float64(chartW-marginRight), float64(marginTop), float64(chartH-marginBot)
	pts := s.Series.Points
	step := s.Series.Step.Seconds()
	var top float64
	for _, p := range pts {
		top = max(top, float64(p.Attempts)/step, float64(p.Sent)/step)
	}
	if top == 0 {
		g.text(chartW/2, chartH/2, "middle", "empty", "no records")
		return g.done()
	}
	xa := timeAxis(s, x0, x1)
	ystep := niceStep(top, 5)
	ya := axis{lo: 0, hi: math.Ceil(top/ystep) * ystep, p0: y1, p1: y0}
	g.shadeSpans(s.Spans, xa, y0, y1)
	for v := 0.0; v <= ya.hi+ystep/1000; v += ystep {
		g.line(x0, ya.px(v), x1, ya.px(v), "grid")
		g.text(x0-6, ya.px(v)+4, "end", "tick", strconv.FormatFloat(v, 'f', -1, 64)+"/s")
	}
	g.xTimeAxis(xa, y0, y1)
	bw := max(xa.px(step)-xa.px(0)-0.5, 0.5)
	for _, p := range pts {
		base := 0.0
		px := xa.px(p.T.Seconds())
		for _, c := range []struct {
			n     int64
			class string
		}{{p.Status2xx, "s2xx"}, {p.Status3xx, "s3xx"}, {p.Status4xx, "s4xx"}, {p.Status5xx, "s5xx"}, {p.StatusNone, "snone"}} {
			if c.n == 0 {
				continue
			}
			h := float64(c.n) / step
			g.rect(px, ya.px(base+h), bw, ya.px(base)-ya.px(base+h), "bar "+c.class,
				fmtDur(p.T)+": "+strconv.FormatInt(c.n, 10)+" "+c.class[1:]+" attempts")
			base += h
		}
	}
	var xs, ys []float64
	for _, p := range pts {
		xs = append(xs, xa.px(p.T.Seconds()+step/2))
		ys = append(ys, ya.px(float64(p.Sent)/step))
	}
	g.polyline(xs, ys, "series sent")
	g.legend(x0, 14, [][2]string{{"s2xx", "2xx"}, {"s3xx", "3xx"}, {"s4xx", "4xx"}, {"s5xx", "5xx"}, {"snone", "no answer"}, {"sent", "sent/s"}})
	return g.done()
}

// timelineStrip draws one delivery's attempts along a line starting at the
// intended trigger time (or the first attempt).
func timelineStrip(t Timeline) string {
	const w, h = 640.0, 46.0
	g := newSVG(w, h, "attempts of "+t.EventID+" at "+t.Endpoint)
	origin := t.Intended
	if origin < 0 && len(t.Attempts) > 0 {
		origin = t.Attempts[0].At
	}
	end := origin + time.Millisecond
	for _, a := range t.Attempts {
		end = max(end, a.At+a.Handle)
	}
	xa := axis{lo: 0, hi: float64(end - origin), p0: 14, p1: w - 14}
	y := 18.0
	g.line(xa.p0, y, xa.p1, y, "tl-axis")
	if t.Intended >= 0 {
		g.raw(`<path class="tl-intended" d="M` + f1(xa.p0) + ` ` + f1(y-6) + `l5 6l-5 6l-5 -6z"><title>intended trigger time ` + esc(fmtDur(t.Intended)) + `</title></path>`)
	}
	prev := time.Duration(-1)
	for _, a := range t.Attempts {
		px := xa.px(float64(a.At - origin))
		class := "tl-dot " + statusClassName(a.Status)
		title := "attempt " + strconv.Itoa(int(a.Nth)) + " at +" + fmtDur(a.At-origin) + " → " + statusText(a.Status) + ", sig " + a.Sig
		if a.Behavior != "" {
			title += ", behavior " + a.Behavior
		}
		if len(a.Flags) > 0 {
			title += ", " + strings.Join(a.Flags, " ")
		}
		if prev >= 0 {
			title += " (gap " + fmtDur(a.At-prev) + ")"
		}
		prev = a.At
		g.raw(`<circle cx="` + f1(px) + `" cy="` + f1(y) + `" r="6" class="` + class + `"><title>` + esc(title) + `</title></circle>`)
		g.text(px, y+22, "middle", "tl-label", statusText(a.Status))
	}
	g.text(w-14, 10, "end", "tl-label", "+"+fmtDur(end-origin))
	return g.done()
}

func statusClassName(status int) string {
	switch statusClass(status) {
	case 0:
		return "s2xx"
	case 1:
		return "s3xx"
	case 2:
		return "s4xx"
	case 3:
		return "s5xx"
	}
	return "snone"
}

func statusText(status int) string {
	if status == 0 {
		return "none"
	}
	return strconv.Itoa(status)
}
