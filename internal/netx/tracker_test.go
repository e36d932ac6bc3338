package netx

import (
	"errors"
	"io"
	"net"
	"testing"
)

// pipe returns a tracked end and its peer.
func pipe(t *testing.T, tr *Tracker) (*Conn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	tc, err := tr.Track(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return tc, b
}

// closedPeer reports whether the peer of a closed pipe end sees EOF.
func closedPeer(peer net.Conn) bool {
	_, err := peer.Read(make([]byte, 1))
	return errors.Is(err, io.EOF)
}

func TestTrackerCloseOne(t *testing.T) {
	t.Parallel()
	var tr Tracker
	c1, _ := pipe(t, &tr)
	pipe(t, &tr)
	if n := tr.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	if err := c1.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c1.Close() // twice: no harm
	if n := tr.Len(); n != 1 {
		t.Errorf("Len after a close = %d, want 1", n)
	}
	if got := len(tr.RemoteAddrs()); got != 1 {
		t.Errorf("RemoteAddrs has %d entries, want 1", got)
	}
	if c1.NetConn() == nil {
		t.Error("NetConn is nil")
	}
}

func TestTrackerCloseConnsKeepsTracking(t *testing.T) {
	t.Parallel()
	var tr Tracker
	_, p1 := pipe(t, &tr)
	_, p2 := pipe(t, &tr)
	tr.CloseConns()
	if !closedPeer(p1) || !closedPeer(p2) {
		t.Error("CloseConns left a connection open")
	}
	if n := tr.Len(); n != 0 {
		t.Errorf("Len = %d after CloseConns", n)
	}
	pipe(t, &tr)
	if tr.Len() != 1 || tr.Closed() {
		t.Errorf("a connection after CloseConns is not tracked (Len %d, closed %v)", tr.Len(), tr.Closed())
	}
}

func TestTrackerCloseRefuses(t *testing.T) {
	t.Parallel()
	var tr Tracker
	_, p1 := pipe(t, &tr)
	tr.Close()
	if !closedPeer(p1) {
		t.Error("Close left a connection open")
	}
	a, b := net.Pipe()
	defer b.Close()
	if _, err := tr.Track(a); !errors.Is(err, ErrTrackerClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("Track after Close: %v, want ErrTrackerClosed", err)
	}
	if !closedPeer(b) {
		t.Error("Track after Close left the connection open")
	}
	dialed := false
	dial := tr.Dial(func(string) (net.Conn, error) { dialed = true; return nil, errors.New("dialed") })
	if _, err := dial("x"); !errors.Is(err, ErrTrackerClosed) || dialed {
		t.Errorf("Dial after Close: err %v, dialed %v", err, dialed)
	}
}

func TestTrackerDial(t *testing.T) {
	t.Parallel()
	var tr Tracker
	var peers []net.Conn
	dial := tr.Dial(func(string) (net.Conn, error) {
		a, b := net.Pipe()
		peers = append(peers, b)
		return a, nil
	})
	for range 3 {
		c, err := dial("x")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.(*Conn); !ok {
			t.Fatalf("Dial returned %T, want *Conn", c)
		}
	}
	failing := tr.Dial(func(string) (net.Conn, error) { return nil, io.ErrUnexpectedEOF })
	if _, err := failing("x"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a failed dial returned %v", err)
	}
	if n := tr.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	tr.Close()
	for i, p := range peers {
		if !closedPeer(p) {
			t.Errorf("connection %d left open", i)
		}
		p.Close()
	}
}
