// Package trace owns the record of a run: the events the generator sent,
// every delivery attempt the sink saw, and marks (phase and behaviour
// changes). A trace is an append-only msgpack file: a Header, then Sent,
// Attempt and Mark records, each a msgpack array whose first element is its
// Kind. Strings that repeat (endpoints, message ids, behaviours) are interned
// in the file so an Attempt stays small; the Decoder resolves them.
//
// Every time in a record is nanoseconds since the Header's StartWall, taken
// from the writer's monotonic clock.
//
// The package imports nothing else of hookbench, so any tool can read traces.
package trace
