package reports

import (
	"strings"
	"time"

	"github.com/hookbench/hookbench/trace"
)

// timeline is a delivery whose attempts are kept.
type timeline struct {
	event, endpoint, typ string
	ek                   uint64
	intended             int64
	hasIntended          bool
	attempts             []TimelineAttempt
	total, earlier       int
	succeeded, tracked   bool
	retried              bool
}

// track keeps the attempt when its delivery is failed, retried or tracked.
// seen says the delivery had attempts before: only then can it already
// have a timeline.
func (r *Report) track(dk, ek uint64, a *trace.Attempt, epi uint16, st *sentState, seen bool) {
	interesting := !isSuccess(a.Status) || a.Nth > 1
	if !seen && !interesting && len(r.tracked) == 0 {
		return // the common case: a first attempt that succeeded
	}
	var t *timeline
	if seen {
		t = r.timelines[dk]
	}
	if t == nil {
		tracked := len(r.tracked) > 0 && r.tracked[ek]
		if !tracked && (!interesting || r.plainTimelines >= r.opts.MaxTimelines) {
			return
		}
		if !tracked {
			r.plainTimelines++
		}
		t = &timeline{
			event:    strings.Clone(a.EventID),
			endpoint: r.eps.list[epi].name,
			typ:      strings.Clone(a.EventType),
			ek:       ek,
			tracked:  tracked,
		}
		if t.event == "" {
			t.event = "msg:" + a.MsgID
		}
		if a.Nth > 1 {
			t.earlier = int(a.Nth - 1)
			t.total = t.earlier
		}
		r.timelines[dk] = t
	}
	if st != nil && st.flags&sSent != 0 && !t.hasIntended {
		t.intended, t.hasIntended = st.t, true
	}
	t.total++
	if t.total > 1 {
		t.retried = true
	}
	if isSuccess(a.Status) {
		t.succeeded = true
	}
	if len(t.attempts) < r.opts.MaxTimelineAttempts {
		t.attempts = append(t.attempts, TimelineAttempt{
			At:         time.Duration(a.ArrivalNs),
			Nth:        a.Nth,
			Status:     a.Status,
			Handle:     time.Duration(a.HandleNs),
			Sig:        a.Sig.String(),
			Behavior:   strings.Clone(a.Behavior),
			Flags:      trace.FlagNames(a.Flags),
			RetryAfter: time.Duration(a.RetryAfter) * time.Millisecond,
		})
	}
}
