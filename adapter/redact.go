package adapter

import (
	"sort"
	"strings"
	"sync"
)

// Redacted replaces a secret wherever output would show it.
const Redacted = "[REDACTED]"

// SecretName reports whether a variable, header or field name suggests its
// value is a credential, so that the value is redacted from output.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"secret", "token", "key", "password", "passwd", "auth", "credential", "private", "signature", "cookie"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Redactor removes secrets from text shown to people or written to traces.
// It is safe for concurrent use; the zero value redacts nothing until Add is
// called. A nil *Redactor returns text unchanged.
type Redactor struct {
	mu sync.RWMutex // guards secrets
	// secrets, longest first so that a secret containing another is
	// replaced whole.
	secrets []string
}

// MinSecretLen is the shortest value a Redactor redacts: replacing every
// "x" in a text would garble it and hide nothing (such a value is no
// secret).
const MinSecretLen = 4

// Add registers secrets to redact. Values shorter than MinSecretLen are
// ignored.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
outer:
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		for _, have := range r.secrets {
			if have == s {
				continue outer
			}
		}
		r.secrets = append(r.secrets, s)
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Redact returns s with every registered secret replaced by Redacted.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
}

// RedactAll redacts each string of ss into a new slice.
func (r *Redactor) RedactAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.Redact(s)
	}
	return out
}

// Clone returns an independent copy, for a run that learns more secrets
// (extracted from a provider's responses) without changing the Scenario.
func (r *Redactor) Clone() *Redactor {
	c := &Redactor{}
	if r == nil {
		return c
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	c.secrets = append([]string(nil), r.secrets...)
	return c
}

// redactError wraps err so that its message is redacted while errors.Is and
// errors.As still see the original.
type redactError struct {
	msg string
	err error
}

func (e *redactError) Error() string { return e.msg }
func (e *redactError) Unwrap() error { return e.err }

// RedactError returns err with its message passed through the redactor,
// keeping the error chain. nil stays nil.
func (r *Redactor) RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := r.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactError{msg: msg, err: err}
}
