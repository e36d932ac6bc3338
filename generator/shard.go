package generator

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Shard selects part Index of Of (1-based) of a run, so that Of machines
// can share one load: shard i sends the hits i-1, i-1+Of, i-1+2·Of, ... of
// the full schedule (see ShardPacer), which keeps the combined schedule
// exact for every pacer (constant, ramp, steps, spike, Poisson with the
// same seed) instead of approximating it by scaled rates. The zero Shard
// (and 1/1) is the whole run.
type Shard struct {
	Index int // 1-based
	Of    int // number of shards
}

// ParseShard parses "I/N", e.g. "2/3".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N such as 2/3", s)
	}
	var sh Shard
	var err error
	if sh.Index, err = strconv.Atoi(strings.TrimSpace(i)); err != nil {
		return Shard{}, fmt.Errorf("shard %q: index %q is not a number", s, i)
	}
	if sh.Of, err = strconv.Atoi(strings.TrimSpace(n)); err != nil {
		return Shard{}, fmt.Errorf("shard %q: count %q is not a number", s, n)
	}
	if err := sh.Validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// MaxShards bounds Shard.Of.
const MaxShards = 1 << 16

// Validate accepts the zero Shard and 1 ≤ Index ≤ Of ≤ MaxShards.
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.Of < 1 || s.Of > MaxShards {
		return fmt.Errorf("shard %d/%d: the number of shards must be 1 to %d", s.Index, s.Of, MaxShards)
	}
	if s.Index < 1 || s.Index > s.Of {
		return fmt.Errorf("shard %d/%d: the index must be 1 to %d", s.Index, s.Of, s.Of)
	}
	return nil
}

// Active reports whether s splits the run (more than one shard).
func (s Shard) Active() bool { return s.Of > 1 }

// String returns "2/3", or "" for the zero Shard.
func (s Shard) String() string {
	if s == (Shard{}) {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Of)
}

// IDPrefix returns the event id part that keeps the shards' ids disjoint,
// "s2-" for shard 2/3; "" when s does not split the run.
func (s Shard) IDPrefix() string {
	if !s.Active() {
		return ""
	}
	return "s" + strconv.Itoa(s.Index) + "-"
}

// Count returns this shard's part of total events: the number of hits
// i-1, i-1+N, ... below total, so the shards' counts sum to total (the
// first total%N shards send one more). 0 stays 0 (no count bound).
func (s Shard) Count(total uint64) uint64 {
	if !s.Active() || total == 0 {
		return total
	}
	n, off := uint64(s.Of), uint64(s.Index-1)
	c := total / n
	if off < total%n {
		c++
	}
	return c
}

// Global returns the full-schedule hit number of this shard's hit n.
func (s Shard) Global(n uint64) uint64 {
	if !s.Active() {
		return n
	}
	return n*uint64(s.Of) + uint64(s.Index-1)
}

// Pacer returns p restricted to this shard (p itself when s does not split
// the run); total is the whole run's count bound (0 = none).
func (s Shard) Pacer(p Pacer, total uint64) Pacer {
	if !s.Active() {
		return p
	}
	return ShardPacer{Inner: p, Index: uint64(s.Index - 1), Of: uint64(s.Of), Total: total}
}

// ShardPacer is one shard's part of a schedule: its hit n is hit
// n·Of+Index of Inner, so the shards together send Inner's schedule
// exactly, each at 1/Of of its rate. Index is 0-based here.
type ShardPacer struct {
	Inner     Pacer
	Index, Of uint64
	Total     uint64 // the whole run's count; the shard stops at global hit Total (0 = no bound)
}

// Pace implements Pacer.
func (p ShardPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.Of == 0 || p.Index >= p.Of || hits > (math.MaxUint64-p.Index)/p.Of {
		return 0, true
	}
	g := hits*p.Of + p.Index
	if p.Total > 0 && g >= p.Total {
		return 0, true
	}
	return p.Inner.Pace(elapsed, g)
}

// String returns "shard 2/3 of 300/s".
func (p ShardPacer) String() string {
	inner := "schedule"
	if st, ok := p.Inner.(fmt.Stringer); ok {
		inner = st.String()
	}
	return "shard " + strconv.FormatUint(p.Index+1, 10) + "/" + strconv.FormatUint(p.Of, 10) + " of " + inner
}
