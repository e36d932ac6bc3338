//go:build !linux

package sink

import "net"

// closeDetection: only Linux is supported; elsewhere a sleeping request
// cannot tell that the provider gave up and sleeps its full time.
const closeDetection = false

func connClosedByPeer(net.Conn) bool { return false }
