package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MarkerName is the file that marks a folder as a copy Herald keeps. Herald
// publishes into an empty folder or one with this file, and removes from it
// every file not in the copy: it refuses a folder holding other files, so a
// mistyped --to cannot empty someone's folder.
const MarkerName = ".herald-mirror"

const markerText = "This folder is a copy of a Herald status page, kept by herald publish or herald serve --publish.\nFiles not in the copy are removed from it.\n"

// tmpPrefix starts the names of files being written; a reader never asks
// for them, and a publish interrupted midway leaves them to the next.
const tmpPrefix = ".herald-tmp-"

// Dir keeps the copy in a local folder, for a web server on this host or a
// folder another host serves.
type Dir struct{ Root string }

func (d Dir) String() string { return d.Root }

// Publish writes each file that changed to a temporary file beside it and
// renames it into place (a rename replaces a file at once: a reader has
// the old file or the new one), the front page last, then removes the
// files and folders no longer in the copy.
func (d Dir) Publish(ctx context.Context, files []File) error {
	if err := d.claim(); err != nil {
		return err
	}
	keep := map[string]bool{MarkerName: true}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.put(f); err != nil {
			return err
		}
		keep[filepath.FromSlash(f.Name)] = true
	}
	return d.prune(keep)
}

// claim makes the folder, or checks it is empty or already a copy, and marks it.
func (d Dir) claim() error {
	if d.Root == "" {
		return errors.New("mirror: no folder given")
	}
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return fmt.Errorf("mirror: make %s: %w", d.Root, err)
	}
	marker := filepath.Join(d.Root, MarkerName)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	entries, err := os.ReadDir(d.Root)
	if err != nil {
		return fmt.Errorf("mirror: read %s: %w", d.Root, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("mirror: %s holds files and no %s: publish into an empty or new folder (its other files would be removed)", d.Root, MarkerName)
	}
	return writeAtomic(marker, []byte(markerText))
}

func (d Dir) put(f File) error {
	name := filepath.Join(d.Root, filepath.FromSlash(f.Name))
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, f.Body) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	return writeAtomic(name, f.Body)
}

// writeAtomic writes body to a temporary file in name's folder and renames
// it to name.
func writeAtomic(name string, body []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(body); err != nil {
		return fmt.Errorf("mirror: write %s: %w", name, err)
	}
	// Readable by the web server, whoever it runs as.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mirror: write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("mirror: %w", err)
	}
	done = true
	return nil
}

// prune removes the files not in keep, then the folders left empty.
func (d Dir) prune(keep map[string]bool) error {
	var dirs []string
	err := filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		switch {
		case rel == ".":
		case e.IsDir():
			dirs = append(dirs, p)
		case !keep[rel]:
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mirror: remove what left the copy: %w", err)
	}
	// Deepest first, so a parent is empty once its children are gone.
	slices.SortFunc(dirs, func(a, b string) int {
		return strings.Count(b, string(filepath.Separator)) - strings.Count(a, string(filepath.Separator))
	})
	for _, dir := range dirs {
		if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
			if err := os.Remove(dir); err != nil {
				return fmt.Errorf("mirror: %w", err)
			}
		}
	}
	return nil
}
