package sink

import (
	"net"
	"testing"
	"time"

	"github.com/hookbench/hookbench/internal/netx"
)

// deadlineConn records the read deadlines that reach the socket.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error { c.set = append(c.set, t); return nil }
func (c *deadlineConn) SetDeadline(t time.Time) error     { c.set = append(c.set, t); return nil }

func TestDeadlineCoarsening(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dc := &deadlineConn{}
	var tr netx.Tracker
	nc, err := tr.Track(dc)
	if err != nil {
		t.Fatal(err)
	}
	c := &trackedConn{Conn: nc}
	steps := []struct {
		t       time.Time
		applied bool
	}{
		{base.Add(60 * time.Second), true},                       // first deadline
		{base.Add(60*time.Second + time.Millisecond), false},     // a little later: keep the earlier one
		{base.Add(60*time.Second + 999*time.Millisecond), false}, // still within the slack
		{base.Add(61 * time.Second), true},                       // a full second later
		{base.Add(30 * time.Second), true},                       // earlier: always applied
		{time.Time{}, true},                                      // cleared
		{base.Add(30*time.Second + time.Millisecond), true},      // nothing in force: applied
		{base.Add(30*time.Second + 2*time.Millisecond), false},
	}
	for i, st := range steps {
		n := len(dc.set)
		if err := c.SetReadDeadline(st.t); err != nil {
			t.Fatal(err)
		}
		if applied := len(dc.set) > n; applied != st.applied {
			t.Fatalf("step %d (%v): applied %v, want %v", i, st.t, applied, st.applied)
		}
	}
	if err := c.SetDeadline(time.Time{}); err != nil || !c.deadline.IsZero() {
		t.Fatal("SetDeadline(zero) did not clear the deadline")
	}
}
