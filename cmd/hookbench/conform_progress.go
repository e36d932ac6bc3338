package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/hookbench/hookbench/conformance/suite"
)

// Progress output of conform: on a terminal one line redrawn in place, at
// most every redrawEvery; elsewhere (a CI log) a plain line at most every
// plainEvery when fragments finish, and every plainQuiet while none does.
const (
	redrawEvery = 250 * time.Millisecond
	plainEvery  = 5 * time.Second
	plainQuiet  = 10 * time.Second
)

// conformProgress prints what conform is about to grade and how far it is.
type conformProgress struct {
	w   io.Writer
	tty bool

	mu    sync.Mutex // guards the fields below
	last  time.Time  // when the header or the last progress line was drawn
	drawn bool       // a redrawn line is on the terminal
	ended bool       // the line saying every fragment is done was drawn
}

// header says what is graded, under which policy, and how long the
// fragments should take.
func (p *conformProgress) header(what string, plan suite.Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = time.Now()
	fmt.Fprintf(p.w, "grading %s\n", what)
	fmt.Fprintf(p.w, "  policy: %s\n", plan.Policy.Summary())
	run := 0
	for _, f := range plan.Fragments {
		if f.Skip == "" {
			run++
		}
	}
	line := fmt.Sprintf("  plan: %d fragments (%d run), about %s if the provider keeps its policy", len(plan.Fragments), run, seconds(plan.Estimate))
	if long := plan.Longest(3); len(long) > 0 {
		parts := make([]string, len(long))
		for i, f := range long {
			parts[i] = fmt.Sprintf("%s %s", f.ID, seconds(f.Expected))
			if len(f.Checks) > 0 {
				parts[i] += " (" + checkList(f.Checks) + ")"
			}
		}
		line += "; longest waits: " + strings.Join(parts, ", ")
	}
	fmt.Fprintln(p.w, line)
}

// checkList names up to three checks.
func checkList(ids []string) string {
	if len(ids) > 3 {
		return strings.Join(ids[:3], ", ") + ", …"
	}
	return strings.Join(ids, ", ")
}

// update draws the progress, as often as the output allows.
func (p *conformProgress) update(pr suite.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	now := time.Now()
	since := now.Sub(p.last)
	end := pr.Done >= pr.Total
	if p.tty {
		if since < redrawEvery && !end {
			return
		}
		fmt.Fprintf(p.w, "\r%s\x1b[K", progressText(pr))
		p.drawn, p.last, p.ended = true, now, end
		return
	}
	if !end && (pr.Finished == nil || since < plainEvery) && since < plainQuiet {
		return
	}
	fmt.Fprintln(p.w, progressText(pr))
	p.last, p.ended = now, end
}

// note prints a line of its own (a batch begins, fragments run again).
func (p *conformProgress) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// clear removes the redrawn line before other output.
func (p *conformProgress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *conformProgress) clearLocked() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// progressText is "fragments 12/28 · 7.4 s · ETA 5 s".
func progressText(pr suite.Progress) string {
	s := fmt.Sprintf("fragments %d/%d · %.1f s", pr.Done, pr.Total, pr.Elapsed.Seconds())
	if pr.Done >= pr.Total {
		return s
	}
	s += fmt.Sprintf(" · ETA %.0f s", math.Ceil(pr.Remaining.Seconds()))
	if pr.Overdue >= behindShown {
		// A fragment waits for what the policy promised and the provider
		// has not sent: the ETA is then a lower bound.
		s += fmt.Sprintf(" · %.0f s behind the estimate", pr.Overdue.Seconds())
	}
	return s
}

// behindShown is how far a fragment must wait past its expected duration
// before the progress line says so (deliveries take some time of their own).
const behindShown = 2 * time.Second

// seconds rounds d for people: "0.4 s", "7 s", "62 s".
func seconds(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}
