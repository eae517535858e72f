//go:build !linux

package store

// diskState knows nothing of the disk here: SQLite's own error speaks.
func diskState(string) (string, bool) { return "", false }
