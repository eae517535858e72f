//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the file in a data folder that every running Herald holds a
// shared lock on, so that restore (which takes it exclusively) can tell
// that a server is using the database it would replace. The lock is the
// kernel's (flock): it goes when the process does, however it ends.
const lockFile = "herald.lock"

// errDataInUse is returned by lockData when another process holds the folder.
var errDataInUse = errors.New("the data folder is in use")

// lockData locks dir's lock file, shared (serve) or exclusive (restore),
// without waiting. unlock releases it.
func lockData(dir string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errDataInUse
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}
