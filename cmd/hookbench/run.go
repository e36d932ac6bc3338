package main

import (
	"context"
	"errors"
)

// runScenario is a placeholder until its issue lands.
func runScenario(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
