package sink

import (
	"net"

	"golang.org/x/sys/unix"
)

// closeDetection: Linux reports the TCP state of a socket (TCP_INFO).
const closeDetection = true

// connClosedByPeer reports whether the peer has closed (FIN or RST) the
// connection, without reading from it: the socket is no longer in the
// ESTABLISHED state. A socket that cannot be queried counts as closed.
func connClosedByPeer(c net.Conn) bool {
	rc := rawConn(c)
	if rc == nil {
		return false
	}
	closed := true
	err := rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err == nil {
			closed = info.State != tcpEstablished
		}
	})
	return err != nil || closed
}

const tcpEstablished = 1 // TCP_ESTABLISHED in include/net/tcp_states.h
