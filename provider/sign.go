package provider

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hookbench/hookbench/signature"
)

// This file adapts signature to the delivery engine.

// schemeNone means unsigned deliveries.
const schemeNone = "none"

// knownSchemes are the schemes an endpoint may use: every signature
// scheme configured by secrets alone, "generic" when the policy's
// scheme_options configure it, and "none".
func knownSchemes(generic bool) []string {
	out := signature.Schemes()
	if !generic {
		out = slices.DeleteFunc(out, func(s string) bool { return s == signature.SchemeGeneric })
	}
	return append(out, schemeNone)
}

// checkScheme accepts a known scheme; generic tells whether the generic
// scheme is configured.
func checkScheme(s string, generic bool) error {
	if s == "" || slices.Contains(knownSchemes(generic), s) {
		return nil
	}
	if s == signature.SchemeGeneric {
		return errors.New("scheme generic needs the policy's scheme_options (header, template, ...)")
	}
	return fmt.Errorf("unknown signature scheme %q (known: %s)", s, strings.Join(knownSchemes(generic), ", "))
}

// checkGeneric validates the generic scheme's options with a placeholder
// secret.
func checkGeneric(opts map[string]string) error {
	c := signature.Config{Scheme: signature.SchemeGeneric, Secrets: []string{"placeholder"}}
	if err := c.ApplyOptions(opts); err != nil {
		return err
	}
	return c.Validate()
}

// newSigner returns the signer of a scheme; "" and "none" sign nothing.
// generic configures scheme "generic".
func newSigner(scheme string, secrets []string, generic map[string]string) (signature.Signer, error) {
	if scheme == "" || scheme == schemeNone {
		return nopSigner{}, nil
	}
	if err := checkScheme(scheme, len(generic) > 0); err != nil {
		return nil, err
	}
	c := signature.Config{Scheme: scheme, Secrets: secrets}
	if scheme == signature.SchemeGeneric {
		if err := c.ApplyOptions(generic); err != nil {
			return nil, err
		}
	}
	s, err := signature.NewSigner(c)
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
