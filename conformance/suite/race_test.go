//go:build race

package suite

// raceEnabled: the race detector slows every goroutine several times, so
// fewer suites run at once to keep timer stalls below what checks tolerate.
const raceEnabled = true
