// Package examples holds the example fleet's configuration, embedded so that
// `herald demo` runs from any folder.
package examples

import _ "embed"

// Hosting is examples/hosting.yaml: the seed's fleet of four servers.
//
//go:embed hosting.yaml
var Hosting []byte
