package main

import (
	"context"
	"errors"
)

// runTrace is a placeholder until its issue lands.
func runTrace(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
