// Package buildinfo is what Herald knows about its own build: the version,
// the commit and its time, and the Go release it was built with. `herald
// version`, /api/v1/about and the herald_build_info metric all read it here.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Set by a release build (scripts/release) with
//
//	-ldflags "-X github.com/heraldhq/herald/internal/buildinfo.version=v1.2.0 -X ...commit=SHA -X ...date=TIME"
//
// A plain `go build` in a git checkout leaves them empty and Go's own build
// information (vcs.revision, vcs.time, vcs.modified) gives the commit.
var (
	version string
	commit  string
	date    string
)

// Info describes one build of Herald.
type Info struct {
	// Version is the release's ("v1.2.0"), else the one Go gives the main
	// module: the module's version with `go install ...@v1.2.0`, and in a
	// git checkout its tag or a pseudo-version (v0.0.0-DATE-COMMIT, with
	// "+dirty" for changes not committed); else "dev".
	Version string `json:"version"`
	// Commit is the full git commit the binary was built from, "" when
	// the build recorded none (built outside a git checkout, with
	// -buildvcs=false, or from a git worktree, which Go does not stamp).
	Commit string `json:"commit"`
	// Modified: the checkout had changes not committed.
	Modified bool `json:"modified"`
	// Date is the commit's time (RFC 3339, UTC). Builds are reproducible, so
	// a build's date is its source's: two builds of one commit are the same.
	Date string `json:"build_date"`
	// GoVersion is the Go release that compiled the binary ("go1.26.8").
	GoVersion string `json:"go_version"`
}

// Read returns this binary's build information.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(bi, version, commit, date)
}

// From makes an Info from Go's build information (nil when there is none)
// and the values a release build set, which take precedence.
func From(bi *debug.BuildInfo, version, commit, date string) Info {
	in := Info{Version: version, Commit: commit, Date: date}
	if bi == nil {
		bi = &debug.BuildInfo{}
	}
	in.GoVersion = bi.GoVersion
	if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = bi.Main.Version
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if in.Commit == "" {
		in.Commit = vcs["vcs.revision"]
		in.Modified = vcs["vcs.modified"] == "true"
	}
	// A release names a commit with "-dirty" when its tree was modified.
	if c, ok := strings.CutSuffix(in.Commit, "-dirty"); ok {
		in.Commit, in.Modified = c, true
	}
	if in.Date == "" {
		in.Date = vcs["vcs.time"]
	}
	return in
}

// String is the line `herald version` prints:
//
//	herald v1.2.0 (commit 0123...cdef, 2026-12-03T15:00:00Z, go1.26.8)
func (in Info) String() string {
	c := in.Commit
	switch {
	case c == "":
		c = "unknown: built without version control information"
	case in.Modified:
		c += " with changes not committed"
	}
	parts := []string{"commit " + c}
	if in.Date != "" {
		parts = append(parts, in.Date)
	}
	if in.GoVersion != "" {
		parts = append(parts, in.GoVersion)
	}
	return fmt.Sprintf("herald %s (%s)", in.Version, strings.Join(parts, ", "))
}
