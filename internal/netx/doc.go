// Package netx holds the transport plumbing that the load generator, the
// reference provider, the sink and the scenario runner share.
//
// Classify sorts a transport error into a trace.ErrKind by its type and
// identity (net.Error timeouts, syscall errnos, fasthttp's sentinel
// errors), never by its text, so that every component records the same
// kind for the same failure. TimeoutError marks an error that is a timeout
// by nature (a command that ran out of time) for Classify.
//
// Tracker keeps the set of open connections of a dialer or a listener so
// that they can all be cut at once: the end of a load run, a provider
// shutting down, a sink taken down.
package netx
