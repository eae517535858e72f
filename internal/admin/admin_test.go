package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// screens are every admin page a signed-in user can open.
func screens(f *fixture) []string {
	return []string{"/admin", "/admin/incidents", "/admin/incidents/new", path("/admin/incidents/%d", f.draft),
		path("/admin/incidents/%d", f.open), path("/admin/incidents/%d", f.resolved), "/admin/maintenance",
		path("/admin/maintenance/%d", f.tonight), "/admin/monitors", "/admin/subscribers", "/admin/audit",
		"/admin/audit.json", "/admin/settings", "/admin/users"}
}

func TestScreensRender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "alice")
		for _, p := range screens(f) {
			r := c.get(p)
			wantCode(t, p, r, http.StatusOK)
		}
		r := c.get("/admin")
		wantBody(t, "dashboard", r, "Drafts awaiting review", "Web sites on flexo are not responding", "Drafted by Herald from its monitors",
			"Open incidents", "Slow incoming mail on mom", "Degraded performance", "Servers and services", "flexo", "zapp",
			"Kernel update on flexo and mom", "Disk replacement on zapp",
			`<p class="asof">As of Today, 3:10 AM. <a href="/admin">Refresh</a></p>`, "Signed in as <strong>alice</strong>")
		// It does not reload itself (a reload under a screen reader loses the reader's place).
		if strings.Contains(r.body, `http-equiv="refresh"`) {
			t.Error("the dashboard reloads itself")
		}
		// An incident's times and length read as on its public page.
		wantBody(t, "resolved incident", c.get(path("/admin/incidents/%d", f.resolved)),
			"Yesterday, 9:48 to 9:52 AM Pacific time · four minutes")
		wantBody(t, "open incident", c.get(path("/admin/incidents/%d", f.open)),
			"Since Today, 2:40 AM Pacific time · 30 minutes so far")
		// "Today" lists tonight's window, "Upcoming" the one two days on.
		today := r.body[strings.Index(r.body, "<h3>Today</h3>"):strings.Index(r.body, "<h3>Upcoming</h3>")]
		if !strings.Contains(today, "Kernel update") || strings.Contains(today, "Disk replacement") {
			t.Errorf("today's maintenance: %s", today)
		}
	})
}

func TestNoSessionNoAnswer(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.client(t)
	r := c.get("/admin")
	wantCode(t, "/admin", r, http.StatusFound)
	if loc := r.header.Get("Location"); loc != "/admin/login" {
		t.Errorf("/admin redirects to %q, want /admin/login", loc)
	}
	for _, p := range screens(f)[1:] {
		r := c.get(p)
		wantCode(t, p, r, http.StatusFound)
		if loc := r.header.Get("Location"); loc != "/admin/login?next="+url.QueryEscape(p) {
			t.Errorf("%s redirects to %q", p, loc)
		}
		if strings.Contains(r.body, "Web sites on flexo") || strings.Contains(r.body, "alice") {
			t.Errorf("%s leaks data without a session: %s", p, r.body)
		}
	}
	for _, p := range []string{path("/admin/incidents/%d/publish", f.draft), "/admin/incidents", "/admin/users", "/admin/preview"} {
		r := c.post(p, url.Values{})
		wantCode(t, "POST "+p, r, http.StatusUnauthorized)
	}
	in, err := f.svc.Incident(t.Context(), f.draft)
	if err != nil || !in.Draft {
		t.Errorf("draft after unauthenticated publish: %+v %v", in, err)
	}
	// A made-up cookie is no session either.
	u, _ := url.Parse(f.srv.URL + "/admin")
	c.jar.SetCookies(u, []*http.Cookie{{Name: "herald_session", Value: "forged-value-forged-value-forged-value-1234"}})
	wantCode(t, "forged cookie", c.get("/admin"), http.StatusFound)
	// The static files need no session.
	wantCode(t, "login page", c.get("/admin/login"), http.StatusOK)
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.as(t, "vic")
	anon := f.client(t)
	pages := append(screens(f), "/admin/nope", "/admin/incidents/999999")
	check := func(what string, r resp) {
		t.Helper()
		h := r.header
		csp := h.Get("Content-Security-Policy")
		for _, w := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, w) {
				t.Errorf("%s: CSP %q lacks %q", what, csp, w)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", what, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", what, h)
		}
		if h.Get("Cache-Control") != "no-store" && !strings.Contains(what, "static") {
			t.Errorf("%s: Cache-Control %q", what, h.Get("Cache-Control"))
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " onclick=") || strings.Contains(r.body, " style=") {
			t.Errorf("%s: inline script or style in the page", what)
		}
	}
	for _, p := range pages {
		check(p, c.get(p))
		check("anonymous "+p, anon.get(p))
	}
	check("login", anon.get("/admin/login"))
	check("failed login", anon.post("/admin/login", url.Values{"username": {"vic"}, "password": {"nope"}}))
	check("forbidden", c.post(path("/admin/incidents/%d/publish", f.draft), nil))

	// Static files: content-hashed names, cached for good, wrong names 404.
	r := anon.get("/admin/login")
	for _, ext := range []string{".css", ".js"} {
		i := strings.Index(r.body, "/admin/static/admin.")
		for i >= 0 && !strings.HasPrefix(r.body[i+len("/admin/static/admin.")+12:], ext) {
			j := strings.Index(r.body[i+1:], "/admin/static/admin.")
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			t.Fatalf("no hashed %s link in the login page", ext)
		}
		u := r.body[i : i+len("/admin/static/admin.")+12+len(ext)]
		s := anon.get(u)
		wantCode(t, u, s, http.StatusOK)
		check("static "+u, s)
		if s.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, s.header.Get("Cache-Control"))
		}
	}
	wantCode(t, "unknown static", anon.get("/admin/static/admin.000000000000.css"), http.StatusNotFound)
}

func cookieOf(t *testing.T, r resp) *http.Cookie {
	t.Helper()
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == "herald_session" {
			return c
		}
	}
	t.Fatalf("no session cookie set; headers %v", r.header)
	return nil
}

func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.client(t)
		r := c.post("/admin/login", url.Values{"username": {"alice"}, "password": {"wrong password"}})
		wantCode(t, "wrong password", r, http.StatusUnauthorized)
		wantBody(t, "wrong password", r, "Wrong user name or password.", `value="alice"`)
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("a failed sign-in sets a cookie: %v", r.header.Values("Set-Cookie"))
		}
		r = c.post("/admin/login", url.Values{"username": {"nobody"}, "password": {"wrong password"}})
		wantCode(t, "unknown user", r, http.StatusUnauthorized)
		wantBody(t, "unknown user", r, "Wrong user name or password.")
		wantCode(t, "empty", c.post("/admin/login", url.Values{"username": {""}, "password": {""}}), http.StatusUnprocessableEntity)

		r = c.post("/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}, "next": {"/admin/audit?subject=incident:1"}})
		wantCode(t, "sign in", r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/admin/audit?subject=incident:1" {
			t.Errorf("after sign-in: Location %q", loc)
		}
		ck := cookieOf(t, r)
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/admin" || ck.Secure || len(ck.Value) < 40 {
			t.Errorf("session cookie over HTTP: %+v", ck)
		}
		wantCode(t, "signed in", c.get("/admin"), http.StatusOK)
		// Already signed in: the sign-in page sends you on.
		wantCode(t, "login again", c.get("/admin/login"), http.StatusFound)

		// Behind a TLS-terminating proxy the cookie is Secure.
		r = f.client(t).do("POST", "/admin/login", url.Values{"username": {"erin"}, "password": {erinPW}}, map[string]string{"X-Forwarded-Proto": "https"})
		if ck := cookieOf(t, r); !ck.Secure || !ck.HttpOnly {
			t.Errorf("cookie behind HTTPS: %+v", ck)
		}

		// next never leaves the admin pages.
		for _, next := range []string{"//127.0.0.2/x", "https://127.0.0.2/", "/admin\\@127.0.0.2", "/incidents/1", "/admin/logout"} {
			r := f.client(t).post("/admin/login", url.Values{"username": {"vic"}, "password": {vicPW}, "next": {next}})
			if loc := r.header.Get("Location"); loc != "/admin" {
				t.Errorf("next=%q sends the browser to %q", next, loc)
			}
		}

		// Sign out ends the session on the server, not only in the browser.
		value := ck.Value
		wantCode(t, "logout", c.post("/admin/logout", nil), http.StatusSeeOther)
		if _, _, err := f.accounts.Session(t.Context(), value); err == nil {
			t.Error("the session survives sign-out")
		}
		wantCode(t, "after logout", c.get("/admin"), http.StatusFound)
	})
}

func TestLoginRateLimited(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.client(t)
	// Three failures are free; the fourth makes this client wait a second
	// before trying alice again, the fifth two, and so on.
	for i := 0; i < 4; i++ {
		wantCode(t, "guess", c.post("/admin/login", url.Values{"username": {"alice"}, "password": {fmt.Sprintf("guess %d", i)}}), http.StatusUnauthorized)
	}
	r := c.post("/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}})
	wantCode(t, "fifth try", r, http.StatusTooManyRequests)
	wantBody(t, "fifth try", r, "Too many failed sign-ins; try again in 1 second.")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	f.clock.Add(time.Second)
	wantCode(t, "guess", c.post("/admin/login", url.Values{"username": {"alice"}, "password": {"guess again"}}), http.StatusUnauthorized)
	wantBody(t, "after the fifth failure", c.post("/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}}),
		"Too many failed sign-ins; try again in 2 seconds.")
	f.clock.Add(2 * time.Second)
	c.login("alice", alicePW)

	// One client trying many names meets the per-client limit, decided
	// before the form is read: a form the handler would refuse (an unknown
	// field) gets 429 too, not 400.
	limited := false
	for i := 0; i < 25 && !limited; i++ {
		r := c.post("/admin/login", url.Values{"username": {fmt.Sprintf("nobody%d", i)}, "password": {"guess"}})
		limited = r.code == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("25 names from one client were never refused")
	}
	r = c.post("/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}, "unexpected": {"x"}})
	wantCode(t, "malformed form past the client limit", r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the client limit")
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "alice")
		publish := path("/admin/incidents/%d/publish", f.draft)
		for _, h := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.2:8080"},
			// Another port on the same host is the same site but another origin.
			{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"},
			// An old browser: no Sec-Fetch-Site, a foreign Origin.
			{"Sec-Fetch-Site": "", "Origin": "http://127.0.0.2:8080"},
		} {
			r := c.do("POST", publish, url.Values{}, h)
			wantCode(t, fmt.Sprintf("forged publish %v", h), r, http.StatusForbidden)
			wantBody(t, "forged publish", r, "came from another site")
		}
		in, err := f.svc.Incident(t.Context(), f.draft)
		if err != nil || !in.Draft {
			t.Fatalf("a forged request published the draft: %+v %v", in, err)
		}
		// Sign-in forgery is refused too, and a GET from anywhere is fine.
		r := f.client(t).do("POST", "/admin/login", url.Values{"username": {"vic"}, "password": {vicPW}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		wantCode(t, "forged sign-in", r, http.StatusForbidden)
		wantCode(t, "cross-site GET", c.do("GET", "/admin", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}), http.StatusOK)
		// The same request from the admin's own page works.
		wantCode(t, "real publish", c.post(publish, nil), http.StatusSeeOther)
	})
}

// writes are every state-changing route with a form that would succeed for an admin.
func writes(f *fixture) []struct {
	path string
	form url.Values
} {
	return []struct {
		path string
		form url.Values
	}{
		{"/admin/incidents", url.Values{"title": {"x"}, "status": {"investigating"}, "body": {"x"}, "c:flexo/email": {"major_outage"}, "action": {"publish"}}},
		{path("/admin/incidents/%d/publish", f.draft), nil},
		{path("/admin/incidents/%d/edit", f.open), url.Values{"title": {"changed"}, "impact": {"major"}}},
		{path("/admin/incidents/%d/update", f.open), url.Values{"status": {"identified"}, "body": {"x"}}},
		{path("/admin/incidents/%d/resolve", f.open), url.Values{"body": {"x"}}},
		{path("/admin/incidents/%d/postmortem", f.resolved), url.Values{"postmortem": {"x"}}},
		{"/admin/maintenance", url.Values{"title": {"x"}, "body": {"x"}, "start": {"2026-11-30T23:00"}, "minutes": {"5"}, "component": {"flexo/web"}}},
		{path("/admin/maintenance/%d/components", f.tonight), url.Values{"component": {"zapp/web"}}},
		{path("/admin/maintenance/%d/update", f.tonight), url.Values{"update": {"x"}}},
		{path("/admin/maintenance/%d/complete", f.active), url.Values{}},
		{path("/admin/maintenance/%d/cancel", f.tomorrow), url.Values{}},
		{"/admin/maintenance/series", url.Values{"title": {"x"}, "body": {"x"}, "rrule": {"FREQ=WEEKLY"}, "start": {"2026-11-29T02:00"},
			"zone": {"UTC"}, "minutes": {"60"}, "component": {"flexo/web"}}},
		{path("/admin/maintenance/series/%d/end", f.series), url.Values{}},
		{"/admin/users", url.Values{"name": {"mallory"}, "role": {"admin"}, "password": {"mallory password"}}},
		{"/admin/users/erin/role", url.Values{"role": {"admin"}}},
		{"/admin/users/erin/disable", url.Values{}},
		{"/admin/users/erin/enable", url.Values{}},
		{"/admin/users/erin/password", url.Values{"password": {"a new password"}}},
	}
}

func TestViewerChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "vic")
		before, err := f.store.Changes(t.Context(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range writes(f) {
			r := c.post(w.path, w.form)
			wantCode(t, "viewer POST "+w.path, r, http.StatusForbidden)
		}
		after, err := f.store.Changes(t.Context(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Errorf("a viewer's requests changed %d records: %+v", len(after)-len(before), after[0])
		}
		// A viewer reads every screen but users, and sees no write forms.
		for _, p := range screens(f) {
			if p == "/admin/incidents/new" {
				continue
			}
			r := c.get(p)
			if p == "/admin/users" {
				wantCode(t, p, r, http.StatusForbidden)
				continue
			}
			wantCode(t, p, r, http.StatusOK)
			for _, form := range []string{"/publish\"", "/update\"", "/resolve\"", `action="/admin/incidents"`, `action="/admin/maintenance"`} {
				if strings.Contains(r.body, form) {
					t.Errorf("viewer sees a form posting to %s on %s", form, p)
				}
			}
		}
		wantCode(t, "viewer new incident", c.get("/admin/incidents/new"), http.StatusForbidden)
		// Previews write nothing, so a viewer may use them.
		wantCode(t, "viewer preview", c.post("/admin/preview", url.Values{"body": {"*hi*"}}), http.StatusOK)
	})
}

func TestEditorRights(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.as(t, "erin")
	for _, w := range writes(f) {
		r := c.post(w.path, w.form)
		want := http.StatusSeeOther
		if strings.HasPrefix(w.path, "/admin/users") {
			want = http.StatusForbidden
		}
		wantCode(t, "editor POST "+w.path, r, want)
	}
	wantCode(t, "editor users", c.get("/admin/users"), http.StatusForbidden)
	wantCode(t, "editor export", c.get("/admin/subscribers.csv"), http.StatusForbidden)
	changes, err := f.store.Changes(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		if strings.HasPrefix(ch.Action, "user.create") && strings.Contains(ch.After, "mallory") {
			t.Error("an editor added a user")
		}
	}
}

func TestIncidentFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "erin")
		ctx := t.Context()

		// A mistake keeps what was typed and says what is wrong.
		r := c.post("/admin/incidents", url.Values{"title": {""}, "status": {"investigating"}, "impact": {"auto"},
			"body": {"Mail to *mom* bounces."}, "c:mom/email": {"partial_outage"}, "action": {"publish"}})
		wantCode(t, "no title", r, http.StatusUnprocessableEntity)
		wantBody(t, "no title", r, "title is required", "Mail to *mom* bounces.", `<option value="partial_outage" selected>`)
		r = c.post("/admin/incidents", url.Values{"title": {"x"}, "status": {"resolved"}, "body": {"x"}, "action": {"publish"}})
		wantCode(t, "resolved at birth", r, http.StatusUnprocessableEntity)
		r = c.post("/admin/incidents", url.Values{"title": {"x"}, "status": {"investigating"}, "body": {"x"}, "c:nope/web": {"major_outage"}, "action": {"publish"}})
		wantCode(t, "unknown component", r, http.StatusUnprocessableEntity)
		wantBody(t, "unknown component", r, "unknown component nope/web")
		r = c.post("/admin/incidents", url.Values{"title": {"x"}, "status": {"investigating"}, "body": {"x"}, "c:mom/web": {"on_fire"}, "action": {"publish"}})
		wantCode(t, "bad status", r, http.StatusUnprocessableEntity)

		r = c.post("/admin/incidents", url.Values{"title": {"Mail bounces on mom"}, "status": {"investigating"}, "impact": {"auto"},
			"body": {"Mail to *mom* bounces."}, "c:mom/email": {"partial_outage"}, "action": {"draft"}})
		wantCode(t, "create draft", r, http.StatusSeeOther)
		loc := r.header.Get("Location")
		var id int64
		if _, err := fmt.Sscanf(loc, "/admin/incidents/%d?done=draft", &id); err != nil {
			t.Fatalf("Location %q: %v", loc, err)
		}
		in, err := f.svc.Incident(ctx, id)
		if err != nil || !in.Draft || in.Impact != status.ImpactMajor || len(in.Components) != 1 || in.Components[0].Status != status.PartialOutage {
			t.Fatalf("created: %+v %v", in, err)
		}
		r = c.get(loc)
		wantBody(t, "editor", r, "Draft saved.", "This incident is a draft", "Mail bounces on mom", "<em>mom</em>", "Edit this text")

		// A word of the drafted text corrected before publishing.
		u := in.Updates[0].ID
		r = c.post(path("/admin/incidents/%d/updates/%d", id, u), url.Values{"body": {" "}})
		wantCode(t, "empty text", r, http.StatusUnprocessableEntity)
		wantBody(t, "empty text", r, "body is required")
		wantCode(t, "edit text", c.post(path("/admin/incidents/%d/updates/%d", id, u), url.Values{"body": {"Mail to *mom* bounces; we are on it."}}), http.StatusSeeOther)
		wantCode(t, "edit a missing update", c.post(path("/admin/incidents/%d/updates/%d", id, u+99), url.Values{"body": {"x"}}), http.StatusNotFound)
		if got, err := f.svc.Incident(ctx, id); err != nil || got.Updates[0].Body != "Mail to *mom* bounces; we are on it." {
			t.Errorf("edited text: %+v %v", got, err)
		}

		// Starter texts fill the update form without JavaScript.
		r = c.get(path("/admin/incidents/%d?template=identified", id))
		wantBody(t, "starter", r, `<option value="identified" selected>`, "We have identified the cause")

		wantCode(t, "publish", c.post(path("/admin/incidents/%d/publish", id), nil), http.StatusSeeOther)
		r = c.post(path("/admin/incidents/%d/publish", id), nil)
		wantCode(t, "publish twice", r, http.StatusUnprocessableEntity)
		wantBody(t, "publish twice", r, "already published")

		r = c.post(path("/admin/incidents/%d/update", id), url.Values{"status": {"identified"}, "body": {""}})
		wantCode(t, "empty update", r, http.StatusUnprocessableEntity)
		wantBody(t, "empty update", r, "body is required")
		wantCode(t, "update", c.post(path("/admin/incidents/%d/update", id), url.Values{"status": {"identified"},
			"body": {"A full disk. Clearing it."}, "c:mom/email": {"major_outage"}}), http.StatusSeeOther)
		wantCode(t, "edit", c.post(path("/admin/incidents/%d/edit", id), url.Values{"title": {"Mail bounced on mom"}, "impact": {"critical"}}), http.StatusSeeOther)
		wantCode(t, "resolve", c.post(path("/admin/incidents/%d/resolve", id), url.Values{"body": {"All delayed mail has been delivered."}}), http.StatusSeeOther)
		r = c.post(path("/admin/incidents/%d/postmortem", id), url.Values{"postmortem": {"## What happened\n\nThe disk filled."}})
		wantCode(t, "postmortem", r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != path("/admin/incidents/%d?done=postmortem#postmortem", id) {
			t.Errorf("postmortem Location %q", loc)
		}

		in, err = f.svc.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Draft || in.Status != status.Resolved || in.Title != "Mail bounced on mom" || in.Impact != status.ImpactCritical ||
			!strings.Contains(in.Postmortem, "The disk filled.") || len(in.Updates) != 3 {
			t.Errorf("after the flow: %+v", in)
		}
		changes, err := f.svc.Changes(ctx, path("incident:%d", id), 0)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ch := range changes {
			if ch.Actor != "user:erin" {
				t.Errorf("change %s by %q, want user:erin", ch.Action, ch.Actor)
			}
			actions = append([]string{ch.Action}, actions...)
		}
		if got := strings.Join(actions, " "); got != "incident.create incident.update.edit incident.publish incident.update incident.edit incident.resolve incident.postmortem" {
			t.Errorf("change log: %s", got)
		}
		r = c.get(path("/admin/incidents/%d", id))
		wantBody(t, "resolved editor", r, "Resolved", "All delayed mail has been delivered.", "What happened", "Edit the postmortem")
		if strings.Contains(r.body, `/update"`) {
			t.Error("a resolved incident still offers the update form")
		}
		wantCode(t, "unknown incident", c.get("/admin/incidents/999999"), http.StatusNotFound)
		wantCode(t, "bad id", c.get("/admin/incidents/abc"), http.StatusNotFound)
		wantCode(t, "update unknown", c.post("/admin/incidents/999999/update", url.Values{"status": {"identified"}, "body": {"x"}}), http.StatusNotFound)
	})
}

func TestUserTextEscaped(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.as(t, "alice")
	evil := `<script>alert("t")</script><img src=x onerror=alert(1)>`
	r := c.post("/admin/incidents", url.Values{"title": {"Title " + evil}, "status": {"investigating"},
		"body": {"Body " + evil + "\n\n[link](javascript:alert(1))"}, "c:flexo/web": {"major_outage"}, "action": {"publish"}})
	wantCode(t, "create", r, http.StatusSeeOther)
	var id int64
	fmt.Sscanf(r.header.Get("Location"), "/admin/incidents/%d", &id)
	if _, err := f.svc.ScheduleMaintenance(t.Context(), "user:alice", service.NewMaintenance{Title: "Maint " + evil, Body: evil,
		Components: []string{"zapp/web"}, Start: at("2026-11-25 05:00"), End: at("2026-11-25 06:00")}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin", "/admin/incidents", path("/admin/incidents/%d", id), "/admin/maintenance", "/admin/audit"}
	for _, p := range pages {
		r := c.get(p)
		wantCode(t, p, r, http.StatusOK)
		for _, bad := range []string{"<script>alert", "<img src=x", `href="javascript:`} {
			if strings.Contains(r.body, bad) {
				t.Errorf("%s shows %q unescaped", p, bad)
			}
		}
		// The audit log shows the title inside JSON, where < is \u003c.
		if !strings.Contains(r.body, "&lt;script&gt;") && !strings.Contains(r.body, `\u003cscript\u003e`) {
			t.Errorf("%s does not show the escaped title", p)
		}
	}
	r = c.post("/admin/preview?fragment=1", url.Values{"body": {"**bold** " + evil}})
	wantCode(t, "preview", r, http.StatusOK)
	if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img") || !strings.Contains(r.body, "<strong>bold</strong>") {
		t.Errorf("preview: %s", r.body)
	}
	r = c.post("/admin/preview", url.Values{"postmortem": {"# Heading"}})
	wantBody(t, "preview page", r, "<h1>Preview</h1>", "Heading")
	// A text too long to save is shown as typed, with the reason.
	long := "# Not a heading\n" + strings.Repeat("[a](", markdown.MaxBytes/4)
	r = c.post("/admin/preview?fragment=1", url.Values{"body": {long}})
	wantBody(t, "long preview", r, "at most 65536 can be saved", "<p># Not a heading<br>")
	// Search text comes back escaped.
	f2 := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) { d.Subscribers = &fakeSubscribers{} })
	r = f2.as(t, "alice").get("/admin/subscribers?q=" + url.QueryEscape(evil))
	if strings.Contains(r.body, "<script>alert") {
		t.Error("subscriber search echoes the query unescaped")
	}
}

func TestStrictForms(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.as(t, "alice")
	upd := path("/admin/incidents/%d/update", f.open)
	r := c.post(upd, url.Values{"status": {"identified"}, "body": {"x"}, "sneaky": {"1"}})
	wantCode(t, "unknown field", r, http.StatusBadRequest)
	wantBody(t, "unknown field", r, "Unexpected form field &#34;sneaky&#34;.")
	wantCode(t, "repeated field", c.post(upd, url.Values{"status": {"identified", "monitoring"}, "body": {"x"}}), http.StatusBadRequest)
	wantCode(t, "JSON body", c.do("POST", upd, url.Values{"body": {"x"}}, map[string]string{"Content-Type": "application/json"}), http.StatusUnsupportedMediaType)
	big := url.Values{"status": {"identified"}, "body": {strings.Repeat("x", 300<<10)}}
	wantCode(t, "too large", c.post(upd, big), http.StatusRequestEntityTooLarge)
	wantCode(t, "bad impact", c.post(path("/admin/incidents/%d/edit", f.open), url.Values{"title": {"x"}, "impact": {"apocalyptic"}}), http.StatusUnprocessableEntity)
	wantCode(t, "audit limit", c.get("/admin/audit?limit=0"), http.StatusBadRequest)
	wantCode(t, "audit param", c.get("/admin/audit?order=asc"), http.StatusBadRequest)
	wantCode(t, "unknown page", c.get("/admin/nowhere"), http.StatusNotFound)
	in, err := f.svc.Incident(t.Context(), f.open)
	if err != nil || len(in.Updates) != 1 {
		t.Errorf("a refused form changed the incident: %+v %v", in, err)
	}
}

func TestMaintenanceScreens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "erin")
		ctx := t.Context()
		r := c.post("/admin/maintenance", url.Values{"title": {"Restart flexo"}, "body": {"Five minutes."}, "start": {"tonight"},
			"minutes": {"5"}, "component": {"flexo/web", "flexo/email"}})
		wantCode(t, "bad start", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad start", r, "Start is not a date and time", "Restart flexo", `value="flexo/email" checked`)
		wantCode(t, "no length", c.post("/admin/maintenance", url.Values{"title": {"x"}, "body": {"x"}, "start": {"2026-11-26T23:00"},
			"minutes": {"0"}, "component": {"flexo/web"}}), http.StatusUnprocessableEntity)
		r = c.post("/admin/maintenance", url.Values{"title": {"Restart flexo"}, "body": {"Five minutes."}, "start": {"2026-11-25T04:00"},
			"minutes": {"30"}, "component": {"flexo/web", "flexo/email"}})
		wantCode(t, "schedule", r, http.StatusSeeOther)
		var id int64
		fmt.Sscanf(r.header.Get("Location"), "/admin/maintenance/%d", &id)
		m, err := f.svc.Maintenance(ctx, id)
		if err != nil || !m.ScheduledFor.Equal(at("2026-11-25 04:00")) || !m.ScheduledUntil.Equal(at("2026-11-25 04:30")) || len(m.Components) != 2 {
			t.Fatalf("scheduled: %+v %v", m, err)
		}
		wantCode(t, "add nothing", c.post(path("/admin/maintenance/%d/components", id), url.Values{}), http.StatusUnprocessableEntity)
		wantCode(t, "add server", c.post(path("/admin/maintenance/%d/components", id), url.Values{"component": {"zapp/web", "zapp/email"},
			"update": {"Update: this will include the zapp server."}}), http.StatusSeeOther)
		f.clock.Set(at("2026-11-25 04:01"))
		if _, err := f.svc.AdvanceMaintenance(ctx); err != nil {
			t.Fatal(err)
		}
		r = c.get(path("/admin/maintenance/%d", id))
		wantBody(t, "in progress", r, "In progress", "Complete now", "this will include the zapp server")
		wantCode(t, "complete early", c.post(path("/admin/maintenance/%d/complete", id), url.Values{"update": {"Completed with less than five minutes of downtime."}}), http.StatusSeeOther)
		m, err = f.svc.Maintenance(ctx, id)
		if err != nil || m.Status != status.Completed || len(m.Components) != 4 {
			t.Fatalf("completed: %+v %v", m, err)
		}
		r = c.post(path("/admin/maintenance/%d/cancel", id), url.Values{})
		wantCode(t, "cancel a completed window", r, http.StatusUnprocessableEntity)
		wantCode(t, "cancel", c.post(path("/admin/maintenance/%d/cancel", f.tomorrow), url.Values{"update": {"Postponed."}}), http.StatusSeeOther)
		if m, _ := f.svc.Maintenance(ctx, f.tomorrow); m.Status != status.Cancelled {
			t.Errorf("cancelled window is %s", m.Status)
		}
		changes, err := f.svc.Changes(ctx, path("maintenance:%d", id), 0)
		if err != nil || len(changes) < 3 || changes[0].Actor != "user:erin" {
			t.Errorf("maintenance changes: %+v %v", changes, err)
		}
	})
}

type fakeMonitoring struct {
	mons    []admin.MonitorView
	outages []admin.OutageView
	since   time.Time
}

func (m *fakeMonitoring) Monitors() []admin.MonitorView { return m.mons }
func (m *fakeMonitoring) Outages(_ context.Context, since time.Time) ([]admin.OutageView, error) {
	m.since = since
	return m.outages, nil
}

type fakeSubscribers struct {
	list  []admin.SubscriberView
	query string
}

func (s *fakeSubscribers) Counts(context.Context) (map[string]int, error) {
	return map[string]int{"": 120, "flexo/web": 42, "mom/email": 7}, nil
}
func (s *fakeSubscribers) Search(_ context.Context, q string, limit int) ([]admin.SubscriberView, error) {
	s.query = q
	var out []admin.SubscriberView
	for _, v := range s.list {
		if strings.Contains(v.Address, q) && len(out) < limit {
			out = append(out, v)
		}
	}
	return out, nil
}
func (s *fakeSubscribers) Export(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, "id,kind,address\n1,email,ann@example.org\n")
	return err
}

func demoMonitoring() *fakeMonitoring {
	return &fakeMonitoring{
		mons: []admin.MonitorView{
			{ID: "flexo/web#1", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:8081/", State: "down",
				Since: at("2026-11-25 03:02"), LastCheck: at("2026-11-25 03:09"), LastMessage: "timeout after 10s (no response)", LastLatency: 10 * time.Second},
			{ID: "flexo/email#1", ComponentID: "flexo/email", Kind: "smtp", Target: "127.0.0.1:2525", State: "up",
				Since: at("2026-11-20 00:00"), LastCheck: at("2026-11-25 03:09"), LastMessage: "220 banner, EHLO ok", LastLatency: 12 * time.Millisecond},
			{ID: "mom/email#1", ComponentID: "mom/email", Kind: "smtp", Target: "127.0.0.1:2526", State: "degraded",
				Since: at("2026-11-25 02:40"), LastCheck: at("2026-11-25 03:09"), LastMessage: "banner after 4.1s (limit 2s)", LastLatency: 4100 * time.Millisecond},
		},
		outages: []admin.OutageView{
			{ComponentID: "flexo/web", Start: at("2026-11-25 03:02"), Down: true},
			{ComponentID: "elzar/web", Start: at("2026-11-24 09:48"), End: at("2026-11-24 09:52"), Down: true, IncidentID: 3},
			{ComponentID: "zapp/web", Start: at("2026-11-22 23:00"), End: at("2026-11-22 23:04"), Down: true, InMaintenance: true},
		},
	}
}

func demoSubscribers() *fakeSubscribers {
	return &fakeSubscribers{list: []admin.SubscriberView{
		{ID: 1, Kind: "email", Address: "ann@example.org", Confirmed: true, CreatedAt: at("2026-10-01 10:00")},
		{ID: 2, Kind: "email", Address: "bob@example.org", Components: []string{"flexo/web"}, CreatedAt: at("2026-11-24 08:00")},
		{ID: 3, Kind: "webhook", Address: "https://127.0.0.1:9/hook", Components: []string{"mom/email", "mom/web"}, Confirmed: true, CreatedAt: at("2026-11-01 12:00")},
	}}
}

func TestMonitorsAndSubscribersLightUp(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.as(t, "alice")
	wantBody(t, "monitors off", c.get("/admin/monitors"), "Monitoring is not configured on this server.")
	wantBody(t, "subscribers off", c.get("/admin/subscribers"), "Subscriptions are not configured on this server.")
	wantCode(t, "export off", c.get("/admin/subscribers.csv"), http.StatusNotFound)

	mon, subs := demoMonitoring(), demoSubscribers()
	f = newFixture(t, storetest.SQLite(t), func(d *admin.Deps) { d.Monitoring, d.Subscribers = mon, subs })
	c = f.as(t, "alice")
	r := c.get("/admin/monitors")
	wantBody(t, "monitors", r, "1 down", "1 degraded", "1 up", "timeout after 10s (no response)", "http://127.0.0.1:8081/",
		"12 ms", "<strong>ongoing</strong>, eight minutes so far", "four minutes", "During maintenance", `href="/admin/incidents/3"`)
	if strings.Contains(r.body, "not configured") {
		t.Error("monitors still say not configured")
	}
	if down, up := strings.Index(r.body, "timeout after 10s"), strings.Index(r.body, "220 banner"); down > up {
		t.Error("a monitor that is up is listed before one that is down")
	}
	if !mon.since.Equal(f.clock.Now().AddDate(0, 0, -7)) {
		t.Errorf("outages asked since %s", mon.since)
	}
	wantBody(t, "dashboard monitors", c.get("/admin"), "Failing monitors", "timeout after 10s (no response)")

	r = c.get("/admin/subscribers")
	wantBody(t, "counts", r, "<strong>Everything</strong></td><td class=\"num\">120</td>", "flexo: Web sites</td><td class=\"num\">42</td>", "Export CSV")
	r = c.get("/admin/subscribers?q=example.org")
	wantBody(t, "search", r, "ann@example.org", "bob@example.org", "Awaiting confirmation", "Everything", "flexo: Web sites")
	if subs.query != "example.org" {
		t.Errorf("searched for %q", subs.query)
	}
	wantCode(t, "long query", c.get("/admin/subscribers?q="+strings.Repeat("a", 201)), http.StatusBadRequest)
	r = c.get("/admin/subscribers.csv")
	wantCode(t, "export", r, http.StatusOK)
	if r.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") ||
		r.body != "id,kind,address\n1,email,ann@example.org\n" {
		t.Errorf("export: %v %q", r.header, r.body)
	}
	wantCode(t, "viewer export", f.as(t, "vic").get("/admin/subscribers.csv"), http.StatusForbidden)
}

func TestAuditAndUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "alice")
		r := c.post("/admin/users", url.Values{"name": {"Bad Name"}, "role": {"editor"}, "password": {"long enough pw"}})
		wantCode(t, "bad name", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad name", r, "lower-case letters", `value="Bad Name"`)
		wantCode(t, "short password", c.post("/admin/users", url.Values{"name": {"olga"}, "role": {"editor"}, "password": {"short"}}), http.StatusUnprocessableEntity)
		wantCode(t, "bad role", c.post("/admin/users", url.Values{"name": {"olga"}, "role": {"root"}, "password": {"long enough pw"}}), http.StatusUnprocessableEntity)
		wantCode(t, "duplicate", c.post("/admin/users", url.Values{"name": {"erin"}, "role": {"editor"}, "password": {"long enough pw"}}), http.StatusUnprocessableEntity)
		wantCode(t, "add", c.post("/admin/users", url.Values{"name": {"olga"}, "role": {"editor"}, "password": {"olga password"}}), http.StatusSeeOther)
		olga := f.client(t).login("olga", "olga password")
		wantCode(t, "role", c.post("/admin/users/olga/role", url.Values{"role": {"viewer"}}), http.StatusSeeOther)
		wantCode(t, "olga now a viewer", olga.post(path("/admin/incidents/%d/publish", f.draft), nil), http.StatusForbidden)
		wantCode(t, "disable self", c.post("/admin/users/alice/disable", url.Values{}), http.StatusUnprocessableEntity)
		wantCode(t, "disable", c.post("/admin/users/olga/disable", url.Values{}), http.StatusSeeOther)
		wantCode(t, "disabled olga is signed out", olga.get("/admin"), http.StatusFound)
		wantCode(t, "disable unknown", c.post("/admin/users/nobody/disable", url.Values{}), http.StatusUnprocessableEntity)
		wantCode(t, "enable", c.post("/admin/users/olga/enable", url.Values{}), http.StatusSeeOther)
		wantCode(t, "password", c.post("/admin/users/olga/password", url.Values{"password": {"olga password 2"}}), http.StatusSeeOther)
		f.client(t).login("olga", "olga password 2")
		r = c.get("/admin/users")
		wantBody(t, "users", r, "olga", "erin", "vic", "Disable")

		r = c.get("/admin/audit")
		wantCode(t, "audit", r, http.StatusOK)
		wantBody(t, "audit", r, "user:alice", "user.create", "user.role", "user.disable", "user.enable", "user.password", "user.login",
			"incident.create", "maintenance.create", "&#34;role&#34;: &#34;viewer&#34;")
		if strings.Contains(r.body, "argon2") {
			t.Error("the audit log shows a password hash")
		}
		r = c.get(path("/admin/audit?subject=incident:%d", f.resolved))
		wantBody(t, "filtered", r, "incident.resolve", path(`href="/admin/incidents/%d"`, f.resolved))
		if strings.Contains(r.body, "user.create") {
			t.Error("the subject filter lets other subjects through")
		}
		r = c.get("/admin/audit.json?limit=5")
		wantCode(t, "audit.json", r, http.StatusOK)
		var doc struct {
			Changes []struct {
				Actor, Action, Subject string
				At                     time.Time
				After                  json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			t.Fatalf("audit.json: %v\n%s", err, r.body)
		}
		if len(doc.Changes) != 5 || doc.Changes[0].Actor != "user:olga" || doc.Changes[0].Action != "user.login" {
			t.Errorf("audit.json: %+v", doc.Changes)
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("audit.json Content-Type %q", r.header.Get("Content-Type"))
		}
		// Own password: signed out, asked to sign in again.
		r = c.post("/admin/users/alice/password", url.Values{"password": {"alice password 2"}})
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/admin/login") {
			t.Errorf("own password: %d %s", r.code, r.header.Get("Location"))
		}
		wantCode(t, "after own password", c.get("/admin"), http.StatusFound)
	})
}

func TestSettingsHideSecrets(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	r := f.as(t, "vic").get("/admin/settings")
	wantCode(t, "settings", r, http.StatusOK)
	wantBody(t, "settings", r, "Example Hosting Status", "America/Los_Angeles", "flexo", "password_env: HERALD_SMTP_PASSWORD",
		"https://hooks.slack.com/hidden", "sqlite", "127.0.0.1:2525", "token_env: HERALD_TELEGRAM_TOKEN", "https://example.webhook.office.com/hidden?hidden")
	for _, secret := range []string{"SECRETPATHXYZ", "hunter2", "QUERYSECRET", "TEAMSPATHSECRET", "TEAMSSIG"} {
		if strings.Contains(r.body, secret) {
			t.Errorf("settings show the secret %q", secret)
		}
	}
}

func TestChangeLogHasBeforeAndAfter(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	c := f.as(t, "erin")
	wantCode(t, "edit", c.post(path("/admin/incidents/%d/edit", f.open), url.Values{"title": {"Slow mail on mom"}, "impact": {"minor"}}), http.StatusSeeOther)
	changes, err := f.store.Changes(t.Context(), path("incident:%d", f.open), 1)
	if err != nil || len(changes) != 1 {
		t.Fatal(changes, err)
	}
	var before, after status.Incident
	if json.Unmarshal([]byte(changes[0].Before), &before) != nil || json.Unmarshal([]byte(changes[0].After), &after) != nil {
		t.Fatalf("before/after not JSON: %s / %s", changes[0].Before, changes[0].After)
	}
	if before.Title != "Slow incoming mail on mom" || after.Title != "Slow mail on mom" || changes[0].Actor != "user:erin" {
		t.Errorf("change: %s by %s: %q → %q", changes[0].Action, changes[0].Actor, before.Title, after.Title)
	}
	_ = store.ErrNotFound
}
