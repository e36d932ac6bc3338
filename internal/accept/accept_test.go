package accept

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// flakyListener fails its first n Accepts with err, then hands out the
// connections of conns.
type flakyListener struct {
	n     int
	err   error
	conns chan net.Conn
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.n > 0 {
		l.n--
		return nil, l.err
	}
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}

func (l *flakyListener) Close() error   { return nil }
func (l *flakyListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func pipe(tb testing.TB) net.Conn {
	tb.Helper()
	a, b := net.Pipe()
	tb.Cleanup(func() { a.Close(); b.Close() })
	return a
}

func TestAcceptRetriesTemporary(t *testing.T) {
	t.Parallel()
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	for _, tc := range []struct {
		name     string
		err      error
		n        int
		wantErrs uint64
		wantConn bool
	}{
		{"emfile", emfile, 3, 3, true},
		{"enfile", &net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENFILE)}, 2, 2, true},
		{"econnaborted", &net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ECONNABORTED)}, 1, 1, true},
		{"closed", net.ErrClosed, 1, 0, false},
		{"other", errors.New("boom"), 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inner := &flakyListener{n: tc.n, err: tc.err, conns: make(chan net.Conn, 1)}
			inner.conns <- pipe(t)
			var seen []error
			l := &Listener{Listener: inner, OnError: func(err error) { seen = append(seen, err) }}
			c, err := l.Accept()
			if tc.wantConn != (err == nil) {
				t.Fatalf("Accept = %v, %v; want a connection: %v", c, err, tc.wantConn)
			}
			if !tc.wantConn && !errors.Is(err, tc.err) {
				t.Fatalf("Accept error %v, want %v", err, tc.err)
			}
			if got := l.Errors(); got != tc.wantErrs || uint64(len(seen)) != tc.wantErrs {
				t.Fatalf("Errors() = %d, OnError calls %d; want %d", got, len(seen), tc.wantErrs)
			}
		})
	}
}

func TestAcceptCloseEndsBackoff(t *testing.T) {
	t.Parallel()
	inner := &flakyListener{n: 1 << 30, err: os.NewSyscallError("accept4", syscall.EMFILE), conns: make(chan net.Conn)}
	l := &Listener{Listener: inner}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		done <- err
	}()
	for l.Errors() < 3 {
		time.Sleep(time.Millisecond)
	}
	l.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

func TestAcceptCap(t *testing.T) {
	t.Parallel()
	inner := &flakyListener{conns: make(chan net.Conn, 4)}
	for range 4 {
		inner.conns <- pipe(t)
	}
	close(inner.conns)
	var refused []net.Conn
	l := &Listener{Listener: inner, MaxConns: 2, Refuse: func(c net.Conn) { refused = append(refused, c) }}
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if l.Open() != 2 {
		t.Fatalf("Open() = %d, want 2", l.Open())
	}
	a.Close()
	a.Close()                             // a second Close frees nothing more
	if _, err := l.Accept(); err != nil { // the third fits after a closed
		t.Fatal(err)
	}
	// the fourth is over the cap: refused, then the inner listener is done
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept = %v, want net.ErrClosed", err)
	}
	if l.Refused() != 1 || len(refused) != 1 {
		t.Fatalf("Refused() = %d, Refuse calls %d; want 1", l.Refused(), len(refused))
	}
	b.Close()
	if l.Open() != 1 {
		t.Fatalf("Open() = %d, want 1", l.Open())
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	d := time.Duration(0)
	for range 10 {
		d = Next(d)
		got = append(got, d)
	}
	want := "[5ms 10ms 20ms 40ms 80ms 160ms 320ms 640ms 1s 1s]"
	if s := fmt.Sprint(got); s != want {
		t.Fatalf("back-offs %s, want %s", s, want)
	}
}
