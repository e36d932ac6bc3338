package reports

import (
	"fmt"
	"time"
)

// Defaults of Options.
const (
	// DefaultMatchEntries is the slots per generation of each matching
	// table: 2 generations x 2^17 slots x 48 bytes = 12 MiB for events
	// (with their first delivery inline), plus the same count of 32-byte
	// slots (8 MiB) at most for deliveries to further endpoints, a table
	// that stays small when events go to one endpoint. An event is matched
	// exactly as long as fewer than half this many newer events arrived
	// since its state was last touched.
	DefaultMatchEntries = 1 << 17
	// DefaultMaxGroups bounds the endpoints and the event types reported
	// separately; later ones are counted under "(other)".
	DefaultMaxGroups = 64
	// DefaultMaxTimelines bounds the attempt timelines kept (failed or
	// retried deliveries, first come first kept; tracked ids come on top).
	DefaultMaxTimelines = 50
	// DefaultMaxTimelineAttempts bounds the attempts listed per timeline.
	DefaultMaxTimelineAttempts = 32
	// DefaultMaxMarks bounds the marks kept.
	DefaultMaxMarks = 10000
	// DefaultStep is the interval of the time series and .hlog files.
	DefaultStep = time.Second
	// DefaultMaxPoints bounds the series: past it the step doubles.
	DefaultMaxPoints = 1 << 14
	// DefaultMaxHlogIntervals bounds each .hlog: past it its interval
	// doubles.
	DefaultMaxHlogIntervals = 1024
)

// Options configure a Report. Start from NewOptions.
type Options struct {
	Version             string   // hookbench version written into reports
	MatchEntries        int      // power of two >= 1024
	MaxGroups           int      // per dimension (endpoints, event types), >= 1
	MaxTimelines        int      // >= 0
	MaxTimelineAttempts int      // >= 1
	MaxMarks            int      // >= 0
	Track               []string // event ids whose timelines are always kept
	Step                time.Duration
	MaxPoints           int // >= 2
	MaxHlogIntervals    int // >= 2
}

// NewOptions returns the defaults.
func NewOptions() Options {
	return Options{
		MatchEntries:        DefaultMatchEntries,
		MaxGroups:           DefaultMaxGroups,
		MaxTimelines:        DefaultMaxTimelines,
		MaxTimelineAttempts: DefaultMaxTimelineAttempts,
		MaxMarks:            DefaultMaxMarks,
		Step:                DefaultStep,
		MaxPoints:           DefaultMaxPoints,
		MaxHlogIntervals:    DefaultMaxHlogIntervals,
	}
}

// OptionError is an invalid option value.
type OptionError struct {
	Field string
	Value any
	Want  string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("reports: option %s = %v: want %s", e.Field, e.Value, e.Want)
}

// Validate reports the first invalid option.
func (o Options) Validate() error {
	switch {
	case o.MatchEntries < 1024 || o.MatchEntries&(o.MatchEntries-1) != 0:
		return &OptionError{"MatchEntries", o.MatchEntries, "a power of two >= 1024"}
	case o.MaxGroups < 1:
		return &OptionError{"MaxGroups", o.MaxGroups, ">= 1"}
	case o.MaxTimelines < 0:
		return &OptionError{"MaxTimelines", o.MaxTimelines, ">= 0"}
	case o.MaxTimelineAttempts < 1:
		return &OptionError{"MaxTimelineAttempts", o.MaxTimelineAttempts, ">= 1"}
	case o.MaxMarks < 0:
		return &OptionError{"MaxMarks", o.MaxMarks, ">= 0"}
	case o.Step < time.Millisecond:
		return &OptionError{"Step", o.Step, ">= 1ms"}
	case o.MaxPoints < 2:
		return &OptionError{"MaxPoints", o.MaxPoints, ">= 2"}
	case o.MaxHlogIntervals < 2:
		return &OptionError{"MaxHlogIntervals", o.MaxHlogIntervals, ">= 2"}
	}
	for _, id := range o.Track {
		if id == "" {
			return &OptionError{"Track", `""`, "non-empty event ids"}
		}
	}
	return nil
}
