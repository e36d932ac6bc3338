// Package wait holds the waits hookbench's packages share.
package wait

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends, returning ctx's error in that case; a
// d of 0 or less only reports whether ctx has ended.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
