package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/mirror"
	"github.com/heraldhq/herald/internal/web"
)

// The pages of pages: in a copy: every public page's documents, a path
// page's under its path and a host page's in its folder, each as served on
// its own address (but for the copy line and made_at), its per-request
// pages leading to its own address; a private page's nothing, nor its
// brand's files.
func TestCopyOfEveryPublicPage(t *testing.T) {
	t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
	dir := t.TempDir()
	logo := func(word string) string {
		return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20"><text x="0" y="15">` + word + `</text></svg>`
	}
	files := map[string]string{"reseller.svg": logo("ResellerLogo"), "secret.svg": logo("SecretLogo"), "herald.yaml": fmt.Sprintf(`
page: {title: Example Hosting Status, zone: America/Los_Angeles, url: "https://status.example.net"}
pages:
  - id: reseller
    title: Reseller Status
    host: status.reseller.example
    logo: {light: reseller.svg, alt: Reseller}
    groups: [mom]
  - id: acme
    title: Acme Status
    path: /acme
    zone: Europe/Berlin
    groups: [elzar]
  - id: secret
    title: Secret Customers Status
    path: /secret
    logo: {light: secret.svg, alt: Secret}
    groups: [zapp]
    private: {key_env: %s}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
  - id: elzar
    components: [{id: web, name: Web sites}]
  - id: zapp
    components: [{id: web, name: Web sites}]
`, pageKeyEnv)}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "herald.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e := newPagesEnvWith(t, cfg)
	network := e.open(t, "Network trouble on every server", "flexo/web", "mom/web", "elzar/web", "zapp/web")
	e.open(t, "Zapp hidden trouble", "zapp/web")
	elzar := e.open(t, "Elzar is slow", "elzar/web")
	e.rebuild(t)

	parts := e.site.ServedAll()
	madeAt := time.Date(2026, 11, 25, 11, 2, 0, 0, time.UTC)
	copied, err := mirror.MakeAll(parts, cfg, madeAt)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "copy")
	if err := (mirror.Dir{Root: root}).Publish(context.Background(), copied); err != nil {
		t.Fatal(err)
	}

	// Nothing of the private page in the copy: no folder, no document
	// naming its server or title, not its logo.
	if _, err := os.Stat(filepath.Join(root, "secret")); !os.IsNotExist(err) {
		t.Errorf("the copy has a folder for the private page: %v", err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for _, bad := range []string{"zapp", "Secret Customers", "SecretLogo", "/secret/"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s names the private page (%q)", p, bad)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range parts {
		if part.Page != nil && part.Page.Private != nil {
			t.Errorf("ServedAll gives the private page %s", part.Page.ID)
		}
	}
	secret, _ := cfg.PageByID("secret")
	if _, err := mirror.MakeAll([]web.PageDocs{{Page: &secret}}, cfg, madeAt); err == nil || !strings.Contains(err.Error(), "private") {
		t.Errorf("MakeAll of a private page: %v, want refused", err)
	}

	// Each public page's copy answers as it does, at its place in the copy
	// (a static server's root for the host page is its folder).
	const reseller = "status.reseller.example"
	pages := []struct {
		host, pre, folder, title, url string
		want                          []string
	}{
		{"", "", "", "Example Hosting Status", "https://status.example.net", []string{"/", "/history", "/api/v2/summary.json", "/history.atom"}},
		{reseller, "", reseller, "Reseller Status", "https://" + reseller,
			[]string{"/", fmt.Sprintf("/incidents/%d", network), "/components/mom/web", "/api/v2/summary.json", "/badges/mom.svg", "/maintenance.ics"}},
		{"", "/acme", "acme", "Acme Status", "https://status.example.net/acme",
			[]string{"/acme/", fmt.Sprintf("/acme/incidents/%d", elzar), "/acme/history", "/acme/api/v2/components.json", "/acme/history.rss"}},
	}
	line := regexp.MustCompile(`<p class="note copy" role="note">This is a copy of the status page, made at [^<]+</p>\n`)
	made := regexp.MustCompile(`,"mirror":\{"made_at":"[^"]+"\}\}$`)
	for _, pg := range pages {
		var part *web.PageDocs
		for i := range parts {
			if p := parts[i].Page; p == nil && pg.folder == "" || p != nil && p.MirrorFolder() == pg.folder {
				part = &parts[i]
			}
		}
		if part == nil {
			t.Fatalf("ServedAll has no part for %q", pg.folder)
		}
		have := map[string]bool{}
		for _, d := range part.Docs {
			have[d.Path] = true
			if d.Path == "404" {
				continue
			}
			name, err := mirror.FileName(web.Document{Path: "/" + strings.TrimPrefix(strings.TrimPrefix(d.Path, pg.pre), "/"), ContentType: d.ContentType})
			if err != nil {
				t.Fatal(err)
			}
			body, err := os.ReadFile(filepath.Join(root, pg.folder, filepath.FromSlash(name)))
			if err != nil {
				t.Errorf("%s%s: not in the copy: %v", pg.host, d.Path, err)
				continue
			}
			code, _, live := e.get(t, pg.host, d.Path)
			if code != http.StatusOK {
				t.Errorf("GET %s%s = %d", pg.host, d.Path, code)
				continue
			}
			back := line.ReplaceAll(body, nil)
			if strings.Contains(d.Path, "/api/v2/") {
				back = made.ReplaceAll(back, []byte("}"))
			}
			if string(back) != live {
				t.Errorf("%s%s: the copy (%s) is not what is served:\n%.600s\n---\n%.600s", pg.host, d.Path, name, back, live)
			}
			if strings.HasPrefix(d.ContentType, "text/html") && !line.Match(body) {
				t.Errorf("%s%s: the copy does not say it is one", pg.host, d.Path)
			}
		}
		for _, p := range pg.want {
			if !have[p] {
				t.Errorf("%s: ServedAll lacks %s", pg.title, p)
			}
		}
		// Its pages that answer per request lead to the page's own address.
		sub, err := os.ReadFile(filepath.Join(root, pg.folder, "subscribe", "index.html"))
		if err != nil || !bytes.Contains(sub, []byte("needs the live page")) || !bytes.Contains(sub, []byte(`href="`+pg.url+`/subscribe"`)) ||
			!bytes.Contains(sub, []byte(pg.title)) {
			t.Errorf("%s's copy of /subscribe does not lead to %s/subscribe: %v\n%.3000s", pg.title, pg.url, err, sub)
		}
		if pg.pre != "" && (bytes.Contains(sub, []byte(`href="/history"`)) || !bytes.Contains(sub, []byte(`href="`+pg.pre+`/history"`))) {
			t.Errorf("%s's copy of /subscribe has links outside its path", pg.title)
		}
		nf, err := os.ReadFile(filepath.Join(root, pg.folder, "404.html"))
		if err != nil || !bytes.Contains(nf, []byte(pg.title)) {
			t.Errorf("%s's copy has no 404 page of its own: %v", pg.title, err)
		}
		if pg.folder != "" {
			for _, f := range copied {
				if strings.HasPrefix(f.Name, pg.folder+"/") && f.Front != (f.Name == pg.folder+"/index.html") {
					t.Errorf("%s: Front %v", f.Name, f.Front)
				}
			}
		}
	}
	// The host page's brand is served on its host, and copied with it.
	brand, _ := cfg.PageByID("reseller")
	logoPath := "/static/logo." + brand.Brand().Logo.Sum + ".svg"
	if code, _, body := e.get(t, reseller, logoPath); code != 200 || !strings.Contains(body, "ResellerLogo") {
		t.Errorf("GET %s on %s = %d", logoPath, reseller, code)
	}
	if b, err := os.ReadFile(filepath.Join(root, reseller, filepath.FromSlash(path.Clean(logoPath[1:])))); err != nil || !bytes.Contains(b, []byte("ResellerLogo")) {
		t.Errorf("the host page's copy lacks its logo: %v", err)
	}
	// page:'s front page goes last.
	if last := copied[len(copied)-1]; last.Name != mirror.IndexName {
		t.Errorf("the last file is %s, not page:'s front page", last.Name)
	}
}
