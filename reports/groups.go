package reports

import (
	"strings"
	"unsafe"
)

// groupSet maps endpoint or event-type names to groups.
type groupSet struct {
	byName  map[string]uint16
	list    []*group
	max     int
	metrics []int
	cache   [8]nameCache
	hit     int // the cache entry that answered last
	next    int
	other   int // index of "(other)", -1 until needed
}

type nameCache struct {
	s   string
	idx uint16
}

// group is one endpoint or event type.
type group struct {
	name string
	m    [nMetric]*hist
	oor  [nMetric]int64
	c    GroupCounts
}

func (c *GroupCounts) addStatus(cls int) {
	switch cls {
	case 0:
		c.Status2xx++
	case 1:
		c.Status3xx++
	case 2:
		c.Status4xx++
	case 3:
		c.Status5xx++
	default:
		c.StatusNone++
	}
}

// Group names for empty and overflowing names.
const (
	NameNone  = "(none)"
	NameOther = "(other)"
)

// maxGroupSet is the most named groups a set holds whatever Options say:
// group indexes (+1, with "(other)") are 16-bit.
const maxGroupSet = 1<<16 - 2

// newGroupSet returns an empty set of at most max named groups. Its list
// is allocated at its largest (max named groups and "(other)") and never
// moves, so the recording stage can read groups from it by index while
// new ones are added.
func newGroupSet(max int, metrics ...int) groupSet {
	max = min(max, maxGroupSet)
	return groupSet{byName: map[string]uint16{}, list: make([]*group, 0, max+1), max: max, metrics: metrics, other: -1}
}

func (gs *groupSet) add(name string) uint16 {
	g := &group{name: name}
	for _, m := range gs.metrics {
		g.m[m] = newHistOf(coarseGeom)
	}
	gs.list = append(gs.list, g)
	return uint16(len(gs.list) - 1)
}

// index returns the group of name, creating it while under max. A small
// cache keyed by the string's data pointer answers first: trace decoders
// intern names, so the same name comes back as the same pointer. The
// cache holds the strings, so their memory cannot be reused for another
// string while cached: a pointer hit is always right; a miss falls back to
// the map.
func (gs *groupSet) index(name string) uint16 {
	ptr := unsafe.StringData(name)
	// The entry that answered last is tried first: records of one name
	// often come in runs.
	if c := &gs.cache[gs.hit]; unsafe.StringData(c.s) == ptr && len(c.s) == len(name) && ptr != nil {
		return c.idx
	}
	for i := range gs.cache {
		c := &gs.cache[i]
		if unsafe.StringData(c.s) == ptr && len(c.s) == len(name) && ptr != nil {
			gs.hit = i
			return c.idx
		}
	}
	i, ok := gs.byName[name]
	if !ok {
		switch {
		case len(gs.byName) < gs.max:
			label := name
			if label == "" {
				label = NameNone
			}
			i = gs.add(strings.Clone(label))
			gs.byName[strings.Clone(name)] = i
		default:
			if gs.other < 0 {
				gs.other = int(gs.add(NameOther))
			}
			i = uint16(gs.other)
		}
	}
	gs.cache[gs.next] = nameCache{s: name, idx: i}
	gs.next = (gs.next + 1) % len(gs.cache)
	return i
}
