package netx

import (
	"fmt"
	"net"
	"sync"
)

// ErrTrackerClosed is what Track and Dial return once the tracker is
// closed. It wraps net.ErrClosed.
var ErrTrackerClosed = fmt.Errorf("connection tracker closed: %w", net.ErrClosed)

// Tracker is a set of open connections that can be closed at once. The
// zero Tracker is ready to use; it must not be copied after first use.
type Tracker struct {
	mu     sync.Mutex // guards conns and closed
	conns  map[*Conn]struct{}
	closed bool
}

// Conn is a connection in a Tracker; closing it takes it out.
type Conn struct {
	net.Conn
	t *Tracker
}

// Close implements net.Conn.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return err
}

// NetConn returns the connection under the tracking (as tls.Conn does),
// for socket options.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Track adds c to the set. Once the tracker is closed it closes c instead
// and returns ErrTrackerClosed.
func (t *Tracker) Track(c net.Conn) (*Conn, error) {
	tc := &Conn{Conn: c, t: t}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.Close()
		return nil, ErrTrackerClosed
	}
	if t.conns == nil {
		t.conns = map[*Conn]struct{}{}
	}
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	return tc, nil
}

// Dial wraps dial so that every connection it makes is tracked; once the
// tracker is closed it dials no more and returns ErrTrackerClosed.
func (t *Tracker) Dial(dial func(addr string) (net.Conn, error)) func(addr string) (net.Conn, error) {
	return func(addr string) (net.Conn, error) {
		if t.Closed() {
			return nil, ErrTrackerClosed
		}
		c, err := dial(addr)
		if err != nil {
			return nil, err
		}
		return t.Track(c)
	}
}

// Closed reports whether Close was called.
func (t *Tracker) Closed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// Close closes every open connection and refuses new ones.
func (t *Tracker) Close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.CloseConns()
}

// CloseConns closes every open connection; new ones are still tracked
// unless the tracker is closed.
func (t *Tracker) CloseConns() {
	t.mu.Lock()
	conns := make([]*Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	clear(t.conns)
	t.mu.Unlock()
	for _, c := range conns {
		c.Conn.Close()
	}
}

// RemoteAddrs returns the remote addresses of the open connections.
func (t *Tracker) RemoteAddrs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.conns))
	for c := range t.conns {
		out = append(out, c.RemoteAddr().String())
	}
	return out
}

// Len returns the number of open connections.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}
