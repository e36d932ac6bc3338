package main

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion is what hookbench version prints.
type buildVersion struct {
	Version  string // the release tag, the module version of go install, or (devel)
	Commit   string // the VCS revision, "+dirty" when built from a modified tree
	Date     string // the commit time (RFC 3339): builds are reproducible, so no wall-clock time
	Go       string
	Platform string
}

// readVersion combines the -X overrides with the build info of a go build
// inside a repository (vcs.* settings) or of go install MODULE@VERSION
// (the module version, no vcs settings).
func readVersion(bi *debug.BuildInfo, ok bool, xVersion, xCommit, xDate string) buildVersion {
	v := buildVersion{Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	var rev, when string
	modified := false
	if ok && bi != nil {
		v.Go = cmp.Or(bi.GoVersion, v.Go)
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev != "" && modified {
		rev += "+dirty"
	}
	v.Version = cmp.Or(xVersion, v.Version, "(devel)")
	v.Commit = cmp.Or(xCommit, rev, "unknown")
	v.Date = cmp.Or(xDate, when, "unknown")
	return v
}

func currentVersion() buildVersion {
	bi, ok := debug.ReadBuildInfo()
	return readVersion(bi, ok, version, commit, date)
}

// versionString is the version recorded in traces and reports.
func versionString() string { return currentVersion().Version }

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "version", "  hookbench version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (version takes no arguments)", fs.Arg(0))
	}
	v := currentVersion()
	fmt.Fprintf(e.stdout, "hookbench %s\ncommit:   %s\nbuilt:    %s\ngo:       %s %s\n", v.Version, v.Commit, v.Date, v.Go, v.Platform)
	return nil
}
