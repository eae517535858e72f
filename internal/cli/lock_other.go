//go:build !unix

package cli

import "errors"

const lockFile = "herald.lock"

var errDataInUse = errors.New("the data folder is in use")

// lockData does nothing where flock is missing: restore cannot tell a
// running server there, which the documentation says.
func lockData(string, bool) (func(), error) { return func() {}, nil }
