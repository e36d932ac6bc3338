//go:build unix

package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// deadPid returns the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.Pid()
}

// A SIGKILLed process leaves its data directory behind; the next
// TempDataDir removes it, and only it: not a live process's, not one whose
// store someone holds open, not directories of other names.
func TestRemoveStaleDataDirs(t *testing.T) {
	root := t.TempDir()
	dead := deadPid(t)
	mk := func(name string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale := mk(fmt.Sprintf("%s%d-123", TempDirPrefix, dead))
	staleStore := mk(fmt.Sprintf("%s%d-456", TempDirPrefix, dead))
	db, err := bbolt.Open(filepath.Join(staleStore, StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	keep := []string{
		mk(fmt.Sprintf("%s%d-1", TempDirPrefix, os.Getppid())), // alive
		mk(fmt.Sprintf("%s%d-2", TempDirPrefix, os.Getpid())),  // ours
		mk(TempDirPrefix + "123456789"),                        // no pid in the name
		mk(fmt.Sprintf("other-%d-3", dead)),
	}
	held := mk(fmt.Sprintf("%s%d-789", TempDirPrefix, dead)) // a store still open
	db, err = bbolt.Open(filepath.Join(held, StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keep = append(keep, held)

	dir, err := TempDataDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(dir), fmt.Sprintf("%s%d-", TempDirPrefix, os.Getpid())) {
		t.Fatalf("TempDataDir made %s: want the prefix and this pid", dir)
	}
	for _, d := range []string{stale, staleStore} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s: stale, still there (%v)", filepath.Base(d), err)
		}
	}
	for _, d := range append(keep, dir) {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: removed (%v)", filepath.Base(d), err)
		}
	}
	if got := RemoveStaleDataDirs(root); !slices.Equal(got, nil) {
		t.Errorf("second pass removed %v", got)
	}
}
