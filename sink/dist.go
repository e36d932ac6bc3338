package sink

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// DistKind names a delay distribution.
type DistKind uint8

// Delay distributions.
const (
	DistNone      DistKind = iota // no delay
	DistFixed                     // A
	DistUniform                   // uniform in [A, B]
	DistNormal                    // mean A, standard deviation B, truncated at 0
	DistExp                       // exponential with mean A
	DistLognormal                 // median A, shape (sigma of the log) Shape
	DistPareto                    // scale (minimum) A, tail index Shape
)

// maxDelay bounds any sampled delay before the server's MaxHang cap.
const maxDelay = 24 * time.Hour

// Dist is a delay distribution. The zero value is no delay. Dist is a
// plain value, safe to copy and to sample concurrently (each caller brings
// its own *rand.Rand).
type Dist struct {
	Kind  DistKind
	A, B  time.Duration
	Shape float64
}

// ParseDist parses a delay: "2s" (fixed), "uniform:1s-3s", "normal:2s,500ms",
// "exp:1s", "lognormal:200ms,0.5" (median, sigma) or "pareto:100ms,1.5"
// (scale, alpha).
func ParseDist(s string) (Dist, error) {
	kind, args, ok := strings.Cut(s, ":")
	if !ok {
		d, err := parseDuration(s)
		if err != nil {
			return Dist{}, err
		}
		return Dist{Kind: DistFixed, A: d}, nil
	}
	two := func(sep string) (string, string, error) {
		a, b, ok := strings.Cut(args, sep)
		if !ok {
			return "", "", fmt.Errorf("%s: expected two values separated by %q, found %q", kind, sep, args)
		}
		return a, b, nil
	}
	var d Dist
	var err error
	switch kind {
	case "uniform":
		a, b, e := two("-")
		if e != nil {
			return d, e
		}
		d.Kind = DistUniform
		if d.A, err = parseDuration(a); err == nil {
			d.B, err = parseDuration(b)
		}
		if err == nil && d.B < d.A {
			err = fmt.Errorf("uniform: upper bound %v below lower bound %v", d.B, d.A)
		}
	case "normal":
		a, b, e := two(",")
		if e != nil {
			return d, e
		}
		d.Kind = DistNormal
		if d.A, err = parseDuration(a); err == nil {
			d.B, err = parseDuration(b)
		}
	case "exp":
		d.Kind = DistExp
		d.A, err = parseDuration(args)
		if err == nil && d.A <= 0 {
			err = fmt.Errorf("exp: mean must be positive, found %q", args)
		}
	case "lognormal", "pareto":
		a, b, e := two(",")
		if e != nil {
			return d, e
		}
		d.Kind = DistLognormal
		if kind == "pareto" {
			d.Kind = DistPareto
		}
		if d.A, err = parseDuration(a); err == nil {
			d.Shape, err = strconv.ParseFloat(b, 64)
			if err != nil || d.Shape <= 0 || math.IsInf(d.Shape, 0) || math.IsNaN(d.Shape) {
				err = fmt.Errorf("%s: shape must be a positive number, found %q", kind, b)
			}
		}
		if err == nil && d.A <= 0 {
			err = fmt.Errorf("%s: scale must be positive, found %q", kind, a)
		}
	default:
		return d, fmt.Errorf("unknown distribution %q (expected a duration or uniform:, normal:, exp:, lognormal:, pareto:)", kind)
	}
	if err != nil {
		return Dist{}, err
	}
	return d, nil
}

// Sample draws one delay from r, clamped to [0, 24h].
func (d Dist) Sample(r *rand.Rand) time.Duration {
	var v float64 // nanoseconds
	switch d.Kind {
	case DistNone:
		return 0
	case DistFixed:
		return d.A
	case DistUniform:
		v = float64(d.A) + r.Float64()*float64(d.B-d.A)
	case DistNormal:
		v = float64(d.A) + r.NormFloat64()*float64(d.B)
	case DistExp:
		v = r.ExpFloat64() * float64(d.A)
	case DistLognormal:
		v = float64(d.A) * math.Exp(d.Shape*r.NormFloat64())
	case DistPareto:
		v = float64(d.A) / math.Pow(1-r.Float64(), 1/d.Shape) // 1-U is in (0, 1]
	}
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= float64(maxDelay):
		return maxDelay
	}
	return time.Duration(v)
}

// String returns the form ParseDist accepts.
func (d Dist) String() string {
	switch d.Kind {
	case DistFixed:
		return d.A.String()
	case DistUniform:
		return "uniform:" + d.A.String() + "-" + d.B.String()
	case DistNormal:
		return "normal:" + d.A.String() + "," + d.B.String()
	case DistExp:
		return "exp:" + d.A.String()
	case DistLognormal:
		return "lognormal:" + d.A.String() + "," + strconv.FormatFloat(d.Shape, 'g', -1, 64)
	case DistPareto:
		return "pareto:" + d.A.String() + "," + strconv.FormatFloat(d.Shape, 'g', -1, 64)
	}
	return ""
}
