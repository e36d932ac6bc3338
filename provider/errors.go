package provider

import (
	"errors"
	"strconv"
)

// Sentinel errors of the library API; the HTTP API maps them to statuses.
var (
	// ErrClosed: the provider is closed (HTTP 503).
	ErrClosed = errors.New("reference: provider closed")
	// ErrNotFound: no endpoint or event has that id (HTTP 404).
	ErrNotFound = errors.New("reference: not found")
	// ErrQueueFull: accepting the event would exceed Options.QueueSize
	// (HTTP 503 with Retry-After).
	ErrQueueFull = errors.New("reference: delivery queue full")
)

// InputError is a rejected API request: which field was wrong and why.
// Nothing was created when an InputError is returned.
type InputError struct {
	Field  string // JSON field, e.g. "url", "endpoints[1]", "" for the whole body
	Reason string
	Status int // 400 or 413
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func badInput(field, reason string) *InputError {
	return &InputError{Field: field, Reason: reason, Status: 400}
}

func indexField(name string, i int) string { return name + "[" + strconv.Itoa(i) + "]" }
