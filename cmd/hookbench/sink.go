package main

import (
	"context"
	"errors"
)

// runSink is a placeholder until its issue lands.
func runSink(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
