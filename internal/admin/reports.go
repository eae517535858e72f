package admin

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/report"
	"github.com/heraldhq/herald/internal/service"
)

type reportsData struct {
	From, To    string
	Servers     []choice
	Components  []choice
	HasCustomer bool
	Error       string
}

type choice struct{ ID, Name string }

// reports is the form that asks for an SLA report; reportView writes it.
func (a *Admin) reports(w http.ResponseWriter, r *http.Request, s *session) error {
	a.renderReports(w, r, s, http.StatusOK, "")
	return nil
}

func (a *Admin) renderReports(w http.ResponseWriter, r *http.Request, s *session, code int, msg string) {
	loc := a.Config().Location()
	// Last calendar month by default: what an SLA is usually settled on.
	now := a.now().In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0)
	last := first.AddDate(0, 1, -1)
	d := reportsData{From: first.Format(time.DateOnly), To: last.Format(time.DateOnly), HasCustomer: a.Customers != nil, Error: msg}
	if q := r.URL.Query(); q.Get("from") != "" {
		d.From, d.To = q.Get("from"), q.Get("to")
	}
	cat := a.Service.Catalog()
	for _, g := range cat.Groups {
		if g.RemovedAt.IsZero() {
			d.Servers = append(d.Servers, choice{g.ID, g.Name})
		}
	}
	for _, c := range cat.Active() {
		d.Components = append(d.Components, choice{c.ID, c.ID + " · " + c.Name})
	}
	a.render(w, r, s, code, "reports", "Reports", "reports", d)
}

func (a *Admin) reportView(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	ask := report.Ask{From: q.Get("from"), To: q.Get("to"), Format: q.Get("format"), Customer: q.Get("customer")}
	if ask.Format == "" {
		ask.Format = report.FormatHTML
	}
	if ask.Format == report.FormatCSV {
		ask.Table = q.Get("table")
	}
	// One select names the scope: "", "server:flexo" or "component:flexo/web".
	scope := q.Get("scope")
	if id, ok := strings.CutPrefix(scope, "server:"); ok {
		ask.Server = id
	} else if id, ok := strings.CutPrefix(scope, "component:"); ok {
		ask.Component = id
	}
	if ask.Customer != "" {
		ask.Server, ask.Component = "", "" // the domain names the server
	}
	cfg := a.Config()
	loc := cfg.Location()
	req, err := ask.Request(r.Context(), loc, cfg.Maintenance.ExcludeFromUptime, a.Customers)
	if err == nil {
		var rep *service.Report
		if rep, err = a.Service.Report(r.Context(), req); err == nil {
			var buf bytes.Buffer
			if err = report.Write(&buf, rep, report.Options{Format: ask.Format, Table: ask.Table, Title: cfg.Page.Title,
				Zone: config.ZoneName(loc)}); err == nil {
				report.SetHeaders(w.Header(), rep, ask.Format)
				if ask.Format != report.FormatHTML {
					w.Header().Set("Content-Disposition", `attachment; filename="herald-report-`+ask.From+`-`+ask.To+`.`+ask.Format+`"`)
				}
				_, _ = w.Write(buf.Bytes())
				return nil
			}
		}
	}
	code, msg, ok := service.Safe(err)
	if !ok {
		return err
	}
	var ae *report.AskError
	if errors.As(err, &ae) || code == http.StatusNotFound {
		a.renderReports(w, r, s, code, msg)
		return nil
	}
	a.fail(w, r, s, code, msg)
	return nil
}
