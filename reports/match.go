package reports

import "github.com/cespare/xxhash/v2"

// Keys 0 and 1 mark empty and moved slots; hashes are remapped above them.
const (
	keyEmpty = 0
	keyMoved = 1
)

// idKey hashes a harness id (xxhash64) into a table key.
func idKey(id string) uint64 {
	k := xxhash.Sum64String(id)
	if k <= keyMoved {
		k += 2
	}
	return k
}

// pairKey combines an id key with a small index (an endpoint) into a key.
func pairKey(id uint64, n uint16) uint64 {
	k := id ^ (uint64(n)+1)*0x9e3779b97f4a7c15
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	if k <= keyMoved {
		k += 2
	}
	return k
}

type slot[V any] struct {
	key uint64
	val V
}

// table is an open-addressing hash table with linear probing. Keys are
// never deleted from a live table; a table that is being retired marks
// entries it hands over as keyMoved.
type table[V any] struct {
	slots  []slot[V]
	n      int      // slots in use (moved ones included)
	filter []uint64 // one bit per 8 slots' worth of hash space: may the table hold a key? (built by seal)
}

// filterBit is the bit of k in a filter of n words; it uses hash bits the
// slot index does not.
func filterBit(k uint64, n int) (word int, bit uint64) {
	b := (k >> 24) & uint64(n*64-1)
	return int(b >> 6), 1 << (b & 63)
}

// mayHave reports whether k may be in t (false: certainly not).
func (t *table[V]) mayHave(k uint64) bool {
	if t.n == 0 {
		return false
	}
	w, b := filterBit(k, len(t.filter))
	return t.filter[w]&b != 0
}

// seal builds the filter of a table that takes no more keys (a retired
// generation). Building it in one sequential pass costs less than setting
// a bit, in a cold cache line, for every key added.
func (t *table[V]) seal() {
	clear(t.filter)
	for i := range t.slots {
		if k := t.slots[i].key; k > keyMoved {
			w, b := filterBit(k, len(t.filter))
			t.filter[w] |= b
		}
	}
}

// reset empties t, giving it n slots.
func (t *table[V]) reset(n int) {
	if len(t.slots) != n {
		t.slots = make([]slot[V], n)
		t.filter = make([]uint64, n/8)
	} else {
		clear(t.slots)
		clear(t.filter)
	}
	t.n = 0
}

// find returns the slot holding k, or the empty slot where k would go.
func (t *table[V]) find(k uint64) *slot[V] {
	mask := uint64(len(t.slots) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.key == k || s.key == keyEmpty {
			return s
		}
	}
}

// gens keeps per-id state in two generations of at most max slots each, so
// its memory is bounded by 2*max*sizeof(slot) whatever the trace size. New
// ids go into the current generation; when it is half full (after growing to
// max slots) the previous generation is dropped, each of its entries
// passed to evict, and the current one becomes the previous. An id looked up
// in the previous generation moves to the current one, so state that is
// still in use survives: an entry is dropped only after at least max/2
// newer ids were added since it was last touched.
type gens[V any] struct {
	cur, old  table[V]
	max       int
	evict     func(*V)
	rotations int64
	evicted   int64
}

func newGens[V any](max int, evict func(*V)) gens[V] {
	g := gens[V]{max: max, evict: evict}
	g.cur.reset(min(max, 1024))
	return g
}

// get returns the state of k, or nil.
func (g *gens[V]) get(k uint64) *V {
	if s := g.cur.find(k); s.key == k {
		return &s.val
	}
	if g.old.mayHave(k) {
		if s := g.old.find(k); s.key == k {
			v, _ := g.upsert(k)
			return v
		}
	}
	return nil
}

// touch loads the slots where the keys ks (0: none) would be, to warm the
// cache; the result means nothing. The loop is kept short, with the
// tables' fields in locals, so the processor has many of these loads
// (cache misses, mostly) in flight at once.
func (g *gens[V]) touch(ks []uint64) uint64 {
	cur, old, filter := g.cur.slots, g.old.slots, g.old.filter
	cm, om := uint64(len(cur)-1), uint64(len(old)-1)
	var x uint64
	if g.old.n == 0 {
		for _, k := range ks {
			x += cur[k&cm].key
		}
		return x
	}
	for _, k := range ks {
		x += cur[k&cm].key
		if w, b := filterBit(k, len(filter)); filter[w]&b != 0 {
			x += old[k&om].key
		}
	}
	return x
}

// peek returns the state of k without moving it, or nil.
func (g *gens[V]) peek(k uint64) *V {
	if s := g.cur.find(k); s.key == k {
		return &s.val
	}
	if g.old.mayHave(k) {
		if s := g.old.find(k); s.key == k {
			return &s.val
		}
	}
	return nil
}

// upsert returns the state of k, creating a zero one when k is new. The
// pointer is valid until the next upsert or get.
func (g *gens[V]) upsert(k uint64) (*V, bool) {
	s := g.cur.find(k)
	if s.key == k {
		return &s.val, true
	}
	var carried V
	found := false
	if g.old.mayHave(k) {
		if o := g.old.find(k); o.key == k {
			carried, found = o.val, true
			o.key = keyMoved
		}
	}
	if (g.cur.n+1)*2 > len(g.cur.slots) {
		g.makeRoom()
		s = g.cur.find(k)
	}
	s.key = k
	s.val = carried
	g.cur.n++
	return &s.val, found
}

// makeRoom grows the current generation or, at max, retires the old one.
func (g *gens[V]) makeRoom() {
	if len(g.cur.slots) < g.max {
		old := g.cur.slots
		g.cur.reset(len(old) * 2)
		for i := range old {
			if old[i].key > keyMoved {
				s := g.cur.find(old[i].key)
				*s = old[i]
				g.cur.n++
			}
		}
		return
	}
	g.drop(&g.old)
	g.rotations++
	g.old, g.cur = g.cur, g.old
	g.old.seal()
	g.cur.reset(g.max)
}

// drop evicts every entry of t (the caller then resets it).
func (g *gens[V]) drop(t *table[V]) {
	for i := range t.slots {
		if t.slots[i].key > keyMoved {
			g.evicted++
			if g.evict != nil {
				g.evict(&t.slots[i].val)
			}
		}
	}
}

// each calls fn for every live entry of both generations.
func (g *gens[V]) each(fn func(*V)) {
	for _, t := range []*table[V]{&g.cur, &g.old} {
		for i := range t.slots {
			if t.slots[i].key > keyMoved {
				fn(&t.slots[i].val)
			}
		}
	}
}
