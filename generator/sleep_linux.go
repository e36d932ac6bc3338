package generator

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// preciseTimer sleeps with microsecond accuracy without blocking a thread:
// a timerfd(2) armed for the wait and read through Go's netpoller, which
// wakes as soon as the timer fires (epoll reports the fd at once; Go's own
// timers are rounded to the millisecond while the process idles).
// A preciseTimer belongs to one goroutine.
type preciseTimer struct {
	f   *os.File
	fd  uintptr
	buf [8]byte
}

const (
	clockMonotonic = 1
	tfdNonblock    = syscall.O_NONBLOCK
	tfdCloexec     = syscall.O_CLOEXEC
)

func newPreciseTimer() (*preciseTimer, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return nil, os.NewSyscallError("timerfd_create", errno)
	}
	return &preciseTimer{f: os.NewFile(fd, "timerfd"), fd: fd}, nil
}

type itimerspec struct {
	interval, value syscall.Timespec
}

// sleep waits for d. It returns early, with false, when the timer is closed.
func (t *preciseTimer) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	spec := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	_, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, t.fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	if errno != 0 {
		time.Sleep(d)
		return true
	}
	for {
		_, err := t.f.Read(t.buf[:])
		if err == nil {
			return true
		}
		if errors.Is(err, os.ErrClosed) {
			return false
		}
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR) {
			time.Sleep(d)
			return true
		}
	}
}

func (t *preciseTimer) close() { t.f.Close() }
