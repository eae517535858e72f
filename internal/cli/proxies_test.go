package cli_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
)

// proxyBinary finds a reverse proxy's binary, or skips the test; CI sets
// HERALD_REQUIRE_PROXIES=1 (and .ci/run installs nginx-light and caddy) so
// that a missing one fails instead.
func proxyBinary(t *testing.T, name string, paths ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("HERALD_REQUIRE_PROXIES") == "1" {
		t.Fatalf("%s is not installed (apt-get install nginx-light caddy) and HERALD_REQUIRE_PROXIES=1", name)
	}
	t.Skipf("%s is not installed (apt-get install nginx-light caddy; CI requires it)", name)
	return ""
}

// exampleFile is a file of examples/, with each of the replacements made;
// every old text must be found exactly once, so the example and this test
// cannot drift apart unnoticed.
func exampleFile(t *testing.T, name string, replace ...string) string {
	t.Helper()
	herald(t)
	b, err := os.ReadFile(filepath.Join(moduleDir, "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if n := strings.Count(s, replace[i]); n != 1 {
			t.Fatalf("examples/%s has %q %d times, want once (update this test with the example)", name, replace[i], n)
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	return s
}

// selfSigned writes a certificate and key for name into dir.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	return certFile, keyFile
}

// clientAt is an HTTP client whose connections come from the loopback
// address src (all of 127.0.0.0/8 is this machine's), trusting any
// certificate and following no redirect.
func clientAt(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "status.example.net"},
			ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func statusOf(t *testing.T, c *http.Client, url string, header ...string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "status.example.net"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// startProxy runs a reverse proxy until the test ends and waits for url to answer.
func startProxy(t *testing.T, name string, cmd *exec.Cmd, url string, logFile string) {
	t.Helper()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	c := clientAt("127.0.0.1")
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			logged, _ := os.ReadFile(logFile)
			t.Fatalf("%s exited during start-up:\n%s\n%s", name, out.String(), logged)
		default:
		}
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %s within 20 s:\n%s", name, url, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// throughProxy checks the per-client limit through a real proxy at base:
// clients at different loopback addresses, one flooding.
func throughProxy(t *testing.T, s *server, base string) {
	t.Helper()
	flooder, other := clientAt("127.0.0.3"), clientAt("127.0.0.4")
	refused := false
	for range 100 {
		if statusOf(t, flooder, base+"/lookup?domain=nobody.example") == http.StatusTooManyRequests {
			refused = true
			break
		}
	}
	if !refused {
		t.Fatalf("100 look-ups from one client through the proxy were never refused (last: %d); herald log:\n%s", statusOf(t, flooder, base+"/lookup?domain=nobody.example"), s.log.String())
	}
	// Writing X-Forwarded-For does not make the flooder someone else. (Two
	// tries each: the allowance refills one look-up every 3 s, and a busy
	// machine may be that slow between two requests.)
	for _, h := range []string{"X-Forwarded-For", "Forwarded"} {
		v := "127.0.0.9"
		if h == "Forwarded" {
			v = "for=" + v
		}
		if code := statusOf(t, flooder, base+"/lookup?domain=nobody.example", h, v); code != http.StatusTooManyRequests {
			if code = statusOf(t, flooder, base+"/lookup?domain=nobody.example", h, v); code != http.StatusTooManyRequests {
				t.Errorf("the flooder with a forged %s: %d, want 429", h, code)
			}
		}
	}
	if code := statusOf(t, other, base+"/lookup?domain=nobody.example"); code == http.StatusTooManyRequests {
		t.Errorf("another client through the same proxy: 429; the proxy's clients are not told apart")
	}
	if code := statusOf(t, other, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics through the proxy: %d, want 404", code)
	}
	s.waitLog(t, "client=127.0.0.3", 5*time.Second)
}

// TestNginxExample runs examples/nginx.conf under Debian's nginx (its own
// prefix, pid and logs in a temp folder, loopback ports, a self-signed
// certificate in place of certbot's) in front of Herald, and shows that
// Herald tells its clients apart through it.
func TestNginxExample(t *testing.T) {
	cli.Parallel(t)
	nginx := proxyBinary(t, "nginx", "/usr/sbin/nginx")
	dir := t.TempDir()
	// nginx's workers may run as nobody: let them in.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, []byte(proxyConfig+"server:\n  trusted_proxies: [127.0.0.1/32, \"::1/128\"]\n"))
	s := startServer(t, "--config", cfg, "--data", filepath.Join(dir, "data"))
	heraldAddr := strings.TrimPrefix(s.url, "http://")

	cert, key := selfSigned(t, dir, "status.example.net")
	httpPort, httpsPort := fmt.Sprint(freePort(t)), fmt.Sprint(freePort(t))
	site := exampleFile(t, "nginx.conf",
		"server 127.0.0.1:8080;", "server "+heraldAddr+";",
		"listen 80;\n\tlisten [::]:80;", "listen 127.0.0.1:"+httpPort+";",
		"listen 443 ssl http2;\n\tlisten [::]:443 ssl http2;", "listen 127.0.0.1:"+httpsPort+" ssl http2;",
		"/etc/letsencrypt/live/status.example.net/fullchain.pem", cert,
		"/etc/letsencrypt/live/status.example.net/privkey.pem", key,
		"root /var/www/certbot;", "root "+dir+";")
	writeFile(t, filepath.Join(dir, "site.conf"), []byte(site))
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	include %[1]s/site.conf;
}
`, dir)
	writeFile(t, filepath.Join(dir, "nginx.conf"), []byte(main))
	args := []string{"-p", dir + "/", "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf")}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, nginx, append([]string{"-t", "-q"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t on examples/nginx.conf: %v\n%s", err, out)
	}
	base := "https://127.0.0.1:" + httpsPort
	startProxy(t, "nginx", exec.Command(nginx, args...), base+"/healthz", filepath.Join(dir, "error.log"))

	// Plain HTTP sends browsers to HTTPS.
	if code := statusOf(t, clientAt("127.0.0.1"), "http://127.0.0.1:"+httpPort+"/"); code != http.StatusMovedPermanently {
		t.Errorf("plain HTTP: %d, want 301", code)
	}
	if code := statusOf(t, clientAt("127.0.0.1"), base+"/"); code != http.StatusOK {
		t.Errorf("the page through nginx: %d", code)
	}
	throughProxy(t, s, base)
}

// TestCaddyExample validates examples/Caddyfile with Debian's Caddy, then
// runs it (automatic HTTPS off, bound to a loopback port: no certificate
// can be had here) in front of Herald and shows that Herald tells its clients
// apart through it.
func TestCaddyExample(t *testing.T) {
	cli.Parallel(t)
	caddy := proxyBinary(t, "caddy")
	dir := t.TempDir()
	env := append(baseEnv(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	herald(t)
	validate := exec.CommandContext(ctx, caddy, "validate", "--adapter", "caddyfile", "--config", filepath.Join(moduleDir, "examples", "Caddyfile"))
	validate.Env = env
	if out, err := validate.CombinedOutput(); err != nil {
		t.Fatalf("caddy validate examples/Caddyfile: %v\n%s", err, out)
	}

	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, []byte(proxyConfig+"server:\n  trusted_proxies: [127.0.0.1/32, \"::1/128\"]\n"))
	s := startServer(t, "--config", cfg, "--data", filepath.Join(dir, "herald"))
	port := fmt.Sprint(freePort(t))
	file := "{\n\tadmin off\n\tauto_https off\n\tstorage file_system " + filepath.Join(dir, "caddy") + "\n}\n\n" + exampleFile(t, "Caddyfile",
		"status.example.net {", "http://status.example.net:"+port+" {\n\tbind 127.0.0.1",
		"reverse_proxy 127.0.0.1:8080 {", "reverse_proxy "+strings.TrimPrefix(s.url, "http://")+" {")
	path := filepath.Join(dir, "Caddyfile")
	writeFile(t, path, []byte(file))
	run := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", path)
	run.Env = env
	base := "http://127.0.0.1:" + port
	startProxy(t, "caddy", run, base+"/healthz", path)
	if code := statusOf(t, clientAt("127.0.0.1"), base+"/"); code != http.StatusOK {
		t.Errorf("the page through Caddy: %d", code)
	}
	throughProxy(t, s, base)
}
