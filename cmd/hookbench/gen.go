package main

import (
	"context"
	"errors"
)

// runGen is a placeholder until its issue lands.
func runGen(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
