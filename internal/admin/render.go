package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/words"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// statics are the stylesheet and script, served under names that carry a
// hash of their content so that browsers may cache them for good.
type statics struct {
	byName map[string]staticFile // "admin.3f2a9c1b.css"
	url    map[string]string     // "admin.css" -> "/admin/static/admin.3f2a9c1b.css"
}

type staticFile struct {
	body        []byte
	contentType string
}

func loadStatics() (*statics, error) {
	s := &statics{byName: map[string]staticFile{}, url: map[string]string{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, err
		}
		if path.Ext(e.Name()) == ".css" {
			// The status colours have one home, internal/status.
			body = append([]byte(status.PaletteCSS()), body...)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := "text/css; charset=utf-8"
		if ext == ".js" {
			ct = "text/javascript; charset=utf-8"
		}
		s.byName[hashed] = staticFile{body: body, contentType: ct}
		s.url[e.Name()] = "/admin/static/" + hashed
	}
	return s, nil
}

func (a *Admin) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := a.static.byName[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(f.body)
}

// layoutData is what every page gets.
type layoutData struct {
	Title     string
	Section   string
	SiteTitle string
	CSS, JS   string
	User      string
	Role      string
	CanEdit   bool
	IsAdmin   bool
	Notice    string
	Zone      string
	Main      any
}

func (a *Admin) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"compKind":   status.ComponentStatus.Kind,
		"indKind":    status.Indicator.Kind,
		"impactKind": status.Impact.Kind,
		"incKind":    status.IncidentStatus.Kind,
		"maintKind":  status.MaintenanceStatus.Kind,
		"stateKind":  func(s string) string { return status.MonitorState(s).Kind() },
		"stateLabel": func(s string) string { return status.MonitorState(s).Label() },
		"outageKind": outageKind,
		"agentKind":  agentKind,
		"agentLabel": agentLabel,
		"upper1":     upper1,
		"join":       strings.Join,
		"ms":         words.Latency,
	}
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		body, err := templateFS.ReadFile("templates/" + e.Name())
		if err != nil {
			return nil, err
		}
		t := template.New(name).Funcs(funcs).Funcs(a.timeFuncs(config.Config{}))
		if _, err := t.Parse(string(layout)); err != nil {
			return nil, fmt.Errorf("layout: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		pages[name] = t
	}
	return pages, nil
}

// timeFuncs show times in the page's zone, as the public page does.
func (a *Admin) timeFuncs(cfg config.Config) template.FuncMap {
	loc := cfg.Location()
	zone := config.ZoneName(loc)
	now := time.Time{}
	if a.Service != nil {
		now = a.now()
	}
	return template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return words.When(t, now, loc, zone)
		},
		"short": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return words.Day(t, now, loc) + ", " + words.Clock(t, loc)
		},
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			d := now.Sub(t)
			if d < time.Minute {
				return "just now"
			}
			return words.Duration(d.Truncate(time.Minute)) + " ago"
		},
		// span is a window as briefly as it reads clearly: "Today, 11:00 to 11:05 PM".
		"span": func(a, b time.Time) string {
			if b.IsZero() {
				return words.Day(a, now, loc) + ", " + words.Clock(a, loc)
			}
			s := words.Span{Start: a, End: b}
			if words.SameDay(a.In(loc), b.In(loc)) {
				return words.Day(a, now, loc) + ", " + s.Range(loc, now)
			}
			return words.Day(a, now, loc) + ", " + s.Clock(a, loc) + " to " + words.Day(b, now, loc) + ", " + s.Clock(b, loc)
		},
		// interval is an incident's line as its public page and the
		// command line show it: "Today, 9:48 to 9:52 AM Pacific time ·
		// four minutes".
		"interval": func(a, b time.Time) string { return words.Interval(a, b, now, loc, zone) },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"local":    func(t time.Time) string { return t.In(loc).Format("2006-01-02T15:04") },
		// Replaced per request with the signed-in user's rights.
		"canEdit": func() bool { return false },
		"isAdmin": func() bool { return false },
	}
}

// render writes a page inside the layout.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, s *session, code int, page, title, section string, main any) {
	t, ok := a.pages[page]
	if !ok {
		a.Log.Error("admin: no such template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	cfg := a.Config()
	d := layoutData{Title: title, Section: section, SiteTitle: cfg.Page.Title, CSS: a.static.url["admin.css"],
		JS: a.static.url["admin.js"], Zone: config.ZoneName(cfg.Location()), Main: main}
	if s != nil {
		d.User, d.Role, d.CanEdit, d.IsAdmin = s.User.Name, string(s.Role), s.Role.CanEdit(), s.Role.CanManageUsers()
	}
	if n, ok := notices[r.URL.Query().Get("done")]; ok && code < 300 {
		d.Notice = n
	}
	t, err := t.Clone()
	if err == nil {
		fm := a.timeFuncs(cfg)
		fm["canEdit"] = func() bool { return d.CanEdit }
		fm["isAdmin"] = func() bool { return d.IsAdmin }
		t = t.Funcs(fm)
	}
	var buf bytes.Buffer
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", d)
	}
	if err != nil {
		a.Log.Error("admin: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// outageKind is an outage's kind (status.OutageKind) from the screen's view of it.
func outageKind(down, inMaintenance bool) string {
	sev := status.MonitorDegraded
	if down {
		sev = status.MonitorDown
	}
	return status.OutageKind(sev, inMaintenance)
}

// latency reads like a person would say it: "12 ms", "4.1 s".
func upper1(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
