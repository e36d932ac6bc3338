package provider

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ErrBlockedTarget is returned (wrapped) when a delivery would go to a
// link-local or cloud metadata address and Options.AllowLinkLocal is not
// set: a caller who may register endpoints must not be able to make the
// provider fetch instance credentials.
var ErrBlockedTarget = errors.New("reference: link-local or cloud metadata address refused (allow with --allow-link-local)")

// blockedNames are cloud metadata host names.
var blockedNames = []string{"metadata.google.internal", "metadata.goog", "metadata"}

// blockedPrefixes are link-local ranges and cloud metadata addresses.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),     // IPv4 link-local (AWS, GCP, Azure metadata at .169.254)
	netip.MustParsePrefix("fe80::/10"),          // IPv6 link-local
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS metadata over IPv6
}

// blockedIP reports whether ip is link-local or a metadata address
// (IPv4-mapped IPv6 addresses included).
func blockedIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// blockedHost reports whether a URL host (no port) names a blocked
// address literally or is a metadata host name. Other names are checked
// when dialled (see targetDialer), after resolution.
func blockedHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	for _, n := range blockedNames {
		if h == n {
			return true
		}
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // fe80::1%eth0
		h = h[:i]
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && blockedIP(ip)
}

// checkTarget refuses a URL whose host is blocked, unless allowed.
func (p *Provider) checkTarget(field, raw string) error {
	if p.opts.AllowLinkLocal {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return badInput(field, "not a URL: "+err.Error())
	}
	if blockedHost(u.Hostname()) {
		return badInput(field, ErrBlockedTarget.Error())
	}
	return nil
}

// blockedConn reports whether a dialled connection reached a blocked
// address: the check that a DNS name resolving to one cannot get past.
func blockedConn(c net.Conn) bool {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	return err == nil && blockedIP(ap.Addr())
}

// targetDialer dials with dial and refuses, unless allow, a connection
// whose remote address is blocked: the address may have come from DNS,
// which registration cannot see. Nothing is sent on a refused connection.
func targetDialer(allow bool, dial func(addr string) (net.Conn, error)) func(addr string) (net.Conn, error) {
	return func(addr string) (net.Conn, error) {
		c, err := dial(addr)
		if err != nil {
			return nil, err
		}
		if !allow && blockedConn(c) {
			c.Close()
			return nil, fmt.Errorf("dial %s (%s): %w", addr, c.RemoteAddr(), ErrBlockedTarget)
		}
		return c, nil
	}
}
