package cli_test

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/cli"
)

const proxyConfig = `page: {title: Proxy test, zone: UTC}
groups:
  - id: flexo
    components:
      - {id: web, name: Web sites}
`

// noRedirect answers a redirect instead of following it.
var noRedirect = &http.Client{Timeout: httpClient.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// from sends a request as a reverse proxy on loopback would for the client
// at xff ("" sends no X-Forwarded-For), and returns the status.
func from(t *testing.T, s *server, xff, method, path string, form url.Values, header ...string) int {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// flood sends path from client until it is answered 429, at most n times,
// and fails the test if it never is.
func flood(t *testing.T, s *server, client, method, path string, form func(i int) url.Values, n int) {
	t.Helper()
	for i := range n {
		var f url.Values
		if form != nil {
			f = form(i)
		}
		if from(t, s, client, method, path, f) == http.StatusTooManyRequests {
			return
		}
	}
	t.Fatalf("%d requests of %s %s from %s were never refused", n, method, path, client)
}

// Behind a trusted reverse proxy, one client's flood of look-ups,
// subscriptions and wrong passwords puts that client in 429, and nobody
// else: each client is told apart by X-Forwarded-For. The flood writes a
// few log lines, not one per refusal.
func TestE2ETrustedProxyTellsClientsApart(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, []byte(proxyConfig+"server:\n  trusted_proxies: [127.0.0.1/32, \"::1/128\"]\n"))
	data := filepath.Join(dir, "data")
	if code, out, errs := runIn(t, "", "migrate", "--data", data); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	if code, out, errs := runIn(t, "alice password 1\n", "user", "add", "--role", "admin", "--password-stdin", "--data", data, "alice"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	s := startServer(t, "--config", cfg, "--data", data)

	const flooder, other, owner = "203.0.113.9", "198.51.100.7", "192.0.2.44"
	flood(t, s, flooder, "GET", "/lookup?domain=nobody.example", nil, 200)
	flood(t, s, flooder, "POST", "/subscribe", func(int) url.Values { return url.Values{"email": {"x@example.net"}} }, 50)
	flood(t, s, flooder, "POST", "/admin/login", func(i int) url.Values {
		return url.Values{"username": {"alice"}, "password": {"guess " + string(rune('a'+i%26))}}
	}, 60)
	// 500 more refusals of each, as a flood would.
	for range 500 {
		from(t, s, flooder, "GET", "/lookup?domain=nobody.example", nil)
		from(t, s, flooder, "POST", "/admin/login", url.Values{"username": {"alice"}, "password": {"guess"}})
	}

	if code := from(t, s, other, "GET", "/lookup?domain=nobody.example", nil); code == http.StatusTooManyRequests {
		t.Errorf("look-up from another client: 429")
	}
	if code := from(t, s, other, "POST", "/subscribe", url.Values{"email": {"y@example.net"}}); code == http.StatusTooManyRequests {
		t.Errorf("subscribe from another client: 429")
	}
	if code := from(t, s, owner, "POST", "/admin/login", url.Values{"username": {"alice"}, "password": {"alice password 1"}}); code != http.StatusSeeOther {
		t.Errorf("alice signing in from her own address during the flood: %d, want 303", code)
	}
	// A client at the proxy's own address (no header) is a client of its own.
	if code := from(t, s, "", "GET", "/lookup?domain=nobody.example", nil); code == http.StatusTooManyRequests {
		t.Errorf("look-up straight from loopback: 429")
	}
	// Forwarded (RFC 7239) is read when X-Forwarded-For is absent.
	if code := from(t, s, "", "GET", "/lookup?domain=nobody.example", nil, "Forwarded", `for="[2001:db8::7]:4711"`); code == http.StatusTooManyRequests {
		t.Errorf("look-up from a client named by Forwarded: 429")
	}
	// The flooder's allowance refills (one look-up every 3 s) while a busy
	// machine runs the checks above: spend it again, then name the flooder
	// by Forwarded at once. Were Forwarded ignored, this would be the
	// loopback client, whose allowance is nearly whole.
	flood(t, s, flooder, "GET", "/lookup?domain=nobody.example", nil, 200)
	refused := false
	for range 2 { // a refill may land between the two
		if from(t, s, "", "GET", "/lookup?domain=nobody.example", nil, "Forwarded", "for="+flooder) == http.StatusTooManyRequests {
			refused = true
			break
		}
	}
	if !refused {
		t.Errorf("the flooder named by Forwarded was not refused")
	}

	log := s.log.String()
	refusals := strings.Count(log, "refused")
	if refusals == 0 || refusals > 10 {
		t.Errorf("about 1100 refusals logged %d lines mentioning them, want a few (one per client and kind):\n%s", refusals, log)
	}
	if !strings.Contains(log, "client="+flooder) {
		t.Errorf("the log does not name the flooding client by its forwarded address:\n%s", log)
	}
}

// Without trusted proxies, X-Forwarded-For is anyone's to write and is
// ignored: every client of a local proxy shares its address.
func TestE2EUntrustedForwardedForIgnored(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, []byte(proxyConfig))
	s := startServer(t, "--config", cfg, "--data", filepath.Join(dir, "data"))
	flood(t, s, "203.0.113.9", "GET", "/lookup?domain=nobody.example", nil, 200)
	// Two tries: the allowance refills one look-up every 3 s.
	if code := from(t, s, "198.51.100.7", "GET", "/lookup?domain=nobody.example", nil); code != http.StatusTooManyRequests {
		if code = from(t, s, "198.51.100.7", "GET", "/lookup?domain=nobody.example", nil); code != http.StatusTooManyRequests {
			t.Errorf("a forged X-Forwarded-For escaped the limit: %d, want 429", code)
		}
	}
}

// /metrics: by default only to this machine, straight (not through a
// proxy); with server.metrics_token_env, to whoever has the token, in any
// case of "Bearer"; with --metrics-listen, on that address alone.
func TestE2EMetricsAccess(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, []byte(proxyConfig+"server:\n  trusted_proxies: [127.0.0.1/32]\n"))
	s := startServer(t, "--config", cfg, "--data", filepath.Join(dir, "a"))
	if code := from(t, s, "", "GET", "/metrics", nil); code != http.StatusOK {
		t.Errorf("/metrics straight from loopback: %d, want 200", code)
	}
	if code := from(t, s, "203.0.113.9", "GET", "/metrics", nil); code != http.StatusForbidden {
		t.Errorf("/metrics through the proxy: %d, want 403", code)
	}
	if code := from(t, s, "", "GET", "/metrics", nil, "Forwarded", "for=127.0.0.1"); code != http.StatusForbidden {
		t.Errorf("/metrics through a proxy naming loopback: %d, want 403", code)
	}

	tokCfg := filepath.Join(dir, "token.yaml")
	writeFile(t, tokCfg, []byte(proxyConfig+"server:\n  metrics_token_env: SCRAPE_TOKEN\n"))
	if r := runHerald(t, nil, "serve", "--config", tokCfg, "--data", filepath.Join(dir, "b"), "--listen", freeAddr(t)); r.code == 0 ||
		!strings.Contains(r.stderr, "SCRAPE_TOKEN") {
		t.Errorf("serve with an unset token variable: exit %d, %s", r.code, r.stderr)
	}
	const token = "scrape-me-0123456789"
	ts := startServerEnv(t, []string{"SCRAPE_TOKEN=" + token}, "--config", tokCfg, "--data", filepath.Join(dir, "b"))
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Bearer " + token: 200, "bearer " + token: 200, "BEARER " + token: 200, "Basic " + token: 401} {
		var h []string
		if auth != "" {
			h = []string{"Authorization", auth}
		}
		if code := from(t, ts, "", "GET", "/metrics", nil, h...); code != want {
			t.Errorf("/metrics with %q: %d, want %d", auth, code, want)
		}
	}

	metricsAddr := freeAddr(t)
	ms := startServer(t, "--config", cfg, "--data", filepath.Join(dir, "c"), "--metrics-listen", metricsAddr)
	if code := from(t, ms, "", "GET", "/metrics", nil); code != http.StatusNotFound {
		t.Errorf("/metrics on the main address with --metrics-listen: %d, want 404", code)
	}
	resp, err := httpClient.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("/metrics on --metrics-listen: %d\n%.300s", resp.StatusCode, body)
	}
}
