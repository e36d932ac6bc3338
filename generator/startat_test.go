package generator

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// TestStartAtPast joins a schedule after its time zero: the hits due
// before the join are skipped and counted as missed, never sent (neither
// in a burst nor late), and the schedule still ends at StartAt+Duration.
// The StartAt values are far enough in the past that the outcome does not
// depend on how fast the machine is.
func TestStartAtPast(t *testing.T) {
	tests := []struct {
		name     string
		ago      time.Duration
		rate     float64
		duration time.Duration
		count    uint64
		shard    Shard
		// the schedule's whole count, and the least number skipped
		intended, minSkipped uint64
		sendsNone            bool
	}{
		{name: "part of a duration", ago: 2 * time.Second, rate: 100, duration: 2500 * time.Millisecond, intended: 250, minSkipped: 200},
		{name: "whole duration", ago: time.Minute, rate: 100, duration: 3 * time.Second, intended: 300, minSkipped: 300, sendsNone: true},
		{name: "whole count", ago: time.Hour, rate: 100, count: 50, intended: 50, minSkipped: 50, sendsNone: true},
		{name: "shard of a count", ago: time.Hour, rate: 100, count: 50, shard: Shard{2, 3}, intended: 17, minSkipped: 17, sendsNone: true},
		{name: "part of a shard", ago: 2 * time.Second, rate: 300, duration: 2500 * time.Millisecond, shard: Shard{3, 3}, intended: 250, minSkipped: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			o := ts.options()
			o.Rate = Constant{Rate: tt.rate}
			o.Duration, o.Count, o.Shard = tt.duration, tt.count, tt.shard
			o.Connections = 4
			o.StartAt = time.Now().Add(-tt.ago)
			g, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			s, err := g.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if s.Intended != tt.intended || s.Sent+s.Missed != s.Intended {
				t.Errorf("intended %d = sent %d + missed %d; want intended %d", s.Intended, s.Sent, s.Missed, tt.intended)
			}
			if s.Skipped < tt.minSkipped || s.Skipped > s.Missed {
				t.Errorf("skipped %d (missed %d), want at least %d", s.Skipped, s.Missed, tt.minSkipped)
			}
			if s.StartedLate < tt.ago {
				t.Errorf("started late %v, want at least %v", s.StartedLate, tt.ago)
			}
			if tt.sendsNone != (s.Sent == 0) {
				t.Errorf("sent %d", s.Sent)
			}
			reqs := ts.requests()
			if uint64(len(reqs)) != s.Sent {
				t.Fatalf("server saw %d requests, summary says %d sent", len(reqs), s.Sent)
			}
			of := uint64(max(tt.shard.Of, 1))
			for _, r := range reqs {
				var body struct{ Seq uint64 }
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatal(err)
				}
				// The shard's hit k is the full schedule's hit k·N+I-1:
				// a sent hit's shard number must be past the skipped ones.
				if (body.Seq-1)/of < s.Skipped {
					t.Errorf("sent seq %d, one of the %d skipped hits", body.Seq, s.Skipped)
				}
			}
		})
	}
}

// TestStartAtFuture waits for the schedule's time zero, then sends every
// hit: none is skipped.
func TestStartAtFuture(t *testing.T) {
	ts := newTestServer(t, nil)
	o := ts.options()
	o.Rate = Constant{Rate: 1000}
	o.Count, o.Duration = 5, 0
	const ahead = 300 * time.Millisecond
	o.StartAt = time.Now().Add(ahead)
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A timer never fires early, so this lower bound holds on any machine.
	if now := time.Now(); now.Before(o.StartAt) {
		t.Errorf("Run returned %v before the start time", o.StartAt.Sub(now))
	}
	if s.Sent != 5 || s.Skipped != 0 || s.Missed != 0 || s.StartedLate != 0 {
		t.Errorf("sent %d, skipped %d, missed %d, started late %v; want 5, 0, 0, 0", s.Sent, s.Skipped, s.Missed, s.StartedLate)
	}
}

// TestStartAtWaitInterrupted ends the wait for a far start time by
// cancelling the context, and by Stop.
func TestStartAtWaitInterrupted(t *testing.T) {
	for _, viaStop := range []bool{false, true} {
		ts := newTestServer(t, nil)
		o := ts.options()
		o.Count, o.Duration = 5, 0
		o.StartAt = time.Now().Add(time.Hour)
		g, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(50 * time.Millisecond)
			if viaStop {
				g.Stop()
			} else {
				cancel()
			}
		}()
		s, err := g.Run(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// The schedule never started: nothing was due, so nothing is missed.
		if !s.Interrupted || s.Sent != 0 || s.Skipped != 0 || s.Missed != 0 || s.Elapsed != 0 || len(ts.requests()) != 0 {
			t.Errorf("stop=%v: interrupted %v, sent %d, skipped %d, missed %d, elapsed %v",
				viaStop, s.Interrupted, s.Sent, s.Skipped, s.Missed, s.Elapsed)
		}
	}
}

func TestDueBefore(t *testing.T) {
	steps := Steps{{Rate: 10, For: time.Second}, {Rate: 0, For: time.Second}, {Rate: 100, For: time.Second}}
	for _, tt := range []struct {
		p     Pacer
		count uint64
		at    time.Duration
		want  uint64
	}{
		{Constant{Rate: 100}, 0, 0, 0},
		{Constant{Rate: 100}, 0, time.Nanosecond, 1},
		{Constant{Rate: 100}, 0, time.Second, 100},
		{Constant{Rate: 100}, 30, time.Second, 30},
		{steps, 0, 1500 * time.Millisecond, 10},
		{steps, 0, 2500 * time.Millisecond, 60},
		{steps, 0, time.Hour, 110},
		{ShardPacer{Inner: Constant{Rate: 300}, Index: 1, Of: 3}, 0, time.Second, 100},
	} {
		if got := DueBefore(tt.p, tt.count, tt.at); got != tt.want {
			t.Errorf("DueBefore(%v, %d, %v) = %d, want %d", tt.p, tt.count, tt.at, got, tt.want)
		}
	}
}
