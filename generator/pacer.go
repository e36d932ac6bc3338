package generator

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Pacer is the arrival schedule of a run: a pure function of the time since
// the run started and the number of hits already scheduled.
//
// Pace returns how long after elapsed hit number hits (counted from 0) is due.
// The wait is negative when that hit is overdue, so elapsed+wait is always the
// hit's intended send time, whatever the caller's delay. stop is true when the
// schedule has no hit number hits (it has ended).
//
// Implementations must be safe for concurrent use: a Generator's workers call
// Pace from many goroutines, with hits values that arrive slightly out of order.
// A wait of 0 for every hit means "as fast as the connections allow"
// (capacity mode); the intended time is then the moment a worker is free.
type Pacer interface {
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
}

// PacerFunc adapts a function to the Pacer interface.
type PacerFunc func(elapsed time.Duration, hits uint64) (time.Duration, bool)

// Pace calls f.
func (f PacerFunc) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return f(elapsed, hits)
}

var (
	_ Pacer = PacerFunc(nil)
	_ Pacer = Constant{}
	_ Pacer = Linear{}
	_ Pacer = Steps{}
	_ Pacer = Spike{}
	_ Pacer = (*Poisson)(nil)
)

// maxDue caps intended times so float arithmetic never overflows a Duration:
// a hit due later than this ends the schedule.
const maxDue = 100 * 365 * 24 * time.Hour

// secondsToDuration converts float seconds to a Duration, reporting false
// when the value is out of range (NaN, infinite, beyond maxDue).
func secondsToDuration(s float64) (time.Duration, bool) {
	if math.IsNaN(s) || s < 0 || s*1e9 > float64(maxDue) {
		return 0, false
	}
	return time.Duration(math.Round(s * 1e9)), true
}

// due converts the due time of a hit to a Pace result.
func due(elapsed time.Duration, at float64) (time.Duration, bool) {
	d, ok := secondsToDuration(at)
	if !ok {
		return 0, true
	}
	return d - elapsed, false
}

// Constant sends Rate hits per second at evenly spaced times: hit n is due
// at n/Rate seconds. Rate 0 is capacity mode: every hit is due at once and
// the connections set the pace.
type Constant struct {
	Rate float64 // hits per second; 0 = as fast as possible
}

// Pace implements Pacer.
func (c Constant) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	switch {
	case c.Rate == 0:
		return 0, false
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return 0, true
	}
	return due(elapsed, float64(hits)/c.Rate)
}

// String returns "2000/s", or "max" in capacity mode.
func (c Constant) String() string {
	if c.Rate == 0 {
		return "max"
	}
	return formatRate(c.Rate)
}

// Linear ramps the rate linearly from From to To over Over, then holds To.
// A ramp down to 0 ends the schedule at the end of the ramp.
type Linear struct {
	From, To float64 // hits per second at the start and at the end of the ramp
	Over     time.Duration
}

// hitsAt returns the number of hits due in [0, t] seconds of the ramp.
func (l Linear) hitsAt(t float64) float64 {
	T := l.Over.Seconds()
	return l.From*t + (l.To-l.From)*t*t/(2*T)
}

// Pace implements Pacer.
func (l Linear) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if l.Over <= 0 || l.From < 0 || l.To < 0 || (l.From == 0 && l.To == 0) ||
		math.IsNaN(l.From+l.To) || math.IsInf(l.From+l.To, 0) {
		return 0, true
	}
	T := l.Over.Seconds()
	n := float64(hits)
	total := l.hitsAt(T)
	if n >= total {
		if l.To == 0 {
			return 0, true
		}
		return due(elapsed, T+(n-total)/l.To)
	}
	// Solve a t² + b t = n for the smallest t ≥ 0 in the stable form
	// t = 2n / (b + sqrt(b² + 4an)).
	a := (l.To - l.From) / (2 * T)
	b := l.From
	disc := b*b + 4*a*n
	if disc < 0 {
		disc = 0
	}
	den := b + math.Sqrt(disc)
	if den == 0 {
		return due(elapsed, 0)
	}
	return due(elapsed, 2*n/den)
}

// String returns "100/s→5000/s over 1m0s".
func (l Linear) String() string {
	return formatRate(l.From) + "→" + formatRate(l.To) + " over " + l.Over.String()
}

// Step is one segment of a Steps schedule.
type Step struct {
	Rate float64 // hits per second; 0 = pause
	For  time.Duration
}

// Steps runs each step's constant rate for its duration, in order, and ends
// after the last step.
type Steps []Step

// Pace implements Pacer.
func (s Steps) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return piecewise(s, false, elapsed, hits)
}

// String returns "1000/s for 10s, 2000/s for 10s".
func (s Steps) String() string {
	parts := make([]string, len(s))
	for i, st := range s {
		parts[i] = formatRate(st.Rate) + " for " + st.For.String()
	}
	return strings.Join(parts, ", ")
}

// piecewise returns the Pace of a schedule of constant-rate segments. With
// hold, the last segment's rate continues forever.
func piecewise(segs []Step, hold bool, elapsed time.Duration, hits uint64) (time.Duration, bool) {
	n := float64(hits)
	start := 0.0 // seconds at the start of the segment
	for i, st := range segs {
		if st.Rate < 0 || st.For < 0 || math.IsNaN(st.Rate) || math.IsInf(st.Rate, 0) {
			return 0, true
		}
		d := st.For.Seconds()
		last := hold && i == len(segs)-1
		inSeg := st.Rate * d // hits due in this segment, fractional
		if st.Rate > 0 && (last || n < inSeg) {
			return due(elapsed, start+n/st.Rate)
		}
		n -= inSeg
		start += d
	}
	return 0, true
}

// Spike holds Base hits per second, switches to Peak from At for For, then
// returns to Base (forever; bound the run with a duration or a count).
type Spike struct {
	Base, Peak float64
	At, For    time.Duration
}

// Pace implements Pacer.
func (s Spike) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if s.At < 0 || s.For < 0 {
		return 0, true
	}
	segs := [3]Step{{s.Base, s.At}, {s.Peak, s.For}, {s.Base, 0}}
	return piecewise(segs[:], true, elapsed, hits)
}

// String returns "200/s, 5000/s at 10s for 5s".
func (s Spike) String() string {
	return formatRate(s.Base) + ", " + formatRate(s.Peak) + " at " + s.At.String() + " for " + s.For.String()
}

// poissonCheckpoint is how many hits apart Poisson keeps checkpoints.
const poissonCheckpoint = 4096

// Poisson sends hits as a Poisson process of mean Rate hits per second: the
// gaps between hits are exponentially distributed. The schedule is a pure
// function of Seed and the hit number (gap i is derived from Seed and i), so
// the same seed gives the same arrival times in any run. Hit 0 is due at 0.
//
// A Poisson memoises arrival times; use NewPoisson. It is safe for concurrent
// use and must not be copied after first use.
type Poisson struct {
	Rate float64
	Seed int64

	mu sync.Mutex // guards the fields below
	// checkpoints[k] is the arrival time (seconds) of hit k*poissonCheckpoint.
	checkpoints []float64
	curHit      uint64  // last computed hit
	curAt       float64 // its arrival time
}

// NewPoisson returns a Poisson pacer.
func NewPoisson(rate float64, seed int64) *Poisson {
	return &Poisson{Rate: rate, Seed: seed}
}

// gap returns the exponential gap between hit i and hit i+1, in seconds.
func (p *Poisson) gap(i uint64) float64 {
	u := splitmix64(uint64(p.Seed) ^ (i * 0x9e3779b97f4a7c15))
	// 53 random bits → (0, 1].
	f := (float64(u>>11) + 1) / (1 << 53)
	return -math.Log(f) / p.Rate
}

// at returns the arrival time of hit n in seconds.
func (p *Poisson) at(n uint64) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.checkpoints) == 0 {
		p.checkpoints = append(p.checkpoints, 0)
		p.curHit, p.curAt = 0, 0
	}
	hit, t := p.curHit, p.curAt
	if n < hit {
		k := n / poissonCheckpoint
		hit, t = k*poissonCheckpoint, p.checkpoints[k]
	}
	for hit < n {
		t += p.gap(hit)
		hit++
		if hit%poissonCheckpoint == 0 && hit/poissonCheckpoint == uint64(len(p.checkpoints)) {
			p.checkpoints = append(p.checkpoints, t)
		}
	}
	if hit >= p.curHit {
		p.curHit, p.curAt = hit, t
	}
	return t
}

// Pace implements Pacer.
func (p *Poisson) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.Rate <= 0 || math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0) {
		return 0, true
	}
	return due(elapsed, p.at(hits))
}

// String returns "poisson 2000/s".
func (p *Poisson) String() string { return "poisson " + formatRate(p.Rate) }

// splitmix64 is a 64-bit mixing function (SplitMix64's output step).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func formatRate(r float64) string {
	return strconv.FormatFloat(r, 'f', -1, 64) + "/s"
}

// ParseRate parses a rate: "2000", "2000/s", "2k", "120/1m", "10/500ms".
// "0" means capacity mode.
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, per, hasPer := strings.Cut(s, "/")
	mult := 1.0
	if strings.HasSuffix(num, "k") {
		mult, num = 1e3, strings.TrimSuffix(num, "k")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("rate %q: want a number of hits per second ≥ 0 such as 2000, 2k or 120/1m", s)
	}
	v *= mult
	if hasPer {
		per = strings.TrimSpace(per)
		if per == "s" || per == "m" || per == "h" {
			per = "1" + per
		}
		d, err := time.ParseDuration(per)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("rate %q: bad period %q (want e.g. 1s, 1m, 500ms)", s, per)
		}
		v /= d.Seconds()
	}
	if math.IsInf(v, 0) || math.IsNaN(v) || v > 1e9 {
		return 0, fmt.Errorf("rate %q: too large (at most 1e9 per second)", s)
	}
	return v, nil
}

// ParseSteps parses "1000:10s,2000:10s,0:5s" into Steps.
func ParseSteps(s string) (Steps, error) {
	var steps Steps
	for i, part := range strings.Split(s, ",") {
		r, d, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("steps %q: step %d %q: want RATE:DURATION such as 1000:10s", s, i+1, part)
		}
		rate, err := ParseRate(r)
		if err != nil {
			return nil, fmt.Errorf("steps: step %d: %w", i+1, err)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("steps %q: step %d: bad duration %q (want e.g. 10s)", s, i+1, d)
		}
		steps = append(steps, Step{Rate: rate, For: dur})
	}
	return steps, nil
}

// Length returns the total duration of the steps.
func (s Steps) Length() time.Duration {
	var t time.Duration
	for _, st := range s {
		t += st.For
	}
	return t
}

// ParseSpike parses "PEAK@AT+FOR", e.g. "5000@10s+5s": the spike's rate,
// when it starts and how long it lasts. The baseline is given separately.
func ParseSpike(base float64, s string) (Spike, error) {
	peak, rest, ok := strings.Cut(s, "@")
	at, dur, ok2 := strings.Cut(rest, "+")
	if !ok || !ok2 {
		return Spike{}, fmt.Errorf("spike %q: want PEAK@AT+FOR such as 5000@10s+5s", s)
	}
	p, err := ParseRate(peak)
	if err != nil {
		return Spike{}, fmt.Errorf("spike: %w", err)
	}
	a, err := time.ParseDuration(strings.TrimSpace(at))
	if err != nil || a < 0 {
		return Spike{}, fmt.Errorf("spike %q: bad start %q (want e.g. 10s)", s, at)
	}
	f, err := time.ParseDuration(strings.TrimSpace(dur))
	if err != nil || f <= 0 {
		return Spike{}, fmt.Errorf("spike %q: bad length %q (want e.g. 5s)", s, dur)
	}
	if p == 0 && base == 0 {
		return Spike{}, fmt.Errorf("spike %q: baseline and peak are both 0", s)
	}
	return Spike{Base: base, Peak: p, At: a, For: f}, nil
}

// Arrival processes for PacerSpec.Arrivals.
const (
	ArrivalsUniform = "uniform" // evenly spaced
	ArrivalsPoisson = "poisson" // exponential gaps (constant mean rate only)
)

// PacerSpec is the command-line description of a schedule. Exactly one
// shape applies: Steps, Spike (baseline Rate), a ramp ("FROM:TO" Rate with
// Ramp), or a constant Rate.
type PacerSpec struct {
	Rate     string        // "2000", "0" (capacity), or "FROM:TO" with Ramp
	Ramp     time.Duration // ramp length for "FROM:TO"
	Steps    string        // "1000:10s,2000:10s"
	Spike    string        // "PEAK@AT+FOR" over a baseline of Rate
	Arrivals string        // ArrivalsUniform (default) or ArrivalsPoisson
}

// NewPacer builds the Pacer a spec describes; seed drives Poisson arrivals.
func NewPacer(spec PacerSpec, seed int64) (Pacer, error) {
	poisson := false
	switch spec.Arrivals {
	case "", ArrivalsUniform:
	case ArrivalsPoisson:
		poisson = true
	default:
		return nil, fmt.Errorf("arrivals %q: want uniform or poisson", spec.Arrivals)
	}
	from, to, isRamp := strings.Cut(spec.Rate, ":")
	shapes := 0
	for _, set := range []bool{spec.Steps != "", spec.Spike != "", isRamp} {
		if set {
			shapes++
		}
	}
	if shapes > 1 {
		return nil, errors.New("choose one of steps, spike and a FROM:TO ramp")
	}
	if poisson && shapes > 0 {
		return nil, errors.New("poisson arrivals need a constant rate")
	}
	if spec.Ramp != 0 && !isRamp {
		return nil, fmt.Errorf("--ramp needs a FROM:TO rate such as 100:5000, found %q", spec.Rate)
	}
	switch {
	case spec.Steps != "":
		return ParseSteps(spec.Steps)
	case isRamp:
		f, err := ParseRate(from)
		if err != nil {
			return nil, err
		}
		t, err := ParseRate(to)
		if err != nil {
			return nil, err
		}
		if spec.Ramp <= 0 {
			return nil, fmt.Errorf("ramp %q needs a positive ramp length (--ramp 60s)", spec.Rate)
		}
		if f == 0 && t == 0 {
			return nil, fmt.Errorf("ramp %q: both ends are 0", spec.Rate)
		}
		return Linear{From: f, To: t, Over: spec.Ramp}, nil
	}
	r, err := ParseRate(spec.Rate)
	if err != nil {
		return nil, err
	}
	switch {
	case spec.Spike != "":
		return ParseSpike(r, spec.Spike)
	case poisson:
		if r == 0 {
			return nil, errors.New("poisson arrivals need a rate above 0")
		}
		return NewPoisson(r, seed), nil
	}
	return Constant{Rate: r}, nil
}
