package netx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/trace"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("deliver /a: %w", err) }
	cases := []struct {
		name string
		err  error
		want trace.ErrKind
	}{
		{"nil", nil, trace.ErrNone},
		{"fasthttp timeout", fasthttp.ErrTimeout, trace.ErrTimeout},
		{"fasthttp dial timeout", wrap(fasthttp.ErrDialTimeout), trace.ErrTimeout},
		{"fasthttp tls handshake timeout", fasthttp.ErrTLSHandshakeTimeout, trace.ErrTimeout},
		{"deadline on a conn", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, trace.ErrTimeout},
		{"context deadline", wrap(context.DeadlineExceeded), trace.ErrTimeout},
		{"http client timeout", &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}, trace.ErrTimeout},
		{"command ran out of time", &TimeoutError{Err: errors.New("trigger (./send): ran 5s")}, trace.ErrTimeout},
		{"refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), trace.ErrConnection},
		{"reset", os.NewSyscallError("read", syscall.ECONNRESET), trace.ErrConnection},
		{"broken pipe", wrap(syscall.EPIPE), trace.ErrConnection},
		{"eof", io.EOF, trace.ErrConnection},
		{"unexpected eof", wrap(io.ErrUnexpectedEOF), trace.ErrConnection},
		{"closed under the request", fasthttp.ErrConnectionClosed, trace.ErrConnection},
		{"no free conns", fasthttp.ErrNoFreeConns, trace.ErrConnection},
		{"closed tracker", ErrTrackerClosed, trace.ErrConnection},
		{"other op error", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route")}, trace.ErrConnection},
		{"canceled", context.Canceled, trace.ErrOther},
		{"bad url", errors.New("parse url: bad"), trace.ErrOther},
		// The text says nothing: these are plain errors.
		{"text says timed out", errors.New("dial: i/o timeout: timed out"), trace.ErrOther},
		{"text says refused", errors.New("connection refused"), trace.ErrOther},
		{"text says reset", errors.New("connection reset by peer"), trace.ErrOther},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// TestClassifyRealErrors classifies what the network stack itself returns.
func TestClassifyRealErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	done := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- nil
			return
		}
		done <- c
	}()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	server := <-done
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()

	_ = c.SetReadDeadline(time.Now().Add(-time.Second))
	_, err = c.Read(make([]byte, 1))
	if got := Classify(err); got != trace.ErrTimeout {
		t.Errorf("read past its deadline: %v classified %v", err, got)
	}
	_ = c.SetReadDeadline(time.Time{})
	server.Close()
	_, err = c.Read(make([]byte, 1))
	if got := Classify(err); got != trace.ErrConnection {
		t.Errorf("read after the peer closed: %v classified %v", err, got)
	}

	ln.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Skip("the closed port accepted a connection")
	}
	if got := Classify(err); got != trace.ErrConnection {
		t.Errorf("dial a closed port: %v classified %v", err, got)
	}
}
