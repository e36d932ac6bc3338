package scenarios

import "github.com/hookbench/hookbench/adapter"

// SecretName reports whether a variable, header or field name reads as a
// credential (Authorization, X-Api-Key, *-Token, API_KEY, DB_PASSWORD, ...),
// whose value a Redactor should hide.
func SecretName(name string) bool { return adapter.SecretName(name) }
