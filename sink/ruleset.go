package sink

import (
	"strings"
	"sync/atomic"
	"time"
)

// ruleSet is an installed, immutable list of rules with their run-time state.
type ruleSet struct {
	rules []*liveRule
	text  string // rules joined by "; ", for marks and stats
}

// liveRule is a Rule plus the state its conditions keep.
type liveRule struct {
	Rule
	name string // recorded as the Attempt's Behavior
	// handshake rules answer webhook validation requests only.
	handshake bool
	epoch     time.Duration // install time since the sink started (flap origin)
	every     atomic.Uint64
	gcra      gcra
}

// compile makes rules ready to match; since is the install time relative to
// the sink's start.
func (s *Server) compile(rules []Rule, since time.Duration) *ruleSet {
	rs := &ruleSet{}
	texts := make([]string, 0, len(rules))
	for _, r := range rules {
		lr := &liveRule{Rule: r, epoch: since}
		lr.name = behaviorName(r.Behavior)
		if a, ok := r.Behavior.(*Action); ok && a.RefuseHandshake {
			lr.handshake = true
		}
		if c := r.Match.condition(); c != "" {
			lr.name = c + "," + lr.name
		}
		if r.Match.Rate.PerSecond > 0 {
			lr.gcra.interval = int64(float64(time.Second) / r.Match.Rate.PerSecond)
			if lr.gcra.interval < 1 {
				lr.gcra.interval = 1
			}
			lr.gcra.burst = int64(r.Match.Rate.Burst)
		}
		rs.rules = append(rs.rules, lr)
		texts = append(texts, r.String())
	}
	rs.text = strings.Join(texts, "; ")
	return rs
}

// match reports whether the rule applies to c, consuming its every= count,
// random draw and rate-limit token only when the earlier conditions hold.
func (r *liveRule) match(c *Call) bool {
	m := &r.Match
	a := &c.a
	if len(m.Types) > 0 && !containsString(m.Types, a.EventType) {
		return false
	}
	if m.AttemptMin > 0 && (a.Nth < m.AttemptMin || m.AttemptMax != 0 && a.Nth > m.AttemptMax) {
		return false
	}
	if m.After > 0 && c.elapsed < m.After || m.Before > 0 && c.elapsed >= m.Before {
		return false
	}
	if m.Flap.Up > 0 {
		since := c.elapsed - r.epoch
		if since < 0 {
			since = 0
		}
		if since%(m.Flap.Up+m.Flap.Down) < m.Flap.Up {
			return false
		}
	}
	if m.Every > 0 && r.every.Add(1)%m.Every != 0 {
		return false
	}
	if m.P > 0 && m.P < 1 && c.rnd.Float64() >= m.P {
		return false
	}
	if m.Rate.PerSecond > 0 {
		wait, ok := r.gcra.take(int64(c.elapsed))
		if ok {
			return false
		}
		c.rateWait = time.Duration(wait)
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// gcra is a lock-free token bucket (generic cell rate algorithm): one token
// per interval, up to burst stored. Times are nanoseconds on any monotonic
// axis (the sink's elapsed time).
type gcra struct {
	interval int64
	burst    int64
	tat      atomic.Int64 // theoretical arrival time of the next request
}

// take takes a token at now. When the bucket is empty it returns how long
// until a token is available and false.
func (g *gcra) take(now int64) (wait int64, ok bool) {
	for {
		old := g.tat.Load()
		tat := max(old, now)
		next := tat + g.interval
		allowAt := next - g.interval*g.burst
		if now < allowAt {
			return allowAt - now, false
		}
		if g.tat.CompareAndSwap(old, next) {
			return 0, true
		}
	}
}
