package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The servers the mirror test copies the site to and reads it back from:
// OpenSSH's sshd with rsync, versitygw (an S3 gateway over a folder) and
// nginx, each started on loopback by the test with its own configuration
// in a temporary folder.

// mirrorTools are the programs the mirror test runs.
type mirrorTools struct {
	sshd, sshKeygen, ssh, rsync, nginx, versitygw string
}

// needMirrorTools finds them. Without them the test is skipped, unless
// HERALD_REQUIRE_MIRROR=1 (set by .ci/run, which installs them).
func needMirrorTools(t *testing.T) mirrorTools {
	t.Helper()
	var missing []string
	find := func(name string, places ...string) string {
		for _, p := range places {
			if p == "" {
				continue
			}
			if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
				return p
			}
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		missing = append(missing, name)
		return ""
	}
	home, _ := os.UserHomeDir()
	// Where .ci/run caches its build (it also sets HERALD_VERSITYGW).
	cached, _ := filepath.Glob(filepath.Join(home, ".cache/herald-ci/versitygw-*/versitygw"))
	cached = append(cached, "")
	tools := mirrorTools{
		sshd:      find("sshd", "/usr/sbin/sshd"),
		sshKeygen: find("ssh-keygen"),
		ssh:       find("ssh"),
		rsync:     find("rsync"),
		nginx:     find("nginx", "/usr/sbin/nginx"),
		versitygw: find("versitygw", os.Getenv("HERALD_VERSITYGW"), cached[0]),
	}
	if len(missing) > 0 {
		why := "missing " + strings.Join(missing, ", ") + " (apt-get install openssh-server rsync nginx; .ci/run builds versitygw)"
		if os.Getenv("HERALD_REQUIRE_MIRROR") == "1" {
			t.Fatalf("HERALD_REQUIRE_MIRROR=1 but %s", why)
		}
		t.Skip(why)
	}
	if os.Geteuid() != 0 && os.Getenv("HERALD_REQUIRE_MIRROR") != "1" {
		t.Skip("sshd needs root here")
	}
	return tools
}

// daemon is a server process the test started; it is stopped by its pid.
type daemon struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func startDaemon(t *testing.T, name string, argv ...string) *daemon {
	t.Helper()
	d := &daemon{name: name, cmd: exec.Command(argv[0], argv[1:]...), out: &syncBuffer{}, done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.Env = baseEnv()
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

// waitPort waits until something accepts connections at addr.
func (d *daemon) waitPort(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-d.done:
			t.Fatalf("%s exited before listening on %s:\n%s", d.name, addr, d.out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within 20 s:\n%s", d.name, addr, d.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runTool(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// sshTarget is an sshd on loopback that lets the test's key in as the
// current user, and the folder an rsync:// target copies to.
type sshTarget struct {
	spec, key, knownHosts, root string
}

func startSSHD(t *testing.T, tools mirrorTools) sshTarget {
	t.Helper()
	dir := t.TempDir()
	hostKey, clientKey := filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "client_ed25519")
	runTool(t, tools.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	runTool(t, tools.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", clientKey)
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "authorized_keys"), pub)
	// sshd wants its privilege separation folder.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(dir, "sshd_config")
	writeFile(t, conf, []byte(fmt.Sprintf(`ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
LogLevel ERROR
`, addr, hostKey, filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"))))
	d := startDaemon(t, "sshd", tools.sshd, "-D", "-e", "-f", conf)
	d.waitPort(t, addr)
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(hostPub))
	knownHosts := filepath.Join(dir, "known_hosts")
	writeFile(t, knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%s %s %s\n", port, fields[0], fields[1])))
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "far", "status")
	return sshTarget{spec: fmt.Sprintf("rsync://%s@127.0.0.1:%s%s", u.Username, port, root), key: clientKey, knownHosts: knownHosts, root: root}
}

// s3Target is a versitygw on loopback over a folder of its own, with a
// bucket anyone may read (as a CDN in front of it would).
type s3Target struct {
	endpoint, access, secret, bucket, prefix string
	client                                   *minio.Client
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func startS3(t *testing.T, tools mirrorTools) s3Target {
	t.Helper()
	root := t.TempDir()
	addr := freeAddr(t)
	s := s3Target{endpoint: "http://" + addr, access: "herald" + randomHex(t, 4), secret: randomHex(t, 16), bucket: "mirror", prefix: "site"}
	d := startDaemon(t, "versitygw", tools.versitygw, "--access", s.access, "--secret", s.secret, "--port", addr, "--quiet", "posix", root)
	d.waitPort(t, addr)
	var err error
	s.client, err = minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s.access, s.secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make the bucket: %v\n%s", err, d.out.String())
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}`, s.bucket)
	if err := s.client.SetBucketPolicy(ctx, s.bucket, policy); err != nil {
		t.Fatalf("let anyone read the bucket: %v\n%s", err, d.out.String())
	}
	return s
}

// webServers is one nginx serving each copy on a port of its own: two
// folders as they are, and the S3 bucket through a proxy that answers a
// page's address with its index.html, as a CDN in front of the bucket does.
type webServers struct {
	dirURL, farURL, s3URL string
}

func startNginx(t *testing.T, tools mirrorTools, dirRoot, farRoot string, s3 s3Target) webServers {
	t.Helper()
	prefix := t.TempDir()
	a1, a2, a3 := freeAddr(t), freeAddr(t), freeAddr(t)
	s3Host := strings.TrimPrefix(s3.endpoint, "http://")
	folder := func(addr, root string) string {
		return fmt.Sprintf(`server {
  listen %s;
  root %s;
  location / { try_files $uri $uri/index.html =404; }
  error_page 404 /404.html;
}
`, addr, root)
	}
	obj := "/" + s3.bucket + "/" + s3.prefix
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  types { application/atom+xml atom; application/rss+xml rss; text/calendar ics; }
  default_type application/octet-stream;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  %[2]s
  %[3]s
  server {
    listen %[4]s;
    proxy_intercept_errors on;
    error_page 403 404 =404 /404.html;
    location = /404.html { internal; proxy_pass http://%[5]s%[6]s/404.html; }
    location = / { proxy_pass http://%[5]s%[6]s/index.html; }
    location ~ "^/.+/$" { rewrite ^(.*)$ %[6]s$1index.html break; proxy_pass http://%[5]s; }
    location ~ "^/(.*/)?[^/.]+$" { rewrite ^(.*)$ %[6]s$1/index.html break; proxy_pass http://%[5]s; }
    location / { rewrite ^(.*)$ %[6]s$1 break; proxy_pass http://%[5]s; }
  }
}
`, prefix, folder(a1, dirRoot), folder(a2, farRoot), a3, s3Host, obj)
	path := filepath.Join(prefix, "nginx.conf")
	writeFile(t, path, []byte(conf))
	d := startDaemon(t, "nginx", tools.nginx, "-p", prefix, "-c", path)
	for _, a := range []string{a1, a2, a3} {
		d.waitPort(t, a)
	}
	return webServers{dirURL: "http://" + a1, farURL: "http://" + a2, s3URL: "http://" + a3}
}

// sameBytes reports where a and b first differ.
func sameBytes(a, b []byte) (bool, string) {
	if bytes.Equal(a, b) {
		return true, ""
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return false, fmt.Sprintf("first difference at byte %d:\n  herald: %q\n  mirror: %q", i, a[lo:min(len(a), i+80)], b[lo:min(len(b), i+80)])
}
