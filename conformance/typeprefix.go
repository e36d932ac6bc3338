package conformance

import (
	"fmt"
	"strings"
)

// MaxTypePrefix bounds conform.type_prefix (and --type-prefix).
const MaxTypePrefix = 64

// CheckTypePrefix reports why p cannot start an event type name.
func CheckTypePrefix(p string) error {
	switch {
	case len(p) > MaxTypePrefix:
		return fmt.Errorf("must be at most %d bytes, got %d", MaxTypePrefix, len(p))
	case strings.ContainsAny(p, ",|\" {}\r\n\t"):
		return fmt.Errorf("must not contain spaces, commas, |, quotes or braces, got %q", p)
	}
	return nil
}
