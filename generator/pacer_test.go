package generator

import (
	"math"
	"strings"
	"testing"
	"time"
)

// dueAt returns when hit n is due: elapsed + wait.
func dueAt(p Pacer, n uint64) (time.Duration, bool) {
	w, stop := p.Pace(0, n)
	return w, stop
}

func TestPacers(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name string
		p    Pacer
		hit  uint64
		el   time.Duration
		wait time.Duration
		stop bool
	}{
		{"constant first hit", Constant{Rate: 1000}, 0, 0, 0, false},
		{"constant hit 10 at 0", Constant{Rate: 1000}, 10, 0, 10 * ms, false},
		{"constant on time", Constant{Rate: 1000}, 10, 10 * ms, 0, false},
		{"constant overdue is negative", Constant{Rate: 1000}, 10, 15 * ms, -5 * ms, false},
		{"constant fractional rate", Constant{Rate: 0.5}, 3, 0, 6 * time.Second, false},
		{"capacity", Constant{Rate: 0}, 12345, time.Second, 0, false},
		{"negative rate stops", Constant{Rate: -1}, 0, 0, 0, true},
		{"NaN rate stops", Constant{Rate: math.NaN()}, 0, 0, 0, true},
		{"huge hit stops", Constant{Rate: 1e-9}, 1 << 40, 0, 0, true},
		// Linear 0→1000/s over 1 s: H(t) = 500 t², so hit n at sqrt(n/500).
		{"linear from zero", Linear{From: 0, To: 1000, Over: time.Second}, 125, 0, 500 * ms, false},
		{"linear end of ramp", Linear{From: 0, To: 1000, Over: time.Second}, 500, 0, time.Second, false},
		{"linear holds To", Linear{From: 0, To: 1000, Over: time.Second}, 600, 0, 1100 * ms, false},
		// 100→300/s over 2 s: H(t) = 100 t + 50 t²; H(1) = 150.
		{"linear up", Linear{From: 100, To: 300, Over: 2 * time.Second}, 150, 0, time.Second, false},
		// 300→100/s over 2 s: H(t) = 300 t − 50 t²; H(1) = 250, H(2) = 400.
		{"linear down", Linear{From: 300, To: 100, Over: 2 * time.Second}, 250, 0, time.Second, false},
		{"linear down holds", Linear{From: 300, To: 100, Over: 2 * time.Second}, 410, 0, 2100 * ms, false},
		{"linear to zero ends", Linear{From: 100, To: 0, Over: time.Second}, 50, 0, 0, true},
		{"linear zero length stops", Linear{From: 1, To: 2}, 0, 0, 0, true},
		{"steps first", Steps{{100, time.Second}, {1000, time.Second}}, 50, 0, 500 * ms, false},
		{"steps second", Steps{{100, time.Second}, {1000, time.Second}}, 150, 0, 1050 * ms, false},
		{"steps pause", Steps{{100, time.Second}, {0, time.Second}, {100, time.Second}}, 100, 0, 2 * time.Second, false},
		{"steps end", Steps{{100, time.Second}, {1000, time.Second}}, 1100, 0, 0, true},
		{"spike base", Spike{Base: 100, Peak: 1000, At: time.Second, For: time.Second}, 50, 0, 500 * ms, false},
		{"spike peak", Spike{Base: 100, Peak: 1000, At: time.Second, For: time.Second}, 600, 0, 1500 * ms, false},
		{"spike after", Spike{Base: 100, Peak: 1000, At: time.Second, For: time.Second}, 1200, 0, 3 * time.Second, false},
		{"spike from zero base", Spike{Base: 0, Peak: 1000, At: time.Second, For: time.Second}, 0, 0, time.Second, false},
		{"spike zero base ends", Spike{Base: 0, Peak: 1000, At: time.Second, For: time.Second}, 1000, 0, 0, true},
		{"func", PacerFunc(func(el time.Duration, n uint64) (time.Duration, bool) { return time.Duration(n) - el, n > 3 }), 3, 1, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wait, stop := tt.p.Pace(tt.el, tt.hit)
			if stop != tt.stop {
				t.Fatalf("stop = %v, want %v", stop, tt.stop)
			}
			if stop {
				return
			}
			if d := wait - tt.wait; d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("wait = %v, want %v", wait, tt.wait)
			}
		})
	}
}

// TestPacersMonotone checks that intended times never go backwards and
// that the count of hits in a window matches the shape's integral.
func TestPacersMonotone(t *testing.T) {
	t.Parallel()
	pacers := []struct {
		p       Pacer
		window  time.Duration
		wantMin uint64
		wantMax uint64
	}{
		{Constant{Rate: 2000}, time.Second, 2000, 2000},
		{Linear{From: 100, To: 5000, Over: 10 * time.Second}, 10 * time.Second, 25499, 25501},
		{Steps{{500, time.Second}, {1500, time.Second}}, 2 * time.Second, 2000, 2000},
		{Spike{Base: 200, Peak: 5000, At: time.Second, For: 500 * time.Millisecond}, 2 * time.Second, 2800, 2800},
		{NewPoisson(1000, 42), 10 * time.Second, 9700, 10300},
	}
	for _, tt := range pacers {
		t.Run(tt.p.(interface{ String() string }).String(), func(t *testing.T) {
			t.Parallel()
			prev := time.Duration(-1)
			var n uint64
			for ; ; n++ {
				d, stop := dueAt(tt.p, n)
				if stop || d >= tt.window {
					break
				}
				if d < prev {
					t.Fatalf("hit %d due at %v, before hit %d at %v", n, d, n-1, prev)
				}
				prev = d
			}
			if n < tt.wantMin || n > tt.wantMax {
				t.Fatalf("%d hits in %v, want %d..%d", n, tt.window, tt.wantMin, tt.wantMax)
			}
		})
	}
}

func TestPoissonDeterministic(t *testing.T) {
	t.Parallel()
	a, b, c := NewPoisson(500, 7), NewPoisson(500, 7), NewPoisson(500, 8)
	// b is queried out of order and backwards: memoisation must not change results.
	order := []uint64{9000, 3, 5000, 4095, 4096, 4097, 12000, 1}
	for _, n := range order {
		x, _ := a.Pace(0, n)
		if n == 12000 {
			// walk a forward first so both pacers took different paths
			for k := uint64(0); k < 12000; k += 1000 {
				a.Pace(0, k)
			}
			x, _ = a.Pace(0, n)
		}
		y, _ := b.Pace(0, n)
		if x != y {
			t.Fatalf("hit %d: %v vs %v for the same seed", n, x, y)
		}
	}
	x, _ := a.Pace(0, 100)
	z, _ := c.Pace(0, 100)
	if x == z {
		t.Fatalf("seeds 7 and 8 gave the same time for hit 100: %v", x)
	}
	// Gaps are exponential: the coefficient of variation is about 1.
	var sum, sum2 float64
	prev := time.Duration(0)
	const n = 20000
	for i := uint64(1); i <= n; i++ {
		d, _ := a.Pace(0, i)
		g := (d - prev).Seconds()
		prev = d
		sum += g
		sum2 += g * g
	}
	mean := sum / n
	cv := math.Sqrt(sum2/n-mean*mean) / mean
	if math.Abs(mean-1.0/500) > 0.0001 || cv < 0.95 || cv > 1.05 {
		t.Fatalf("gaps mean %v (want 2ms), coefficient of variation %.3f (want ≈1)", mean, cv)
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{"2000", 2000, ""},
		{"2000/s", 2000, ""},
		{"2k", 2000, ""},
		{"1.5k", 1500, ""},
		{"120/1m", 2, ""},
		{"120/m", 2, ""},
		{"10/500ms", 20, ""},
		{"0", 0, ""},
		{"", 0, "want a number"},
		{"-5", 0, "want a number"},
		{"abc", 0, "want a number"},
		{"5/0s", 0, "bad period"},
		{"5/x", 0, "bad period"},
		{"Inf", 0, "want a number"},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRate(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestNewPacer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec PacerSpec
		want string // String() of the pacer, or error substring
		err  bool
	}{
		{PacerSpec{Rate: "2000"}, "2000/s", false},
		{PacerSpec{Rate: "0"}, "max", false},
		{PacerSpec{Rate: "100:5000", Ramp: time.Minute}, "100/s→5000/s over 1m0s", false},
		{PacerSpec{Rate: "100", Steps: "500:10s,1000:5s"}, "500/s for 10s, 1000/s for 5s", false},
		{PacerSpec{Rate: "200", Spike: "5000@10s+5s"}, "200/s, 5000/s at 10s for 5s", false},
		{PacerSpec{Rate: "1000", Arrivals: "poisson"}, "poisson 1000/s", false},
		{PacerSpec{Rate: "100:5000"}, "positive ramp length", true},
		{PacerSpec{Rate: "100", Ramp: time.Minute}, "--ramp needs a FROM:TO rate", true},
		{PacerSpec{Rate: "100:200", Ramp: time.Second, Steps: "1:1s"}, "choose one", true},
		{PacerSpec{Rate: "0", Arrivals: "poisson"}, "rate above 0", true},
		{PacerSpec{Rate: "10", Arrivals: "bursty"}, "want uniform or poisson", true},
		{PacerSpec{Rate: "10", Steps: "10"}, "want RATE:DURATION", true},
		{PacerSpec{Rate: "10", Steps: "10:-1s"}, "bad duration", true},
		{PacerSpec{Rate: "10", Spike: "5000@10s"}, "PEAK@AT+FOR", true},
		{PacerSpec{Rate: "0", Spike: "0@1s+1s"}, "both 0", true},
		{PacerSpec{Rate: "0:0", Ramp: time.Second}, "both ends are 0", true},
	}
	for _, tt := range tests {
		p, err := NewPacer(tt.spec, 1)
		if tt.err {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewPacer(%+v) error = %v, want %q", tt.spec, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewPacer(%+v): %v", tt.spec, err)
			continue
		}
		if s := p.(interface{ String() string }).String(); s != tt.want {
			t.Errorf("NewPacer(%+v) = %q, want %q", tt.spec, s, tt.want)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"2000", "2k", "120/1m", "10/500ms", "", "-1", "1e308k", "5/0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err == nil && (r < 0 || math.IsNaN(r) || math.IsInf(r, 0)) {
			t.Fatalf("ParseRate(%q) = %v without error", s, r)
		}
	})
}

func FuzzParseSteps(f *testing.F) {
	for _, s := range []string{"500:10s,1000:10s", "0:1s", "", ":", "1:1s,,", "1k:1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			return
		}
		for _, st := range steps {
			if st.For <= 0 || st.Rate < 0 {
				t.Fatalf("ParseSteps(%q) gave %+v", s, st)
			}
		}
		steps.Pace(0, 12345) // must not panic
	})
}
