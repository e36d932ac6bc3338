package main

import (
	"context"
	"errors"
)

// runProvider is a placeholder until its issue lands.
func runProvider(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
