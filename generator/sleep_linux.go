package generator

import (
	"syscall"
	"time"
)

// preciseSleep blocks the calling thread for d with nanosleep(2). The Go
// runtime hands the thread's P to other goroutines meanwhile.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
