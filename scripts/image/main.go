// Command image writes Herald's container image as an OCI image layout: a
// folder that skopeo, podman, crane or containerd read and push to any
// registry. It needs no daemon, no base image and no network: the image is
// built FROM scratch out of the static binaries scripts/release makes, so
// the CI builds it offline.
//
//	go run ./scripts/image --out dist/herald-oci --version v1.2.0 \
//	    --created 2026-12-03T15:00:00Z --binary amd64=dist/herald-amd64 --binary arm64=...
//
// Containerfile at the top of the repository describes the same image for
// those who build with docker or buildah; the test in this folder checks
// the config both are meant to have.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image is; the test checks these, and Containerfile says the same.
const (
	// uid is the user Herald runs as: not root, and a number no system
	// account of the host is likely to have (distroless's "nonroot").
	uid        = 65532
	binaryPath = "/herald"
	dataDir    = "/data"
	configFile = "/etc/herald/herald.yaml"
	port       = "8080/tcp"
)

var (
	entrypoint = []string{binaryPath}
	// The listen address is every interface of the container's own network
	// namespace: a port published by the runtime reaches nothing else.
	cmd         = []string{"serve", "--config", configFile, "--data", dataDir, "--listen", ":8080"}
	healthcheck = []string{"CMD", binaryPath, "health"}
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type options struct {
	out, version, revision, created, caFile string
	binaries                                map[string]string // arch -> path
}

func run(args []string) error {
	o := options{binaries: map[string]string{}}
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.StringVar(&o.out, "out", "", "the OCI image layout folder to write (made anew)")
	fs.StringVar(&o.version, "version", "dev", "the version, also the layout's reference name")
	fs.StringVar(&o.revision, "revision", "", "the commit, for the image's revision label")
	fs.StringVar(&o.created, "created", "1970-01-01T00:00:00Z", "the image's date, RFC 3339 (the commit's, so that builds are reproducible)")
	fs.StringVar(&o.caFile, "ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle HTTPS checks and webhooks verify against")
	fs.Func("binary", "ARCH=PATH of a static linux binary (repeatable: amd64=..., arm64=...)", func(v string) error {
		arch, path, ok := strings.Cut(v, "=")
		if !ok || arch == "" || path == "" {
			return errors.New("want ARCH=PATH")
		}
		o.binaries[arch] = path
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.out == "" || len(o.binaries) == 0 {
		return errors.New("--out and at least one --binary are required")
	}
	created, err := time.Parse(time.RFC3339, o.created)
	if err != nil {
		return fmt.Errorf("--created: %w", err)
	}
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		return fmt.Errorf("the CA bundle: %w", err)
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	arches := make([]string, 0, len(o.binaries))
	for a := range o.binaries {
		arches = append(arches, a)
	}
	slices.Sort(arches)
	for _, arch := range arches {
		bin, err := os.ReadFile(o.binaries[arch])
		if err != nil {
			return err
		}
		img, err := build(arch, bin, ca, o, created)
		if err != nil {
			return fmt.Errorf("%s: %w", arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	if err := os.RemoveAll(o.out); err != nil {
		return err
	}
	p, err := layout.Write(o.out, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": o.version}))
}

// build makes one architecture's image: a single layer over nothing.
func build(arch string, bin, ca []byte, o options, created time.Time) (v1.Image, error) {
	files, err := rootfs(bin, ca, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(files)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:         fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint:   entrypoint,
		Cmd:          cmd,
		WorkingDir:   dataDir,
		ExposedPorts: map[string]struct{}{port: {}},
		Volumes:      map[string]struct{}{dataDir: {}},
		Env:          []string{"PATH=/"},
		// Docker's field: OCI's image config has none. Docker and podman
		// (with --format docker) run it; Kubernetes ignores it and probes
		// /healthz and /readyz itself (README: Install and upgrade).
		Healthcheck: &v1.HealthConfig{Test: healthcheck, Interval: 30 * time.Second, Timeout: 5 * time.Second,
			StartPeriod: 60 * time.Second, Retries: 3},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "Herald",
			"org.opencontainers.image.version":  o.version,
			"org.opencontainers.image.revision": o.revision,
			"org.opencontainers.image.licenses": "Apache-2.0",
			"org.opencontainers.image.created":  created.UTC().Format(time.RFC3339),
		},
	}
	return mutate.ConfigFile(img, cf)
}

// rootfs is the layer's tar: the binary, the CA bundle, an /etc/passwd that
// names the user, and the data folder the user owns. Every entry is dated
// created and owned by numbers, so the same inputs give the same bytes.
func rootfs(bin, ca []byte, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, mode int64, owner int, body []byte, dir bool) error {
		h := &tar.Header{Name: name, Mode: mode, Uid: owner, Gid: owner, ModTime: created, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(body))}
		if dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/:/nonexistent\nherald:x:%d:%d:Herald:%s:/nonexistent\n", uid, uid, dataDir)
	group := fmt.Sprintf("root:x:0:\nherald:x:%d:\n", uid)
	for _, e := range []struct {
		name  string
		mode  int64
		owner int
		body  []byte
		dir   bool
	}{
		{"data/", 0o750, uid, nil, true},
		{"etc/", 0o755, 0, nil, true},
		{"etc/group", 0o644, 0, []byte(group), false},
		{"etc/herald/", 0o755, 0, nil, true},
		{"etc/passwd", 0o644, 0, []byte(passwd), false},
		{"etc/ssl/", 0o755, 0, nil, true},
		{"etc/ssl/certs/", 0o755, 0, nil, true},
		{"etc/ssl/certs/ca-certificates.crt", 0o644, 0, ca, false},
		{"herald", 0o755, 0, bin, false},
		{"tmp/", 0o1777, 0, nil, true},
	} {
		if err := add(e.name, e.mode, e.owner, e.body, e.dir); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
