//go:build !linux

package generator

import "time"

// preciseSleep sleeps for d (on the Go timer where no better clock is wired).
func preciseSleep(d time.Duration) { time.Sleep(d) }
