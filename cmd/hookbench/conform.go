package main

import (
	"context"
	"errors"
)

// runConform is a placeholder until its issue lands.
func runConform(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
