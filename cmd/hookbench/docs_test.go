package main

//go:generate go test -count=1 -run TestDocsGenerated -update .

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var update = flag.Bool("update", false, "rewrite the generated tables of README.md and docs/*.md")

const (
	beginMarker = "<!-- BEGIN generated: "
	endMarker   = "<!-- END generated -->"
	regenerate  = "go generate ./cmd/hookbench (or go test ./cmd/hookbench -run TestDocsGenerated -update)"
)

// generatedTables are the tables of the docs that the CLI prints from code;
// each must appear in its file between markers.
var generatedTables = []struct{ file, command string }{
	{"docs/conformance.md", "conform --list --format markdown"},
	{"docs/provider.md", "provider --list-faults --format markdown"},
	{"docs/sink.md", "sink --list-schemes --format markdown"},
	{"docs/sink.md", "sink --list-rule-keys --format markdown"},
	{"docs/sink.md", "sink --list-endpoint-keys --format markdown"},
	{"docs/metrics.md", "gen --list-metrics=markdown"},
	{"docs/metrics.md", "run --list-metrics=markdown"},
	{"docs/metrics.md", "sink --list-metrics=markdown"},
	{"docs/metrics.md", "provider --list-metrics=markdown"},
}

// TestDocsGenerated fails when a table of the docs differs from what its
// command prints now; -update (or go generate) rewrites the tables.
func TestDocsGenerated(t *testing.T) {
	files := map[string]bool{"README.md": true}
	mds, _ := filepath.Glob("../../docs/*.md")
	for _, m := range mds {
		files["docs/"+filepath.Base(m)] = true
	}
	found := map[string]bool{}
	for file := range files {
		path := filepath.Join("..", "..", file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out, changed := regenerateBlocks(t, file, string(b), func(cmd string) { found[file+"\x00"+cmd] = true })
		if !changed {
			continue
		}
		if *update {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: tables rewritten", file)
		}
	}
	for _, g := range generatedTables {
		if !found[g.file+"\x00"+g.command] {
			t.Errorf("%s: no generated table %s%s -->; add the markers (an empty block is filled by: %s)", g.file, beginMarker, g.command, regenerate)
		}
	}
}

// regenerateBlocks replaces every generated block of doc with what its
// command prints, reporting (unless -update) each block that differs.
func regenerateBlocks(t *testing.T, file, doc string, seen func(cmd string)) (string, bool) {
	t.Helper()
	var out strings.Builder
	changed := false
	rest := doc
	for {
		i := strings.Index(rest, beginMarker)
		if i < 0 {
			out.WriteString(rest)
			return out.String(), changed
		}
		eol := strings.Index(rest[i:], "-->")
		if eol < 0 {
			t.Fatalf("%s: unterminated %q", file, beginMarker)
		}
		cmd := strings.TrimSpace(rest[i+len(beginMarker) : i+eol])
		head := i + eol + len("-->")
		if !strings.HasPrefix(rest[head:], "\n") {
			t.Fatalf("%s: %s%s --> must end its line", file, beginMarker, cmd)
		}
		head++
		end := strings.Index(rest[head:], endMarker)
		if end < 0 {
			t.Fatalf("%s: %s%s --> has no %s", file, beginMarker, cmd, endMarker)
		}
		end += head
		seen(cmd)
		code, stdout, stderr := runCLI(t, strings.Fields(cmd)...)
		if code != exitOK {
			t.Fatalf("%s: hookbench %s: exit %d: %s", file, cmd, code, stderr)
		}
		got := rest[head:end]
		if got != stdout {
			changed = true
			if !*update {
				t.Errorf("%s: the table after %s%s --> is out of date: regenerate it with %s\n%s", file, beginMarker, cmd, regenerate, firstDiff(got, stdout))
			}
		}
		out.WriteString(rest[:head])
		out.WriteString(stdout)
		rest = rest[end:]
	}
}

// firstDiff names the first line where the docs and the command differ.
func firstDiff(doc, cmd string) string {
	a, b := strings.Split(doc, "\n"), strings.Split(cmd, "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("  line %d of the table:\n    docs:    %s\n    command: %s", i+1, x, y)
		}
	}
	return ""
}

// TestDocsLinks fails on a relative link in README.md or docs/*.md to a
// file or heading that does not exist.
func TestDocsLinks(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(stripCode(string(b)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
			}
			d, err := os.ReadFile(dest)
			if err != nil {
				t.Errorf("%s: link %s: %v", filepath.Base(f), target, err)
				continue
			}
			if anchor != "" && !slices.Contains(anchors(string(d)), anchor) {
				t.Errorf("%s: link %s: no heading with that anchor in %s", filepath.Base(f), target, filepath.Base(dest))
			}
		}
	}
}

// TestReadme keeps the README short and its two commands exact.
func TestReadme(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if n := strings.Count(s, "\n"); n > 250 {
		t.Errorf("README.md has %d lines; keep it at most 250 and move detail to docs/", n)
	}
	for _, cmd := range []string{"go run ./cmd/hookbench conform ", "go test -race -shuffle=on -timeout 10m ./... "} {
		if !strings.Contains(s, "\n"+cmd) {
			t.Errorf("README.md lacks the command %q at the start of a line", strings.TrimSpace(cmd))
		}
	}
}

// stripCode drops fenced code blocks, whose brackets are not links.
func stripCode(s string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if !in {
			b.WriteString(l)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(md string) []string {
	var out []string
	for _, l := range strings.Split(stripCode(md), "\n") {
		h := strings.TrimLeft(l, "#")
		if len(h) == len(l) || !strings.HasPrefix(h, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(h)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestListFormats: every --list* flag prints text by default, Markdown with
// --format markdown, and an unknown format is a usage error naming it.
func TestListFormats(t *testing.T) {
	tests := []struct {
		args     []string
		text, md string // a line of the text output, the Markdown header row
	}{
		{[]string{"conform", "--list"}, "  3.3   MUST", "| id | level | check | source |"},
		{[]string{"provider", "--list-faults"}, "no-jitter ", "| fault | breaks |"},
		{[]string{"sink", "--list-schemes"}, "X-Hub-Signature-256 (sha256=<hex>)", "| scheme | signature header (value) |"},
		{[]string{"sink", "--list-rule-keys"}, "retry-after ", "| key | kind | meaning | example |"},
		{[]string{"sink", "--list-endpoint-keys"}, "sig-header ", "| key | kind | meaning | example |"},
	}
	for _, tt := range tests {
		code, out, errs := runCLI(t, tt.args...)
		if code != exitOK || !strings.Contains(out, tt.text) || strings.Contains(out, "|---|") {
			t.Errorf("%v: exit %d, want 0 and text holding %q; stdout:\n%s%s", tt.args, code, tt.text, out, errs)
		}
		code, out, errs = runCLI(t, append(tt.args, "--format", "markdown")...)
		if code != exitOK || !strings.HasPrefix(out, tt.md) || strings.Contains(out, "\t") {
			t.Errorf("%v --format markdown: exit %d, want 0 and a table starting %q; stdout:\n%s%s", tt.args, code, tt.md, out, errs)
		}
		code, _, errs = runCLI(t, append(tt.args, "--format", "html")...)
		if code != exitUsage || !strings.Contains(errs, `"html"`) {
			t.Errorf("%v --format html: exit %d, stderr %q; want 2 naming the format", tt.args, code, errs)
		}
	}
}

// internalText is wording about how hookbench was built rather than what
// it does: issue numbers, goals, the sample systems it was first tried on,
// files outside the repository.
var internalText = regexp.MustCompile(`(?i)\bissues? ?#?\d|#\d{2,}\b|\bgoals?\b|\bseeds?[ -]?0\d\d|\bseeds'|/work/|/shared/|STYLE\.md|webhooks\.md`)

// TestProductText: the README, the docs, every command's help and the
// checks' titles and sources speak of the product only.
func TestProductText(t *testing.T) {
	texts := map[string]string{}
	files, _ := filepath.Glob("../../docs/*.md")
	for _, f := range append(files, "../../README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = string(b)
	}
	for name := range commands() {
		_, out, _ := runCLI(t, name, "--help")
		texts["hookbench "+name+" --help"] = out
	}
	_, out, _ := runCLI(t, "conform", "--list")
	texts["conform --list"] = out
	_, out, _ = runCLI(t, "provider", "--list-faults")
	texts["provider --list-faults"] = out
	for name, s := range texts {
		for i, l := range strings.Split(s, "\n") {
			if m := internalText.FindString(l); m != "" {
				t.Errorf("%s:%d: %q speaks of more than the product: %s", name, i+1, m, l)
			}
		}
	}
}
