package provider

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBlockedHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"169.254.169.254", true}, {"169.254.0.1", true}, {"[fe80::1]", true}, {"fe80::1%eth0", true},
		{"100.100.100.200", true}, {"[fd00:ec2::254]", true}, {"metadata.google.internal", true},
		{"METADATA.google.internal.", true}, {"::ffff:169.254.169.254", true},
		{"127.0.0.1", false}, {"localhost", false}, {"10.0.0.1", false}, {"100.100.100.201", false},
		{"fd00:ec2::253", false}, {"example.com", false}, {"169.255.0.1", false}, {"[::1]", false},
	} {
		if got := blockedHost(tc.host); got != tc.want {
			t.Errorf("blockedHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestEndpointTargetRefused(t *testing.T) {
	t.Parallel()
	urls := []string{
		"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/hook", "http://100.100.100.200/",
		"http://[fd00:ec2::254]/", "http://metadata.google.internal/computeMetadata/v1/",
	}
	for _, allow := range []bool{false, true} {
		p, _ := startAPI(t, func(o *Options) { o.AllowLinkLocal = allow })
		for _, u := range urls {
			st, _, b := call(t, "POST", p.URL()+"/endpoints", "", `{"url":"`+u+`"}`, nil, nil)
			want := 400
			if allow {
				want = 201
			}
			if st != want {
				t.Errorf("allow-link-local=%v, POST /endpoints %s: %d %s, want %d", allow, u, st, b, want)
			}
			if !allow && !strings.Contains(string(b), "--allow-link-local") {
				t.Errorf("refusal %s does not name --allow-link-local", b)
			}
		}
	}
}

// fakeConn is a connection whose peer address is given.
type fakeConn struct {
	net.Conn
	remote net.Addr
	closed bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return c.remote }
func (c *fakeConn) Close() error         { c.closed = true; return nil }

func TestDialRefusesResolvedBlockedAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		remote  string
		allow   bool
		blocked bool
	}{
		{"metadata", "169.254.169.254:80", false, true},
		{"ipv6 link-local", "[fe80::1]:80", false, true},
		{"mapped", "[::ffff:169.254.169.254]:80", false, true},
		{"allowed", "169.254.169.254:80", true, false},
		{"loopback", "127.0.0.1:80", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ap, err := net.ResolveTCPAddr("tcp", tc.remote)
			if err != nil {
				t.Fatal(err)
			}
			fc := &fakeConn{remote: ap}
			// A name that resolves to the address: registration cannot
			// tell, the dialer must.
			c, err := targetDialer(tc.allow, func(string) (net.Conn, error) { return fc, nil })("innocent.example:80")
			if tc.blocked {
				if !errors.Is(err, ErrBlockedTarget) || c != nil || !fc.closed {
					t.Fatalf("dial = %v, %v (closed %v); want ErrBlockedTarget and the connection closed", c, err, fc.closed)
				}
				return
			}
			if err != nil || c == nil {
				t.Fatalf("dial = %v, %v; want a connection", c, err)
			}
		})
	}
}

func TestAPIOverCapacity(t *testing.T) {
	t.Parallel()
	p, _ := startAPI(t, func(o *Options) { o.MaxAPIConns = 1 })
	addr := strings.TrimPrefix(p.URL(), "http://")
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	first.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(first)
	health := func() health {
		t.Helper()
		if _, err := io.WriteString(first, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := readResponse(r)
		if err != nil {
			t.Fatal(err)
		}
		var h health
		if err := json.Unmarshal(resp, &h); err != nil {
			t.Fatalf("healthz %q: %v", resp, err)
		}
		return h
	}
	if h := health(); h.OverCapacity != 0 {
		t.Fatalf("healthz %+v before any refusal", h)
	}
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(second).ReadString('\n')
	if line != "HTTP/1.1 503 Service Unavailable\r\n" {
		t.Fatalf("second connection: %q, want 503", line)
	}
	if h := health(); h.OverCapacity != 1 || p.OverCapacity() != 1 {
		t.Fatalf("healthz %+v, OverCapacity() %d; want 1", h, p.OverCapacity())
	}
}

// readResponse reads one HTTP/1.1 response with a Content-Length and
// returns its body.
func readResponse(r *bufio.Reader) ([]byte, error) {
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			if _, err := fmt.Sscan(strings.TrimSpace(v), &n); err != nil {
				return nil, err
			}
		}
	}
	if n < 0 {
		return nil, errors.New("no Content-Length")
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

func TestAPILogRateLimited(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex // guards lines
	var lines []string
	p, _ := startAPI(t, func(o *Options) {
		o.Logf = func(f string, args ...any) {
			mu.Lock()
			lines = append(lines, fmt.Sprintf(f, args...))
			mu.Unlock()
		}
	})
	fixed := time.Now()
	p.apiLog.Now = func() time.Time { return fixed }
	addr := strings.TrimPrefix(p.URL(), "http://")
	const n = 10
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GARBAGE\r\n\r\n")
		bufio.NewReader(c).ReadString('\n')
		c.Close()
	}
	for i := 0; p.apiLog.Suppressed() < n-1; i++ {
		if i == 1000 {
			t.Fatalf("suppressed %d, want %d", p.apiLog.Suppressed(), n-1)
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 {
		t.Fatalf("%d lines for %d malformed connections, want 1: %q", len(lines), n, lines)
	}
}
