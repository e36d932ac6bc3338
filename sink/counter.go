package sink

import (
	"sync"
	"sync/atomic"
)

// counterShards spreads the arrival counter's locks.
const counterShards = 32

// nthCounter counts arrivals per 64-bit key (a hash of the message id)
// over a sliding window of ids, so that its memory is bounded however many
// distinct ids arrive. It keeps two generations of maps: a key arrives
// into the current one (moving from the previous one if it is there), and
// when window keys have arrived into the current generation, the previous
// one is forgotten and the current one becomes the previous. So a key is
// remembered until at least window other keys have arrived after it, and
// at most 2*window keys are held. A key forgotten and seen again counts
// from 1. It does not allocate for keys it holds; a new key may grow a
// map. Safe for concurrent use; the zero value is unusable (see
// newNthCounter).
type nthCounter struct {
	window uint64
	fresh  atomic.Uint64 // keys arrived into the current generation
	rotMu  sync.Mutex    // serialises rotations
	shards [counterShards]counterShard
}

type counterShard struct {
	mu   sync.Mutex // guards cur and prev
	cur  map[uint64]uint32
	prev map[uint64]uint32
	_    [32]byte // keep shards on separate cache lines
}

// newNthCounter returns a counter remembering at least window keys.
func newNthCounter(window int) *nthCounter {
	return &nthCounter{window: uint64(max(window, 1))}
}

// inc counts one more arrival of key and returns the count, from 1.
func (c *nthCounter) inc(key uint64) uint32 {
	sh := &c.shards[key%counterShards]
	sh.mu.Lock()
	if sh.cur == nil {
		sh.cur = make(map[uint64]uint32, 64)
	}
	n, ok := sh.cur[key]
	if !ok {
		if p, ok := sh.prev[key]; ok {
			n = p
			delete(sh.prev, key)
		}
	}
	if n+1 != 0 { // saturate instead of wrapping
		n++
	}
	sh.cur[key] = n
	sh.mu.Unlock()
	if !ok && c.fresh.Add(1) >= c.window {
		c.rotate()
	}
	return n
}

// rotate forgets the previous generation and starts a new one. The
// forgotten map is cleared and reused, so memory stays at two
// generations' worth.
func (c *nthCounter) rotate() {
	c.rotMu.Lock()
	defer c.rotMu.Unlock()
	if c.fresh.Load() < c.window {
		return // another goroutine rotated meanwhile
	}
	c.fresh.Store(0)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		old := sh.prev
		clear(old)
		sh.prev, sh.cur = sh.cur, old
		sh.mu.Unlock()
	}
}

// held returns how many keys the counter holds (tests).
func (c *nthCounter) held() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.cur) + len(sh.prev)
		sh.mu.Unlock()
	}
	return n
}
