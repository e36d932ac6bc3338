package suite

import (
	"cmp"
	"os"
	"strings"

	"github.com/hookbench/hookbench/conformance"
)

// fragmentGroup maps an endpoint name ("/f/FRAGMENT/...") or an event type
// (PREFIX + "FRAGMENT.sub") to its fragment, so that the isolated
// reference gives every fragment a provider instance of its own, as h2spec
// opens a fresh connection per case: one fragment's events cannot shift
// another's (the every-5th-event faults count per instance) and a restart
// disturbs no other fragment.
func fragmentGroup(typePrefix string) func(string) string {
	prefix := cmp.Or(typePrefix, DefaultTypePrefix)
	return func(nameOrType string) string {
		if rest, ok := strings.CutPrefix(nameOrType, "/f/"); ok {
			g, _, _ := strings.Cut(rest, "/")
			return g
		}
		if rest, ok := strings.CutPrefix(nameOrType, prefix); ok {
			g, _, _ := strings.Cut(rest, ".")
			return g
		}
		return ""
	}
}

// fragmentPersistent: with isolation only the shared instance (which
// declares the policy) and the restart fragment's keep a store; the others
// are never restarted.
func fragmentPersistent(group string) bool {
	return group == "" || group == conformance.FragRestart
}

// dataRoot picks where the reference keeps its store: a RAM-backed /dev/shm
// when there is one (the store syncs every write; on a disk shared with
// other work that makes the provider, not the rules, the bottleneck), else
// the default temporary directory. A restart within the run still finds
// the data.
func dataRoot() string {
	const shm = "/dev/shm"
	if st, err := os.Stat(shm); err == nil && st.IsDir() {
		if f, err := os.CreateTemp(shm, "hookbench-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return shm
		}
	}
	return ""
}
