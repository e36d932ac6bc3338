package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hookbench/hookbench/"

// layers ranks the packages of docs/ARCHITECTURE.md: a package imports only
// packages of a lower rank. Packages not yet in the tree are ignored.
var layers = map[string]int{
	"trace": 0, "internal": 0, "threshold": 0,
	"signature":           1,
	"internal/netx":       1,
	"internal/synthtrace": 1,
	"policy":              2,
	"sink":                3,
	"generator":           3,
	"provider":            3,
	"conformance":         3,
	"reports":             4,
	"adapter":             5,
	"lifecycle":           6,
	"scenarios":           7,
	"conformance/suite":   8,
	"cmd/hookbench":       9,
	"bench":               10,
	"examples":            10,
}

// allowedAcross are imports within a rank that the map permits (none).
var allowedAcross = map[string]bool{}

func layerOf(pkg string) (string, int, bool) {
	for p := pkg; p != "."; p = filepath.Dir(p) {
		if r, ok := layers[p]; ok {
			return p, r, true
		}
	}
	return "", 0, false
}

// TestImportDirections keeps the package map of docs/ARCHITECTURE.md true:
// every import of ours points to a lower layer, and every package is in the
// map (and named in the document).
func TestImportDirections(t *testing.T) {
	root := filepath.Join("..", "..")
	arch, err := os.ReadFile(filepath.Join(root, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		from, rank, ok := layerOf(pkg)
		if !ok {
			if !seen[pkg] {
				t.Errorf("package %s is not in the package map: add it to docs/ARCHITECTURE.md and to layers in %s", pkg, "cmd/hookbench/arch_test.go")
			}
			seen[pkg] = true
			return nil
		}
		if !seen[pkg] && from != "bench" && from != "examples" && !strings.Contains(string(arch), "`"+pkg+"`") {
			t.Errorf("package %s is not named in docs/ARCHITECTURE.md", pkg)
		}
		seen[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			dep, ok := strings.CutPrefix(ip, module)
			if !ok {
				continue
			}
			to, drank, ok := layerOf(dep)
			if !ok || to == from {
				continue
			}
			if drank >= rank && !allowedAcross[from+" -> "+to] {
				t.Errorf("%s imports %s: %s (layer %d) may import only lower layers than its own, not %s (layer %d); see docs/ARCHITECTURE.md", path, ip, from, rank, to, drank)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
