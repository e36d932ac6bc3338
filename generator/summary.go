package generator

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/hookbench/hookbench/threshold"
	"github.com/hookbench/hookbench/trace"
)

// Summary is the outcome of a run.
type Summary struct {
	Pacer       string        // the schedule, e.g. "2000/s"
	Capacity    bool          // capacity mode: no intended rate
	Interrupted bool          // Stop or ctx ended the run early
	Elapsed     time.Duration // from the start to the last response (drain included)

	Intended uint64 // hits the schedule called for up to its end
	Sent     uint64 // requests that left
	Missed   uint64 // due but never sent: the run ended with every worker busy, or Skipped
	// Skipped counts the hits, of Missed, that were due before the run
	// started (Options.StartAt in the past); StartedLate is by how much
	// the run started after StartAt.
	Skipped     uint64
	StartedLate time.Duration
	Late        uint64 // left more than LateThreshold after their intended time
	// WorstLate is the largest delay between a hit's intended time and
	// when it left.
	WorstLate  time.Duration
	Duplicates uint64 // of Sent, resends of an earlier event
	BytesSent  uint64 // body bytes

	// IntendedRate and AchievedRate are hits per second between the first
	// and the last intended (resp. actual) send; RateError is
	// (achieved-intended)/intended in percent.
	IntendedRate, AchievedRate, RateError float64

	OK       uint64         // 2xx responses
	Statuses map[int]uint64 // responses by status
	// Errors counts requests without a response by kind: timeout,
	// connection (refused, reset, closed), other.
	Errors map[string]uint64
	// Aborted counts requests still in flight when the drain ended; their
	// connections were closed (also in Errors as "aborted").
	Aborted uint64
	// Failed is requests without a 2xx response; ErrorRate is Failed/Sent in percent.
	Failed    uint64
	ErrorRate float64

	// Latency is measured from the intended send time (corrected for
	// coordinated omission); Uncorrected from when the request left.
	Latency, Uncorrected, Lateness Percentiles
	// OutOfRange counts values beyond the histograms' range (not in the percentiles).
	OutOfRange uint64

	// Warnings from New (body not a JSON object, not valid JSON).
	Warnings []string

	// Thresholds are the pass/fail limits evaluated on the summary
	// (EvaluateThresholds); empty when none were given.
	Thresholds []threshold.Result
}

// Percentiles of a latency distribution.
type Percentiles struct {
	Count                    int64
	Mean                     time.Duration
	P50, P90, P99, P999, Max time.Duration
}

func percentiles(h *hdrhistogram.Histogram) Percentiles {
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	return Percentiles{
		Count: h.TotalCount(),
		Mean:  time.Duration(h.Mean() * float64(time.Microsecond)),
		P50:   us(h.ValueAtQuantile(50)),
		P90:   us(h.ValueAtQuantile(90)),
		P99:   us(h.ValueAtQuantile(99)),
		P999:  us(h.ValueAtQuantile(99.9)),
		Max:   us(h.Max()),
	}
}

// summarize merges the workers' counters and histograms. Called once, after
// every worker has returned.
func (g *Generator) summarize(finished time.Duration) Summary {
	s := Summary{
		Capacity:    g.capacity,
		Interrupted: g.stopped.Load(),
		Elapsed:     finished,
		Statuses:    map[int]uint64{},
		Errors:      map[string]uint64{},
		Warnings:    g.Warnings(),
	}
	if st, ok := g.opts.Rate.(fmt.Stringer); ok {
		s.Pacer = st.String()
	}
	firstSent, lastSent, firstDue, lastDue := time.Duration(-1), time.Duration(0), time.Duration(-1), time.Duration(0)
	var errs [4]uint64
	for _, w := range g.ws {
		st := &w.st
		s.Sent += st.sent
		s.Missed += st.missed
		s.Late += st.late
		s.Duplicates += st.dups
		s.BytesSent += st.bytes
		s.Aborted += st.aborted
		s.WorstLate = max(s.WorstLate, st.worstLate)
		for code, c := range st.status {
			if c > 0 {
				s.Statuses[code] += c
				if code >= 200 && code <= 299 {
					s.OK += c
				}
			}
		}
		for k, c := range st.errs {
			errs[k] += c
		}
		if st.sent > 0 {
			if firstSent < 0 || st.firstSent < firstSent {
				firstSent = st.firstSent
			}
			if firstDue < 0 || st.firstDue < firstDue {
				firstDue = st.firstDue
			}
			lastSent = max(lastSent, st.lastSent)
			lastDue = max(lastDue, st.lastDue)
		}
	}
	for k, c := range errs {
		if c > 0 {
			s.Errors[trace.ErrKind(k).String()] = c
		}
	}
	if s.Aborted > 0 {
		s.Errors["aborted"] = s.Aborted
	}
	if !g.capacity {
		endAt := time.Duration(g.endAt.Load())
		if endAt < 0 {
			endAt = maxDue
		}
		if g.opts.Duration > 0 {
			endAt = min(endAt, g.opts.Duration)
		}
		s.Missed += g.dueCount(g.next.Load(), endAt)
	}
	s.Skipped, s.StartedLate = g.skipped, g.late
	s.Missed += g.skipped
	s.Intended = s.Sent + s.Missed
	if g.capacity {
		s.Intended = s.Sent
	}
	s.Failed = s.Sent - s.OK
	if s.Sent > 0 {
		s.ErrorRate = 100 * float64(s.Failed) / float64(s.Sent)
	}
	if s.Sent > 1 && lastSent > firstSent {
		s.AchievedRate = float64(s.Sent-1) / (lastSent - firstSent).Seconds()
	}
	if s.Missed > 0 {
		// Missed hits were due up to the end of the schedule.
		end := time.Duration(g.endAt.Load())
		if g.opts.Duration > 0 && (end < 0 || end > g.opts.Duration) {
			end = g.opts.Duration
		}
		if firstDue < 0 || s.Skipped > 0 {
			firstDue = 0 // skipped hits were due from the start
		}
		if end > firstDue {
			s.IntendedRate = float64(s.Intended) / (end - firstDue).Seconds()
		}
	} else if s.Intended > 1 && lastDue > firstDue {
		s.IntendedRate = float64(s.Intended-1) / (lastDue - firstDue).Seconds()
	}
	if g.capacity {
		s.IntendedRate = s.AchievedRate
	}
	if s.IntendedRate > 0 {
		s.RateError = 100 * (s.AchievedRate - s.IntendedRate) / s.IntendedRate
	}
	var corr, unc, late *hdrhistogram.Histogram
	for _, h := range g.shards {
		if corr == nil {
			corr, unc, late = hdrhistogram.Import(h.corrected.Export()), hdrhistogram.Import(h.uncorrected.Export()), hdrhistogram.Import(h.lateness.Export())
		} else {
			corr.Merge(h.corrected)
			unc.Merge(h.uncorrected)
			late.Merge(h.lateness)
		}
		s.OutOfRange += h.outOfRange
	}
	if corr != nil {
		s.Latency, s.Uncorrected, s.Lateness = percentiles(corr), percentiles(unc), percentiles(late)
	}
	return s
}

// ScheduleHeld reports whether the run kept its schedule: the achieved
// rate within HeldRateError percent of the intended one and the p99
// send lateness at most HeldLatenessP99. When it was not, why says by how
// much. A capacity run has no schedule and always holds it.
func (s *Summary) ScheduleHeld() (held bool, why string) {
	if s.Capacity {
		return true, ""
	}
	var reasons []string
	if s.Lateness.P99 > HeldLatenessP99 {
		reasons = append(reasons, "p99 lateness "+fmtDur(s.Lateness.P99)+" > "+fmtDur(HeldLatenessP99))
	}
	if math.Abs(s.RateError) > HeldRateError || (s.Sent == 0 && s.Intended > 0) {
		reasons = append(reasons, fmt.Sprintf("achieved %s/s of %s/s intended (rate error %.1f %% beyond %.0f %%)",
			groupThousands(s.AchievedRate), groupThousands(s.IntendedRate), s.RateError, HeldRateError))
	}
	if len(reasons) == 0 {
		return true, ""
	}
	return false, strings.Join(reasons, "; ")
}

// groupThousands formats a rate rounded to an integer with thousands
// separators (41,800), for figures a reader compares at a glance.
func groupThousands(v float64) string {
	n := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(n, "-")
	n = strings.TrimPrefix(n, "-")
	var b strings.Builder
	for i, c := range n {
		if i > 0 && (len(n)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// WriteText writes the human summary printed by `hookbench gen`.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	sched := s.Pacer
	if s.Capacity {
		sched = "max (capacity mode)"
	}
	p("Schedule     %s", sched)
	if s.Interrupted {
		p("  (stopped early)")
	}
	p("\n")
	if s.Capacity {
		p("Rate         achieved %.1f/s\n", s.AchievedRate)
	} else {
		p("Rate         intended %.1f/s, achieved %.1f/s, error %+.2f%%\n", s.IntendedRate, s.AchievedRate, s.RateError)
		if held, why := s.ScheduleHeld(); held {
			p("Held         yes (rate error within %.0f %%, p99 lateness within %s)\n", HeldRateError, fmtDur(HeldLatenessP99))
		} else {
			p("Held         NO, schedule not held: %s\n", why)
		}
	}
	p("Requests     sent %d of %d intended, missed %d, duplicates %d, %s of bodies in %s\n",
		s.Sent, s.Intended, s.Missed, s.Duplicates, formatBytes(s.BytesSent), s.Elapsed.Round(time.Millisecond))
	if s.StartedLate > 0 {
		p("Start        %v after the start time: %d hits due before then skipped (counted as missed)\n",
			s.StartedLate.Round(time.Millisecond), s.Skipped)
	}
	p("Late sends   %d (> %v after intended), worst %v, lateness p99 %v\n",
		s.Late, LateThreshold, s.WorstLate.Round(time.Microsecond), s.Lateness.P99)
	p("Responses    %d 2xx, %d failed (%.2f%%)", s.OK, s.Failed, s.ErrorRate)
	codes := make([]int, 0, len(s.Statuses))
	for c := range s.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	if len(codes) > 0 {
		p("; by status:")
		for _, c := range codes {
			p(" %d×%d", c, s.Statuses[c])
		}
	}
	p("\n")
	if len(s.Errors) > 0 {
		kinds := make([]string, 0, len(s.Errors))
		for k := range s.Errors {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		p("Errors      ")
		for _, k := range kinds {
			p(" %s %d", k, s.Errors[k])
		}
		p("\n")
	}
	p("Latency      %-11s %-9s %-9s %-9s %-9s %-9s\n", "", "p50", "p90", "p99", "p99.9", "max")
	row := func(name string, q Percentiles) {
		p("             %-11s %-9s %-9s %-9s %-9s %-9s\n", name, fmtDur(q.P50), fmtDur(q.P90), fmtDur(q.P99), fmtDur(q.P999), fmtDur(q.Max))
	}
	row("corrected", s.Latency)
	row("uncorrected", s.Uncorrected)
	if s.OutOfRange > 0 {
		p("             (%d values beyond the histogram range left out)\n", s.OutOfRange)
	}
	for _, wn := range s.Warnings {
		p("Warning      %s\n", wn)
	}
	if len(s.Thresholds) > 0 {
		_ = threshold.Write(&b, s.Thresholds) // a strings.Builder does not fail
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	}
	return strconv.FormatInt(int64(d/time.Microsecond), 10) + "µs"
}

func formatBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatUint(n, 10) + " B"
}
