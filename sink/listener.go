package sink

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hookbench/hookbench/internal/netx"
)

// switchListener is the sink's listener. It can be taken down (the socket is
// closed, so new connections are refused, and open ones are closed) and
// brought back up on the same address without the fasthttp server noticing:
// Accept just blocks while it is down. It tracks open connections so they
// can be closed on SetDown and listed at Close.
type switchListener struct {
	addr net.Addr

	mu     sync.Mutex // guards inner, closed and up
	inner  net.Listener
	closed bool
	up     chan struct{} // closed when the listener comes back up or closes
	conns  netx.Tracker
}

func newSwitchListener(ln net.Listener) *switchListener {
	return &switchListener{addr: ln.Addr(), inner: ln, up: make(chan struct{})}
}

// Accept implements net.Listener.
func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		inner, up := l.inner, l.up
		l.mu.Unlock()
		if inner == nil {
			<-up
			continue
		}
		c, err := inner.Accept()
		l.mu.Lock()
		if err != nil {
			closed, cur := l.closed, l.inner
			l.mu.Unlock()
			if closed {
				return nil, net.ErrClosed
			}
			if cur != inner {
				continue // went down (and maybe up) meanwhile
			}
			if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return nil, err
		}
		if l.closed || l.inner != inner {
			l.mu.Unlock()
			c.Close()
			continue
		}
		nc, err := l.conns.Track(c)
		l.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return &trackedConn{Conn: nc}, nil
	}
}

// Close stops accepting for good; open connections stay (see closeConns).
func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var err error
	if l.inner != nil {
		err = l.inner.Close()
		l.inner = nil
	} else {
		close(l.up)
	}
	return err
}

// Addr implements net.Listener.
func (l *switchListener) Addr() net.Addr { return l.addr }

// setDown closes the socket and every open connection (down) or listens
// again on the same address (up).
func (l *switchListener) setDown(down bool) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return net.ErrClosed
	}
	if down {
		if l.inner == nil {
			l.mu.Unlock()
			return nil
		}
		err := l.inner.Close()
		l.inner = nil
		l.up = make(chan struct{})
		l.mu.Unlock()
		l.closeConns()
		return err
	}
	defer l.mu.Unlock()
	if l.inner != nil {
		return nil
	}
	ln, err := net.Listen(l.addr.Network(), l.addr.String())
	if err != nil {
		return err
	}
	l.inner = ln
	close(l.up)
	return nil
}

// closeConns closes every open connection.
func (l *switchListener) closeConns() { l.conns.CloseConns() }

// openConns returns the remote addresses of open connections.
func (l *switchListener) openConns() []string { return l.conns.RemoteAddrs() }

// deadlineSlack is how much later than the armed read deadline a new one
// may be and still be skipped. fasthttp moves the read deadline twice per
// keep-alive request (idle wait, then reading); each move is a runtime
// timer update that costs more than the rest of the sink's per-request
// work. With ReadTimeout == IdleTimeout, consecutive deadlines differ by
// microseconds, so the sink keeps the earlier one: a timeout can fire up to
// deadlineSlack early, never late.
const deadlineSlack = time.Second

// trackedConn is a connection in the listener's tracker that coarsens
// read deadlines (see deadlineSlack). Read deadlines are set only by the
// connection's serving goroutine.
type trackedConn struct {
	*netx.Conn
	deadline time.Time // read deadline in force; zero when none
}

// SetReadDeadline implements net.Conn. A deadline later than the one in
// force by less than deadlineSlack is skipped; earlier or zero deadlines
// always apply.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && !c.deadline.IsZero() && !t.Before(c.deadline) && t.Sub(c.deadline) < deadlineSlack {
		return nil
	}
	c.deadline = t
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline implements net.Conn.
func (c *trackedConn) SetDeadline(t time.Time) error {
	c.deadline = t
	return c.Conn.SetDeadline(t)
}
