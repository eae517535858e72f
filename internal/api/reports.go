package api

import (
	"bytes"
	"net/http"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/report"
)

// getReport answers GET /api/v1/reports: the SLA report herald report
// writes, for every server, one (server=flexo), one component
// (component=flexo/web) or a customer's server (customer=example.com).
func (h *Notify) getReport(w http.ResponseWriter, r *http.Request, _ string) error {
	q, err := strictQuery(r, "from", "to", "component", "server", "customer", "format", "table")
	if err != nil {
		return err
	}
	ask := report.Ask{From: q.Get("from"), To: q.Get("to"), Component: q.Get("component"), Server: q.Get("server"),
		Customer: q.Get("customer"), Format: q.Get("format"), Table: q.Get("table")}
	cfg := h.a.config()
	loc := cfg.Location()
	req, err := ask.Request(r.Context(), loc, cfg.Maintenance.ExcludeFromUptime, h.dir)
	if err != nil {
		return err
	}
	rep, err := h.a.svc.Report(r.Context(), req)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.Options{Format: ask.Format, Table: ask.Table, Title: cfg.Page.Title,
		Zone: config.ZoneName(loc)}); err != nil {
		return err
	}
	report.SetHeaders(w.Header(), rep, ask.Format)
	_, _ = w.Write(buf.Bytes())
	return nil
}
