package store

import "syscall"

// stRdOnly is statfs's flag for a file system mounted read-only (ST_RDONLY).
const stRdOnly = 1

// diskState says what statfs tells of the file system holding dir: mounted
// read-only, or with no room left for even a few pages.
func diskState(dir string) (reason string, ok bool) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return "", false
	}
	switch {
	case fs.Flags&stRdOnly != 0:
		return "the disk holding the database is read-only", true
	case fs.Bavail*uint64(fs.Bsize) < 1<<20:
		return "the disk holding the database is full", true
	}
	return "", false
}
