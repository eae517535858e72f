// Package web serves Herald's HTML pages.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

//go:embed templates/*.html
var templates embed.FS

// Public serves the public status page.
type Public struct {
	svc  *service.Service
	cfg  func() config.Config
	log  *slog.Logger
	tmpl *template.Template
}

// NewPublic parses the page templates; cfg returns the running configuration.
func NewPublic(svc *service.Service, cfg func() config.Config, log *slog.Logger) *Public {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Public{svc: svc, cfg: cfg, log: log,
		tmpl: template.Must(template.ParseFS(templates, "templates/*.html"))}
}

// Register adds the public routes to mux.
func (p *Public) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.index)
}

type groupView struct {
	store.Group
	Components []service.ComponentState
}

type indexView struct {
	Title, Description, Zone string
	Overall                  status.Overall
	Groups                   []groupView
	Open                     []status.Incident
	Active, Upcoming         []status.Maintenance
	Time                     func(time.Time) string
}

func (p *Public) index(w http.ResponseWriter, r *http.Request) {
	snap, err := p.svc.Snapshot(r.Context())
	if err != nil {
		p.log.Error("status page", slog.Any("err", err))
		http.Error(w, "The status page is temporarily unavailable.", http.StatusInternalServerError)
		return
	}
	cfg := p.cfg()
	loc := cfg.Location()
	zone := config.ZoneName(loc)
	v := indexView{
		Title: cfg.Page.Title, Description: cfg.Page.Description, Zone: zone, Overall: snap.Overall,
		Open: snap.Open, Active: snap.Active, Upcoming: snap.Upcoming,
		Time: func(t time.Time) string { return t.In(loc).Format("Mon Jan 2, 3:04 PM") + " " + zone },
	}
	for _, g := range snap.Groups {
		gv := groupView{Group: g}
		for _, c := range snap.Components {
			if c.GroupID == g.ID {
				gv.Components = append(gv.Components, c)
			}
		}
		v.Groups = append(v.Groups, gv)
	}
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, "index.html", v); err != nil {
		p.log.Error("render status page", slog.Any("err", err))
		http.Error(w, "The status page is temporarily unavailable.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	_, _ = w.Write(buf.Bytes())
}
