// Package reports turns traces into reports.
package reports
