package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hookbench/hookbench/scenarios"
)

// forceUsage is the --force help text of every command that writes a trace.
const forceUsage = "overwrite the --trace file if it exists (without it, an existing file is an error: a trace is never replaced by accident)"

// addForce registers --force on a command that writes a trace.
func addForce(fs *pflag.FlagSet) *bool { return fs.Bool("force", false, forceUsage) }

// traceFileError turns a failure to create a trace file into an error (exit 2)
// that names the flag and the file.
func traceFileError(path string, err error) error {
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("--trace %s: the file exists (a recorded trace is never overwritten): pick another name or pass --force", path)
	}
	return fmt.Errorf("--trace %s: %w", path, err)
}

// freeName returns name when no file has it, else the first of NAME.1.EXT,
// NAME.2.EXT, ... that is free (name itself after 9999 tries: the O_EXCL
// open then reports the clash).
func freeName(name string) string {
	if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
		return name
	}
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 1; i < 10000; i++ {
		c := base + "." + strconv.Itoa(i) + ext
		if _, err := os.Lstat(c); errors.Is(err, fs.ErrNotExist) {
			return c
		}
	}
	return name
}

// addSecretVars registers with red the values of NAME=VALUE --var flags
// whose name reads as a credential, whether or not the scenario uses them:
// the command line goes into the trace header.
func addSecretVars(red *scenarios.Redactor, vars []string) {
	for _, kv := range vars {
		if k, v, ok := strings.Cut(kv, "="); ok && scenarios.SecretName(k) {
			red.Add(v)
		}
	}
}

// addSecretHeaders registers with red the values of 'Name: value' --header
// flags whose name reads as a credential, and the last word of each (the
// token of "Bearer TOKEN"), which the command line may also hold alone.
func addSecretHeaders(red *scenarios.Redactor, headers []string) {
	for _, h := range headers {
		name, v, ok := strings.Cut(h, ":")
		if !ok || !scenarios.SecretName(strings.TrimSpace(name)) {
			continue
		}
		v = strings.TrimSpace(v)
		red.Add(v)
		if f := strings.Fields(v); len(f) > 1 {
			red.Add(f[len(f)-1])
		}
	}
}
