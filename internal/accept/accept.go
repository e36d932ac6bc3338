// Package accept keeps a server accepting through resource exhaustion and
// under a connection cap.
//
// fasthttp's Server.Serve ends on the first Accept error that is not a
// timeout, so a process that runs out of file descriptors (EMFILE) keeps
// running but never accepts again. A Listener retries such temporary
// errors after a back-off, as net/http's Server does (5 ms doubling up to
// 1 s), and counts them. It also refuses connections past MaxConns itself,
// so that each refusal can be answered and recorded by its owner.
package accept

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Back-off after a temporary Accept error, as in net/http.
const (
	MinBackoff = 5 * time.Millisecond
	MaxBackoff = time.Second
)

// Temporary reports whether an Accept error is worth retrying: the process
// or system is out of descriptors or buffers, or the peer aborted before
// the connection was accepted.
func Temporary(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED, syscall.ENOBUFS, syscall.ENOMEM, syscall.EAGAIN, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Listener wraps a net.Listener: Accept retries temporary errors after a
// back-off and refuses connections past MaxConns. Set the fields before the
// first Accept; a Listener is then safe for concurrent use.
type Listener struct {
	net.Listener
	// MaxConns is the most connections open at once (accepted and not yet
	// closed); 0 means no cap.
	MaxConns int
	// Refuse, when set, is called with a connection over the cap before the
	// Listener closes it (to answer 503 and record it). It runs on the
	// accepting goroutine, so it must not block for long.
	Refuse func(net.Conn)
	// OnError, when set, is called with each temporary error before the
	// back-off.
	OnError func(err error)

	errs    atomic.Uint64
	refused atomic.Uint64
	open    atomic.Int64

	once      sync.Once
	closeOnce sync.Once
	done      chan struct{} // closed by Close: ends a back-off at once
}

// Accept implements net.Listener. It returns only permanent errors (the
// listener was closed).
func (l *Listener) Accept() (net.Conn, error) {
	l.once.Do(l.init)
	var wait time.Duration
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !Temporary(err) {
				return nil, err
			}
			l.errs.Add(1)
			if l.OnError != nil {
				l.OnError(err)
			}
			wait = Next(wait)
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-l.done:
				return nil, net.ErrClosed
			}
			continue
		}
		wait = 0
		if l.MaxConns > 0 && l.open.Load() >= int64(l.MaxConns) {
			l.refused.Add(1)
			if l.Refuse != nil {
				l.Refuse(c)
			}
			c.Close()
			continue
		}
		l.open.Add(1)
		return &Conn{Conn: c, l: l}, nil
	}
}

func (l *Listener) init() { l.done = make(chan struct{}) }

// Close implements net.Listener.
func (l *Listener) Close() error {
	l.once.Do(l.init)
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Errors returns how many temporary Accept errors were retried.
func (l *Listener) Errors() uint64 { return l.errs.Load() }

// Refused returns how many connections were refused over MaxConns.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// Open returns how many accepted connections are not closed yet.
func (l *Listener) Open() int64 { return l.open.Load() }

// Next returns the back-off after one more temporary error, given the
// previous one (0 for the first error): 5 ms doubling up to 1 s.
func Next(prev time.Duration) time.Duration {
	if prev < MinBackoff {
		return MinBackoff
	}
	return min(2*prev, MaxBackoff)
}

// Conn is a connection accepted by a Listener; closing it frees its place
// under the cap.
type Conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

// Close implements net.Conn.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// NetConn returns the wrapped connection (as tls.Conn.NetConn does).
func (c *Conn) NetConn() net.Conn { return c.Conn }
