package sink

import "sync"

// counterShards spreads the arrival counter's locks.
const counterShards = 32

// nthCounter counts arrivals per 64-bit key (a hash of the message id). It
// does not allocate for keys it has seen; a new key may grow a map. Safe for
// concurrent use.
type nthCounter struct {
	shards [counterShards]counterShard
}

type counterShard struct {
	mu sync.Mutex // guards m
	m  map[uint64]uint32
	_  [40]byte // keep shards on separate cache lines
}

// inc counts one more arrival of key and returns the count, from 1.
func (c *nthCounter) inc(key uint64) uint32 {
	sh := &c.shards[key%counterShards]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[uint64]uint32, 64)
	}
	n := sh.m[key] + 1
	if n != 0 { // saturate instead of wrapping
		sh.m[key] = n
	} else {
		n = ^uint32(0)
	}
	sh.mu.Unlock()
	return n
}
