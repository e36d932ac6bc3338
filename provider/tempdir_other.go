//go:build !unix

package provider

// processAlive cannot tell on this system: every owner counts as alive, so
// nothing is removed.
func processAlive(int) bool { return true }

func storeLocked(string) bool { return true }
