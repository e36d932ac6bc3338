package scenarios

import "github.com/hookbench/hookbench/adapter"

// A scenario file's provider block, its sink endpoints and its redactor are
// the adapter package's types: a run hands them to the adapter unchanged.
type (
	ProviderSpec  = adapter.ProviderSpec
	ReferenceSpec = adapter.ReferenceSpec
	HTTPSpec      = adapter.HTTPSpec
	HTTPStep      = adapter.HTTPStep
	CommandSpec   = adapter.CommandSpec
	CommandStep   = adapter.CommandStep
	EndpointSpec  = adapter.EndpointSpec
	Redactor      = adapter.Redactor
	Capabilities  = adapter.Capabilities
)

// SchemeNone in a file says an endpoint's deliveries are not signed.
const SchemeNone = adapter.SchemeNone

// Redacted replaces a secret wherever a scenario's output would show it.
const Redacted = adapter.Redacted
