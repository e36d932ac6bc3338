package reference

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/sink/signature"
)

// This file adapts sink/signature to the delivery engine.

// schemeNone means unsigned deliveries.
const schemeNone = "none"

// knownSchemes are the schemes an endpoint may use: every sink/signature
// scheme configured by secrets alone ("generic" needs more), and "none".
func knownSchemes() []string {
	out := slices.DeleteFunc(signature.Schemes(), func(s string) bool { return s == signature.SchemeGeneric })
	return append(out, schemeNone)
}

func checkScheme(s string) error {
	if s == "" || slices.Contains(knownSchemes(), s) {
		return nil
	}
	return fmt.Errorf("unknown signature scheme %q (known: %s)", s, strings.Join(knownSchemes(), ", "))
}

// newSigner returns the signer of a scheme; "" and "none" sign nothing.
func newSigner(scheme string, secrets []string) (signature.Signer, error) {
	if scheme == "" || scheme == schemeNone {
		return nopSigner{}, nil
	}
	if err := checkScheme(scheme); err != nil {
		return nil, err
	}
	s, err := signature.NewSigner(signature.Config{Scheme: scheme, Secrets: secrets})
	if err != nil {
		var ce *signature.ConfigError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%s: %w", ce.Field, ce.Err)
		}
		return nil, err
	}
	return s, nil
}

// generateSecret returns a fresh secret for the scheme.
func generateSecret(scheme string, rnd io.Reader) (string, error) {
	s, err := signature.GenerateSecret(scheme, rnd)
	if err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return s, nil
}

// nopSigner signs nothing (scheme "none").
type nopSigner struct{}

var _ signature.Signer = nopSigner{}

func (nopSigner) Sign(signature.HeaderSetter, string, time.Time, []byte) {}
