package scenarios

import (
	"github.com/hookbench/hookbench/adapter"
	"path/filepath"
	"testing"
)

// TestExamplesValidate loads every shipped example with no variables set:
// each must validate using its defaults.
func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d examples, want at least 8", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			sc, err := Load(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Name == "" || len(sc.Phases) == 0 || len(sc.Sink.Endpoints) == 0 {
				t.Fatalf("incomplete scenario: %+v", sc)
			}
			if _, err := adapter.New(sc.Provider, adapter.Options{Policy: sc.Policy, PolicySet: sc.PolicySet, Redactor: sc.Redactor}); err != nil {
				t.Fatalf("adapter: %v", err)
			}
		})
	}
}
