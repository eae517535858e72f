package main

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/heraldhq/herald/internal/cli"
)

// TestImageConfig builds the image from stand-in binaries and checks what a
// runtime reads: a non-root user that owns the data folder, the entrypoint,
// the port, the health check (a command Herald has), one image per
// architecture; and that building twice gives the same bytes.
func TestImageConfig(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	write(t, ca, "-----BEGIN CERTIFICATE-----\n")
	args := []string{"--version", "v9.9.9", "--revision", "abc", "--created", "2026-12-03T15:00:00Z", "--ca-certificates", ca}
	for _, arch := range []string{"amd64", "arm64"} {
		bin := filepath.Join(dir, "herald-"+arch)
		write(t, bin, "binary for "+arch)
		args = append(args, "--binary", arch+"="+bin)
	}
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	for _, out := range []string{one, two} {
		if err := run(append([]string{"--out", out}, args...)); err != nil {
			t.Fatal(err)
		}
	}
	images := checkLayout(t, one, "v9.9.9", []string{"amd64", "arm64"})
	for arch, files := range images {
		if got, want := string(files[binaryPath]), "binary for "+arch; got != want {
			t.Errorf("%s: %s holds %q, want %q", arch, binaryPath, got, want)
		}
	}
	a, _ := os.ReadFile(filepath.Join(one, "index.json"))
	b, _ := os.ReadFile(filepath.Join(two, "index.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("two builds of the same inputs differ:\n%s\n%s", a, b)
	}
}

// TestBuiltImage checks the image test/release built from the real release
// binaries (HERALD_IMAGE_LAYOUT names its folder, HERALD_IMAGE_VERSION its
// version): the same config, and a static binary in it.
func TestBuiltImage(t *testing.T) {
	dir := os.Getenv("HERALD_IMAGE_LAYOUT")
	if dir == "" {
		t.Skip("HERALD_IMAGE_LAYOUT is not set (test/release sets it)")
	}
	arches := strings.Split(os.Getenv("HERALD_IMAGE_ARCHES"), ",")
	for arch, files := range checkLayout(t, dir, os.Getenv("HERALD_IMAGE_VERSION"), arches) {
		f, err := elf.NewFile(bytes.NewReader(files[binaryPath]))
		if err != nil {
			t.Fatalf("%s: %s is not an ELF file: %v", arch, binaryPath, err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s: %s is dynamically linked (%s): it cannot run FROM scratch", arch, binaryPath, p.Type)
			}
		}
		if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]; f.Machine != want {
			t.Errorf("%s: %s is for %s", arch, binaryPath, f.Machine)
		}
	}
}

// checkLayout reads an OCI layout as a runtime would and returns each
// architecture's files (path -> contents).
func checkLayout(t *testing.T, dir, version string, arches []string) map[string]map[string][]byte {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Manifests) != 1 || tm.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != version {
		t.Fatalf("index.json: %+v, want one image index named %q", tm.Manifests, version)
	}
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]map[string][]byte{}
	var got []string
	for _, d := range im.Manifests {
		if d.Platform == nil || d.Platform.OS != "linux" {
			t.Fatalf("manifest %s has platform %v", d.Digest, d.Platform)
		}
		arch := d.Platform.Architecture
		got = append(got, arch)
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		checkConfig(t, arch, cf)
		images[arch] = files(t, img)
		checkFiles(t, arch, images[arch])
	}
	slices.Sort(got)
	if !slices.Equal(got, arches) {
		t.Errorf("architectures %v, want %v", got, arches)
	}
	return images
}

func checkConfig(t *testing.T, arch string, cf *v1.ConfigFile) {
	t.Helper()
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != arch {
		t.Errorf("%s: config for %s/%s", arch, cf.OS, cf.Architecture)
	}
	u, g, _ := strings.Cut(c.User, ":")
	if n, err := strconv.Atoi(u); err != nil || n == 0 || g == "0" {
		t.Errorf("%s: user %q, want a numeric non-root user and group", arch, c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/herald"}) {
		t.Errorf("%s: entrypoint %v", arch, c.Entrypoint)
	}
	if len(c.Cmd) == 0 || c.Cmd[0] != "serve" || !slices.Contains(c.Cmd, "/data") {
		t.Errorf("%s: cmd %v, want serve with its data in /data", arch, c.Cmd)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("%s: exposed ports %v, want 8080/tcp", arch, c.ExposedPorts)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("%s: volumes %v, want /data", arch, c.Volumes)
	}
	h := c.Healthcheck
	if h == nil || len(h.Test) < 3 || h.Test[0] != "CMD" || h.Test[1] != "/herald" || h.Interval <= 0 || h.Timeout <= 0 {
		t.Fatalf("%s: healthcheck %+v, want CMD /herald ... with an interval and a timeout", arch, h)
	}
	// The health check runs a command this Herald has.
	var out bytes.Buffer
	env := &cli.Env{Stdin: &out, Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if code := cli.RunEnv(context.Background(), env, append(slices.Clone(h.Test[2:]), "-h")); code != 0 {
		t.Errorf("%s: the health check's herald %v -h exits %d:\n%s", arch, h.Test[2:], code, out.String())
	}
}

func checkFiles(t *testing.T, arch string, files map[string][]byte) {
	t.Helper()
	if !strings.Contains(string(files["/etc/passwd"]), ":65532:65532:") {
		t.Errorf("%s: /etc/passwd does not name the user:\n%s", arch, files["/etc/passwd"])
	}
	if len(files["/etc/ssl/certs/ca-certificates.crt"]) == 0 {
		t.Errorf("%s: no CA bundle: HTTPS checks and webhooks could verify nothing", arch)
	}
}

// files reads the image's layers into a map, checking modes and owners on
// the way: the binary executable, /data the user's own.
func files(t *testing.T, img v1.Image) map[string][]byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := "/" + strings.TrimSuffix(h.Name, "/")
			switch {
			case name == "/data" && (h.Typeflag != tar.TypeDir || h.Uid != 65532 || h.Mode&0o700 != 0o700):
				t.Errorf("/data: type %c, uid %d, mode %o; want a folder the user owns", h.Typeflag, h.Uid, h.Mode)
			case name == "/herald" && (h.Mode&0o111 == 0 || h.Uid != 0):
				t.Errorf("/herald: uid %d, mode %o; want root's and executable", h.Uid, h.Mode)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = b
		}
		rc.Close()
	}
	return out
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
}

// Containerfile describes the image this program writes: its user,
// entrypoint, command, port, volume and health check are the same.
func TestContainerfileAgrees(t *testing.T) {
	text, err := os.ReadFile("../../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(text), "\n") {
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "USER", "ENTRYPOINT", "CMD", "EXPOSE", "VOLUME", "HEALTHCHECK", "WORKDIR":
			got[word] = rest
		}
	}
	jsonList := func(l []string) string { b, _ := json.Marshal(l); return strings.ReplaceAll(string(b), `","`, `", "`) }
	want := map[string]string{
		"USER":       strconv.Itoa(uid) + ":" + strconv.Itoa(uid),
		"ENTRYPOINT": jsonList(entrypoint),
		"CMD":        jsonList(cmd),
		"EXPOSE":     port,
		"VOLUME":     jsonList([]string{dataDir}),
		"WORKDIR":    dataDir,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Containerfile: %s %s, want %s %s", k, got[k], k, v)
		}
	}
	h := got["HEALTHCHECK"]
	if _, check, ok := strings.Cut(h, " CMD "); !ok || check != jsonList(healthcheck[1:]) ||
		!strings.Contains(h, "--interval=30s") || !strings.Contains(h, "--timeout=5s") || !strings.Contains(h, "--start-period=60s") || !strings.Contains(h, "--retries=3") {
		t.Errorf("Containerfile: HEALTHCHECK %s, want the options and CMD %s", h, jsonList(healthcheck[1:]))
	}
}
