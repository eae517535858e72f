package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "48bbd73cc0ffee48bbd73cc0ffee48bbd73cc0ff"},
		{Key: "vcs.time", Value: "2026-12-03T15:00:00Z"},
		{Key: "vcs.modified", Value: "false"},
	}}
	modified := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "aeea04b0aeea04b0aeea04b0aeea04b0aeea04b0"},
		{Key: "vcs.modified", Value: "true"},
	}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}
	cases := []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		want                  Info
		line                  string
	}{
		{"plain go build in a checkout", stamped, "", "", "",
			Info{Version: "dev", Commit: "48bbd73cc0ffee48bbd73cc0ffee48bbd73cc0ff", Date: "2026-12-03T15:00:00Z", GoVersion: "go1.26.8"},
			"herald dev (commit 48bbd73cc0ffee48bbd73cc0ffee48bbd73cc0ff, 2026-12-03T15:00:00Z, go1.26.8)"},
		{"plain go build: Go names the version from git too", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.0.0-20261203150000-48bbd73cc0ff"}, Settings: stamped.Settings}, "", "", "",
			Info{Version: "v0.0.0-20261203150000-48bbd73cc0ff", Commit: "48bbd73cc0ffee48bbd73cc0ffee48bbd73cc0ff", Date: "2026-12-03T15:00:00Z", GoVersion: "go1.26.8"},
			"herald v0.0.0-20261203150000-48bbd73cc0ff (commit 48bbd73cc0ffee48bbd73cc0ffee48bbd73cc0ff, 2026-12-03T15:00:00Z, go1.26.8)"},
		{"checkout with changes", modified, "", "", "",
			Info{Version: "dev", Commit: "aeea04b0aeea04b0aeea04b0aeea04b0aeea04b0", Modified: true, GoVersion: "go1.26.8"},
			"herald dev (commit aeea04b0aeea04b0aeea04b0aeea04b0aeea04b0 with changes not committed, go1.26.8)"},
		{"release flags win over the build information", stamped, "v1.2.0", "1111111111111111111111111111111111111111", "2026-11-30T12:00:00Z",
			Info{Version: "v1.2.0", Commit: "1111111111111111111111111111111111111111", Date: "2026-11-30T12:00:00Z", GoVersion: "go1.26.8"},
			"herald v1.2.0 (commit 1111111111111111111111111111111111111111, 2026-11-30T12:00:00Z, go1.26.8)"},
		{"release of a modified tree", nil, "v1.2.0-rc1", "2222222222222222222222222222222222222222-dirty", "",
			Info{Version: "v1.2.0-rc1", Commit: "2222222222222222222222222222222222222222", Modified: true},
			"herald v1.2.0-rc1 (commit 2222222222222222222222222222222222222222 with changes not committed)"},
		{"go install module@version", installed, "", "", "",
			Info{Version: "v1.4.0", GoVersion: "go1.26.8"},
			"herald v1.4.0 (commit unknown: built without version control information, go1.26.8)"},
		{"no build information at all", nil, "", "", "",
			Info{Version: "dev"},
			"herald dev (commit unknown: built without version control information)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := From(c.bi, c.version, c.commit, c.date)
			if got != c.want {
				t.Errorf("From = %+v, want %+v", got, c.want)
			}
			if s := got.String(); s != c.line {
				t.Errorf("String = %q, want %q", s, c.line)
			}
		})
	}
}

// The test binary itself has build information: Read finds the Go release.
func TestReadThisBinary(t *testing.T) {
	in := Read()
	if in.GoVersion == "" || in.Version == "" {
		t.Errorf("Read() = %+v, want a Go version and a version", in)
	}
}
