package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TempDirPrefix starts the name of every data directory TempDataDir makes;
// the owning process's pid and a random suffix follow it.
const TempDirPrefix = "hookbench-reference-"

// TempDataDir makes a data directory for a provider that lives no longer
// than this process, in root (os.TempDir() when empty), named
// TempDirPrefix + PID-RANDOM. The process removes it when done; one killed
// with SIGKILL cannot, so TempDataDir first removes the directories in root
// whose owner is gone: a dead pid, and no process holding the store's lock.
func TempDataDir(root string) (string, error) {
	if root == "" {
		root = os.TempDir()
	}
	RemoveStaleDataDirs(root)
	return os.MkdirTemp(root, fmt.Sprintf("%s%d-", TempDirPrefix, os.Getpid()))
}

// RemoveStaleDataDirs removes the TempDataDir directories in root whose
// owner is gone, and returns their paths. Directories of any other name,
// or whose owner it cannot tell to be gone, stay.
func RemoveStaleDataDirs(root string) []string {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), TempDirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		p, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(p)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		// The store's lock also covers a pid from another pid namespace
		// that shares root.
		if processAlive(pid) || storeLocked(filepath.Join(dir, StoreFile)) {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}
