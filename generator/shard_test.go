package generator

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		err  string
	}{
		{"1/1", Shard{1, 1}, ""},
		{"2/3", Shard{2, 3}, ""},
		{" 3 / 3 ", Shard{3, 3}, ""},
		{"0/3", Shard{}, "index must be 1 to 3"},
		{"4/3", Shard{}, "index must be 1 to 3"},
		{"-1/3", Shard{}, "index must be 1 to 3"},
		{"1/0", Shard{}, "number of shards must be 1 to"},
		{"1/70000", Shard{}, "number of shards must be 1 to"},
		{"3", Shard{}, "want I/N"},
		{"", Shard{}, "want I/N"},
		{"x/3", Shard{}, "not a number"},
		{"1/y", Shard{}, "not a number"},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseShard(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if got.String() != strings.ReplaceAll(tt.in, " ", "") {
			t.Errorf("String() = %q", got.String())
		}
	}
	if (Shard{}).Validate() != nil || (Shard{}).Active() || (Shard{1, 1}).Active() || (Shard{1, 1}).IDPrefix() != "" {
		t.Error("the zero Shard and 1/1 are the whole run")
	}
	if p := (Shard{2, 3}).IDPrefix(); p != "s2-" {
		t.Errorf("IDPrefix = %q", p)
	}
}

func TestShardCount(t *testing.T) {
	for _, total := range []uint64{0, 1, 2, 3, 10, 11, 1000, 1001} {
		for _, n := range []int{1, 2, 3, 7} {
			var sum uint64
			var counts []uint64
			for i := 1; i <= n; i++ {
				c := Shard{i, n}.Count(total)
				counts = append(counts, c)
				sum += c
			}
			if total == 0 {
				if sum != 0 {
					t.Errorf("Count(0) over %d shards = %v; want no bound (0) each", n, counts)
				}
				continue
			}
			if sum != total || slices.Max(counts)-slices.Min(counts) > 1 || !slices.IsSortedFunc(counts, func(a, b uint64) int { return int(b) - int(a) }) {
				t.Errorf("Count(%d) over %d shards = %v", total, n, counts)
			}
		}
	}
}

// TestShardPacer checks, without sleeping, that the shards' schedules
// interleave into exactly the full schedule, for every pacer.
func TestShardPacer(t *testing.T) {
	pacers := []struct {
		name string
		p    func() Pacer
	}{
		{"constant", func() Pacer { return Constant{Rate: 300} }},
		{"capacity", func() Pacer { return Constant{Rate: 0} }},
		{"ramp", func() Pacer { return Linear{From: 10, To: 500, Over: time.Second} }},
		{"ramp down", func() Pacer { return Linear{From: 500, To: 0, Over: time.Second} }},
		{"steps", func() Pacer { return Steps{{100, time.Second}, {0, time.Second}, {400, time.Second}} }},
		{"spike", func() Pacer { return Spike{Base: 50, Peak: 1000, At: time.Second, For: 500 * time.Millisecond} }},
		{"poisson", func() Pacer { return NewPoisson(250, 7) }},
	}
	const hits = 700
	for _, pc := range pacers {
		for _, n := range []int{1, 2, 3, 5} {
			for _, total := range []uint64{0, 601} {
				full := pc.p()
				var want []time.Duration
				for k := uint64(0); k < hits && (total == 0 || k < total); k++ {
					w, stop := full.Pace(0, k)
					if stop {
						break
					}
					want = append(want, w)
				}
				var got []time.Duration
				for i := 1; i <= n; i++ {
					sh := Shard{i, n}
					p := sh.Pacer(pc.p(), total) // each machine builds its own pacer
					for k := uint64(0); sh.Global(k) < hits && (total == 0 || k < sh.Count(total)); k++ {
						w, stop := p.Pace(0, k)
						if stop {
							break
						}
						// 10 ms into the run the wait is 10 ms shorter.
						if w2, _ := p.Pace(10*time.Millisecond, k); w != 0 && w2 != w-10*time.Millisecond {
							t.Fatalf("%s: elapsed not honoured: %v, %v", pc.name, w, w2)
						}
						got = append(got, w)
					}
					// Past its count the shard's pacer ends the schedule on its own.
					if _, stop := p.Pace(0, sh.Count(total)); sh.Active() && total > 0 && !stop {
						t.Errorf("%s %d/%d: hit %d of count %d is scheduled", pc.name, i, n, sh.Count(total), sh.Count(total))
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s over %d shards (total %d): merged %d hits differ from the full schedule's %d", pc.name, n, total, len(got), len(want))
				}
			}
		}
	}
	if _, stop := (ShardPacer{Inner: Constant{Rate: 1}, Index: 0, Of: 3}).Pace(0, 1<<63); !stop {
		t.Error("overflowing hit number must end the schedule")
	}
	if s := (Shard{2, 3}).Pacer(Constant{Rate: 300}, 0).(ShardPacer).String(); s != "shard 2/3 of 300/s" {
		t.Errorf("String() = %q", s)
	}
}

func TestShardOptions(t *testing.T) {
	o := NewOptions()
	o.URL = "http://127.0.0.1:1/"
	o.Shard = Shard{4, 3}
	var oe *OptionError
	if _, err := New(o); !errors.As(err, &oe) || oe.Field != "Shard" {
		t.Fatalf("New with shard 4/3: %v", err)
	}
	o.Shard, o.Count, o.IDPrefix = Shard{2, 3}, 10, "p-"
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if g.opts.Count != 3 || string(g.idPrefix) != "p-s2-" {
		t.Fatalf("shard 2/3 of 10: count %d, prefix %q", g.opts.Count, g.idPrefix)
	}
	if _, ok := g.opts.Rate.(ShardPacer); !ok {
		t.Fatalf("pacer %T", g.opts.Rate)
	}
}
