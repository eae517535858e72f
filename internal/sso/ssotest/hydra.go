// Package ssotest runs a real OpenID provider on loopback for the tests of
// single sign-on: Ory Hydra (OpenID Certified), which .ci/run builds from
// the Go module proxy, with the login and consent app Hydra leaves to its
// integrator played by the test. The app's login form signs in whichever
// account the browser names, and its consent puts the claims the test gave
// that account (groups, email, preferred_username) into the ID token.
//
// The hydra program is HERALD_HYDRA, else the build .ci/run caches under
// ~/.cache/herald-ci, else hydra on the PATH. Without one the test is
// skipped, unless HERALD_REQUIRE_OIDC=1 (set by .ci/run): then it fails.
package ssotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/syncbuf"
)

// Account is someone the provider knows, and the claims it vouches for.
type Account struct {
	Groups []string
	// Email defaults to NAME@example.test.
	Email string
}

// Provider is a running Hydra with one confidential client for Herald.
type Provider struct {
	// Issuer is exactly as Hydra's discovery document writes it.
	Issuer string
	// Login is the login app's address: a sign-in started at Herald
	// lands on its form, at Login+"/login".
	Login                  string
	ClientID, ClientSecret string

	t     testing.TB
	admin string
	hc    *http.Client

	mu       sync.Mutex
	accounts map[string]Account
}

// Binary finds the hydra program, or skips (or fails, with
// HERALD_REQUIRE_OIDC=1) the test.
func Binary(t testing.TB) string {
	t.Helper()
	places := []string{os.Getenv("HERALD_HYDRA")}
	if home, err := os.UserHomeDir(); err == nil {
		cached, _ := filepath.Glob(filepath.Join(home, ".cache/herald-ci/hydra-*/hydra"))
		places = append(places, cached...)
	}
	for _, p := range places {
		if info, err := os.Stat(p); p != "" && err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath("hydra"); err == nil {
		return p
	}
	why := "no Ory Hydra to test single sign-on against (HERALD_HYDRA, ~/.cache/herald-ci/hydra-*/hydra or hydra on the PATH; .ci/run builds it)"
	if os.Getenv("HERALD_REQUIRE_OIDC") == "1" {
		t.Fatalf("HERALD_REQUIRE_OIDC=1 but %s", why)
	}
	t.Skip(why)
	return ""
}

// Start runs Hydra on loopback with a client that may use the
// authorization code flow (PKCE required) and redirect only to redirect.
// It is stopped when the test ends.
func Start(t testing.TB, redirect string, accounts map[string]Account) *Provider {
	t.Helper()
	bin := Binary(t)
	p := &Provider{t: t, hc: &http.Client{Timeout: 20 * time.Second}, accounts: map[string]Account{}}
	for name, a := range accounts {
		p.accounts[name] = a
	}
	app := httptest.NewServer(p.app())
	t.Cleanup(app.Close)
	p.Login = app.URL

	// Hydra takes its ports from its configuration; the kernel chooses
	// free ones, which another program could take before Hydra listens:
	// then it exits and is started again on new ones.
	var lastOut string
	for range 3 {
		out, ok := p.run(t, bin, app.URL)
		if ok {
			break
		}
		lastOut = out
	}
	if p.Issuer == "" {
		t.Fatalf("hydra did not start:\n%s", lastOut)
	}
	p.ClientID, p.ClientSecret = "herald", "hydra-client-secret-"+randomHex(8)
	var created struct {
		ClientID string `json:"client_id"`
	}
	p.call(http.MethodPost, "/admin/clients", map[string]any{
		"client_id":                  p.ClientID,
		"client_secret":              p.ClientSecret,
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"redirect_uris":              []string{redirect},
		"scope":                      "openid profile email groups",
		"token_endpoint_auth_method": "client_secret_basic",
	}, &created)
	if created.ClientID == "" {
		t.Fatal("hydra made a client without an id")
	}
	p.ClientID = created.ClientID
	return p
}

// SetGroups changes what the provider says an account's groups are, as an
// administrator of the identity provider would; the next sign-in carries them.
func (p *Provider) SetGroups(name string, groups ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[name]
	a.Groups = groups
	p.accounts[name] = a
}

// run starts hydra once; ok is false if it exited before it was ready.
func (p *Provider) run(t testing.TB, bin, app string) (out string, ok bool) {
	t.Helper()
	public, admin := freePort(t), freePort(t)
	issuer := "http://127.0.0.1:" + strconv.Itoa(public)
	dir := t.TempDir()
	conf := filepath.Join(dir, "hydra.json")
	cfg, _ := json.Marshal(map[string]any{
		"dsn": "memory",
		"serve": map[string]any{
			"public": map[string]any{"host": "127.0.0.1", "port": public},
			"admin":  map[string]any{"host": "127.0.0.1", "port": admin},
		},
		"urls": map[string]any{
			"self":    map[string]any{"issuer": issuer},
			"login":   app + "/login",
			"consent": app + "/consent",
			"error":   app + "/error",
		},
		"secrets": map[string]any{"system": []string{randomHex(32)}},
		"oauth2": map[string]any{
			"pkce":                   map[string]any{"enforced": true},
			"expose_internal_errors": true,
		},
		"log": map[string]any{"level": "warn"},
	})
	if err := os.WriteFile(conf, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	cmd := exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out", "--config", conf)
	// Nothing from the caller's environment reaches it (hydra reads its
	// settings from variables too), and it sends no telemetry.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SQA_OPT_OUT=true"}
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hydra: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // by its pid: the process this test started
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	p.admin = "http://127.0.0.1:" + strconv.Itoa(admin)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			return buf.String(), false
		default:
		}
		if p.ready(issuer) {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("hydra was not ready within 60 s:\n%s", buf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("hydra's log:\n%s", buf.String())
		}
	})
	return buf.String(), true
}

// ready says whether both of Hydra's listeners answer, and reads the
// issuer from its discovery document once they do.
func (p *Provider) ready(issuer string) bool {
	for _, u := range []string{p.admin + "/health/ready", issuer + "/health/ready"} {
		res, err := p.hc.Get(u)
		if err != nil {
			return false
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return false
		}
	}
	res, err := p.hc.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var disc struct {
		Issuer string `json:"issuer"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&disc) != nil || disc.Issuer == "" {
		return false
	}
	if !strings.HasPrefix(disc.Issuer, "http://127.0.0.1:") {
		p.t.Fatalf("hydra's issuer %q is not on loopback", disc.Issuer)
	}
	p.Issuer = disc.Issuer
	return true
}

// call sends a request to Hydra's admin API and decodes its answer into out.
func (p *Provider) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, p.admin+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		err := fmt.Errorf("hydra %s %s: %d %s", method, path, res.StatusCode, data)
		p.t.Error(err)
		return err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Errorf("hydra %s %s: %v in %s", method, path, err, data)
			return err
		}
	}
	return nil
}

// app is the login and consent app: Hydra sends the browser to /login and
// /consent with a challenge, and the app tells Hydra's admin API what it
// decided, then sends the browser back to where Hydra says.
func (p *Provider) app() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		challenge := r.URL.Query().Get("login_challenge")
		if challenge == "" {
			http.Error(w, "no login_challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Sign in</title>
<form method="post" action="/login?login_challenge=%s">
<label>Account <input name="login"></label> <label>Password <input type="password" name="password"></label>
<button>Sign in</button></form>`, html.EscapeString(url.QueryEscape(challenge)))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		challenge := url.QueryEscape(r.URL.Query().Get("login_challenge"))
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		name := r.PostForm.Get("login")
		p.mu.Lock()
		_, known := p.accounts[name]
		p.mu.Unlock()
		var answer struct {
			RedirectTo string `json:"redirect_to"`
		}
		var err error
		if known {
			err = p.call(http.MethodPut, "/admin/oauth2/auth/requests/login/accept?login_challenge="+challenge,
				map[string]any{"subject": name, "remember": false}, &answer)
		} else {
			err = p.call(http.MethodPut, "/admin/oauth2/auth/requests/login/reject?login_challenge="+challenge,
				map[string]any{"error": "access_denied", "error_description": "no such account"}, &answer)
		}
		if err != nil || answer.RedirectTo == "" {
			http.Error(w, fmt.Sprint("hydra did not take the login: ", err), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, answer.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		challenge := url.QueryEscape(r.URL.Query().Get("consent_challenge"))
		var req struct {
			Subject   string   `json:"subject"`
			Scope     []string `json:"requested_scope"`
			Audiences []string `json:"requested_access_token_audience"`
		}
		if err := p.call(http.MethodGet, "/admin/oauth2/auth/requests/consent?consent_challenge="+challenge, nil, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		p.mu.Lock()
		a, known := p.accounts[req.Subject]
		p.mu.Unlock()
		if !known {
			http.Error(w, "consent for an account the provider does not know: "+req.Subject, http.StatusBadRequest)
			return
		}
		email := a.Email
		if email == "" {
			email = req.Subject + "@example.test"
		}
		groups := a.Groups
		if groups == nil {
			groups = []string{}
		}
		var answer struct {
			RedirectTo string `json:"redirect_to"`
		}
		if err := p.call(http.MethodPut, "/admin/oauth2/auth/requests/consent/accept?consent_challenge="+challenge, map[string]any{
			"grant_scope":                 req.Scope,
			"grant_access_token_audience": req.Audiences,
			"remember":                    false,
			"session": map[string]any{"id_token": map[string]any{
				"preferred_username": req.Subject,
				"email":              email,
				"email_verified":     true,
				"groups":             groups,
			}},
		}, &answer); err != nil || answer.RedirectTo == "" {
			http.Error(w, fmt.Sprint("hydra did not take the consent: ", err), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, answer.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /error", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Error(w, "hydra: "+q.Get("error")+": "+q.Get("error_description"), http.StatusBadRequest)
	})
	return mux
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// syncBuffer collects hydra's output from its two streams.
type syncBuffer = syncbuf.Buffer
