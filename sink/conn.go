package sink

import (
	"net"
	"syscall"
)

// rawConn unwraps TLS and tracking to the socket, or returns nil when the
// connection has none (in-memory listeners in tests).
func rawConn(c net.Conn) syscall.RawConn {
	for {
		switch t := c.(type) {
		case interface{ NetConn() net.Conn }: // TLS, accept.Conn, tracked
			c = t.NetConn()
			continue
		case interface{ UnsafeConn() net.Conn }: // fasthttp's hijacked conn
			c = t.UnsafeConn()
			continue
		case syscall.Conn:
			rc, err := t.SyscallConn()
			if err != nil {
				return nil
			}
			return rc
		}
		return nil
	}
}

// canDetectClose reports whether connClosedByPeer works on c.
func canDetectClose(c net.Conn) bool { return closeDetection && rawConn(c) != nil }

// setLingerZero makes Close send a TCP RST instead of a FIN.
func setLingerZero(c net.Conn) {
	for {
		switch t := c.(type) {
		case interface{ NetConn() net.Conn }: // TLS, accept.Conn, tracked
			c = t.NetConn()
			continue
		case interface{ UnsafeConn() net.Conn }:
			c = t.UnsafeConn()
			continue
		case *net.TCPConn:
			_ = t.SetLinger(0)
		}
		return
	}
}
