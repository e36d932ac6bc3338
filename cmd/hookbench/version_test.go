package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	vcs := func(mod string, kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/hookbench/hookbench", Version: mod}}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	tests := []struct {
		name                   string
		bi                     *debug.BuildInfo
		ok                     bool
		xVersion, xCommit, xDt string
		want                   buildVersion
	}{
		{"go install of a tag", vcs("v0.4.1"), true, "", "", "",
			buildVersion{Version: "v0.4.1", Commit: "unknown", Date: "unknown", Go: "go1.26.8"}},
		{"build in a checkout", vcs("(devel)", "vcs.revision", "abc123", "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "false"), true, "", "", "",
			buildVersion{Version: "(devel)", Commit: "abc123", Date: "2026-12-01T10:00:00Z", Go: "go1.26.8"}},
		{"modified tree", vcs("", "vcs.revision", "abc123", "vcs.modified", "true"), true, "", "", "",
			buildVersion{Version: "(devel)", Commit: "abc123+dirty", Date: "unknown", Go: "go1.26.8"}},
		{"release build overrides", vcs("(devel)", "vcs.revision", "abc123"), true, "v0.5.0", "def456", "2026-12-02T00:00:00Z",
			buildVersion{Version: "v0.5.0", Commit: "def456", Date: "2026-12-02T00:00:00Z", Go: "go1.26.8"}},
		{"no build info", nil, false, "", "", "",
			buildVersion{Version: "(devel)", Commit: "unknown", Date: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readVersion(tt.bi, tt.ok, tt.xVersion, tt.xCommit, tt.xDt)
			if tt.want.Go == "" {
				tt.want.Go = got.Go // the running toolchain's
				if !strings.HasPrefix(got.Go, "go") {
					t.Errorf("Go = %q, want the runtime version", got.Go)
				}
			}
			tt.want.Platform = got.Platform
			if got != tt.want {
				t.Errorf("readVersion = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVersionCommandOutput(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"hookbench ", "commit:", "built:", "go:"}
	if len(lines) != len(want) {
		t.Fatalf("version printed %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, p := range want {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], p)
		}
	}
	if v := strings.TrimPrefix(lines[0], "hookbench "); v != versionString() {
		t.Errorf("first line version %q, traces record %q", v, versionString())
	}
}
