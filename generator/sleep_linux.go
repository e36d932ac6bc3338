package generator

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// preciseTimer sleeps with microsecond accuracy without blocking a thread:
// a timerfd(2) armed for the wait and waited on through Go's netpoller,
// which wakes as soon as the timer fires (Go's own timers are rounded to
// the millisecond while the process idles). One arm and one read syscall
// per sleep. A preciseTimer belongs to one goroutine; sleep does not
// allocate.
type preciseTimer struct {
	f    *os.File
	raw  uintptr // the timerfd (os.File.Fd would make it blocking)
	rc   syscall.RawConn
	wait func(fd uintptr) bool // t.step, bound once
	// State of the current sleep, used by step.
	spec  itimerspec
	armed bool
	err   error
	buf   [8]byte
}

const clockMonotonic = 1

type itimerspec struct {
	interval, value syscall.Timespec
}

func newPreciseTimer() (*preciseTimer, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return nil, os.NewSyscallError("timerfd_create", errno)
	}
	f := os.NewFile(fd, "timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &preciseTimer{f: f, raw: fd, rc: rc}
	t.wait = t.step
	return t, nil
}

// step is the RawConn read callback. The first call arms the timer and
// asks to wait (the netpoller's readiness was reset just before, so the
// timer's expiry cannot be missed); later calls consume the expiry.
func (t *preciseTimer) step(fd uintptr) bool {
	if !t.armed {
		t.armed = true
		_, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&t.spec)), 0, 0, 0)
		if errno != 0 {
			t.err = errno
			return true
		}
		return false
	}
	_, _, errno := syscall.Syscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&t.buf[0])), uintptr(len(t.buf)))
	switch errno {
	case 0:
		return true
	case syscall.EAGAIN, syscall.EINTR:
		return false
	}
	t.err = errno
	return true
}

// sleep waits for d; false when the timer is closed or broken (the caller
// then falls back to its Go timer).
func (t *preciseTimer) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t.spec.value = syscall.NsecToTimespec(int64(d))
	t.armed, t.err = false, nil
	if err := t.rc.Read(t.wait); err != nil || t.err != nil {
		return false
	}
	return true
}

// startTicking arms t to fire every period, from period from now on;
// period 0 disarms it.
func (t *preciseTimer) startTicking(period time.Duration) bool {
	ts := syscall.NsecToTimespec(int64(period))
	spec := itimerspec{interval: ts, value: ts}
	_, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, t.raw, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	return errno == 0
}

// waitTick waits for the next expiry of a ticking t; false once t is
// closed. Each expiry wakes the netpoller, and with it the Go scheduler,
// which then runs the Go timers that expired meanwhile: this is how an
// idle-ish process gets its timers on time (instead of on a 1 ms grid). It
// reads with os.File.Read (try, then wait): measured, this keeps timers on
// time where waiting first through RawConn did not.
func (t *preciseTimer) waitTick() bool {
	for {
		_, err := t.f.Read(t.buf[:])
		if err == nil {
			return true
		}
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR) {
			return false
		}
	}
}

func (t *preciseTimer) close() { t.f.Close() }
