package main

import (
	"context"
	"errors"
)

// runCheck is a placeholder until its issue lands.
func runCheck(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
