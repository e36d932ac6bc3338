package netx

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/trace"
)

// Classify sorts a transport error: ErrNone for nil, ErrTimeout when the
// peer did not answer in time, ErrConnection when the connection could
// not be made or broke, ErrOther for the rest.
func Classify(err error) trace.ErrKind {
	switch {
	case err == nil:
		return trace.ErrNone
	case isTimeout(err):
		return trace.ErrTimeout
	case isConnection(err):
		return trace.ErrConnection
	}
	return trace.ErrOther
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		errors.Is(err, fasthttp.ErrTLSHandshakeTimeout) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	// net.Error, context.DeadlineExceeded, *url.Error and TimeoutError all
	// say so themselves.
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func isConnection(err error) bool {
	for _, target := range connErrs {
		if errors.Is(err, target) {
			return true
		}
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// connErrs are the errors of a connection refused, reset or closed under
// a request.
var connErrs = []error{
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	io.EOF, io.ErrUnexpectedEOF, net.ErrClosed,
	fasthttp.ErrConnectionClosed, fasthttp.ErrNoFreeConns,
}

// TimeoutError is an error that is a timeout by nature, such as a command
// killed when its time ran out; Classify reports it as trace.ErrTimeout.
type TimeoutError struct{ Err error }

func (e *TimeoutError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Timeout reports true: the error is a timeout.
func (e *TimeoutError) Timeout() bool { return true }
