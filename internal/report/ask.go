package report

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/service"
)

//go:embed report.css
var style string

// CSP is the Content-Security-Policy an HTML report is served with: its one
// inline stylesheet, by hash, and nothing else.
var CSP = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

func styleHash() string {
	sum := sha256.Sum256([]byte(style))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func styleCSS() template.CSS { return template.CSS(style) }

// Ask is a report asked for in words, as the command line, the API and the
// admin take it: dates as YYYY-MM-DD and at most one of component, server
// and customer (a domain, standing for its server).
type Ask struct {
	From, To                    string
	Component, Server, Customer string
	Format, Table               string
}

// AskError is a mistake in an Ask: the caller answers it as bad input.
type AskError struct{ Msg string }

func (e *AskError) Error() string { return e.Msg }

// ClientStatus is 400 Bad Request.
func (e *AskError) ClientStatus() int { return http.StatusBadRequest }

// Request checks an ask and turns it into the service's request, with days
// read in loc. A customer's domain is looked up in dir (nil: no customer
// list here); an unknown one is a service.NotFoundError.
func (a *Ask) Request(ctx context.Context, loc *time.Location, excludeMaintenance bool, dir *customers.Directory) (service.ReportRequest, error) {
	req := service.ReportRequest{Loc: loc, ExcludeMaintenance: excludeMaintenance, Component: a.Component, Server: a.Server}
	if a.Format == "" {
		a.Format = FormatJSON
	}
	if err := CheckFormat(a.Format, a.Table); err != nil {
		return req, &AskError{err.Error()}
	}
	scopes := 0
	for _, s := range []string{a.Component, a.Server, a.Customer} {
		if s != "" {
			scopes++
		}
	}
	if scopes > 1 {
		return req, &AskError{"give at most one of component, server and customer"}
	}
	var err error
	if req.From, err = date("from", a.From, loc); err != nil {
		return req, err
	}
	if req.To, err = date("to", a.To, loc); err != nil {
		return req, err
	}
	if req.To.Before(req.From) {
		return req, &AskError{fmt.Sprintf("to (%s) is before from (%s)", a.To, a.From)}
	}
	if days := int(req.To.Sub(req.From).Hours()/24+0.5) + 1; days > service.MaxReportDays {
		return req, &AskError{fmt.Sprintf("the range covers %d days; a report covers at most %d", days, service.MaxReportDays)}
	}
	if a.Customer != "" {
		if dir == nil {
			return req, &AskError{"there is no customer list here to look " + a.Customer + " up in"}
		}
		c, err := dir.Lookup(ctx, a.Customer)
		if errors.Is(err, customers.ErrUnknown) {
			return req, &service.NotFoundError{Msg: a.Customer + " is not in the customer list"}
		} else if err != nil {
			return req, err
		}
		req.Server = c.GroupID
	}
	return req, nil
}

func date(field, s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, &AskError{field + " is required (a date like 2026-11-01)"}
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil || d.Year() < 2000 || d.Year() > 9998 {
		return time.Time{}, &AskError{fmt.Sprintf("%s: %q is not a date like 2026-11-01", field, s)}
	}
	return d, nil
}

// SetHeaders sets the headers of a report answer in format: its type, a
// file name for downloads, and for HTML the policy its inline style needs.
func SetHeaders(h http.Header, rep *service.Report, format string) {
	h.Set("Content-Type", ContentType(format))
	h.Set("X-Content-Type-Options", "nosniff")
	if format != FormatJSON {
		h.Set("Content-Disposition", `inline; filename="herald-report-`+rep.From.Format(time.DateOnly)+"-"+rep.To.Format(time.DateOnly)+"."+format+`"`)
	}
	if format == FormatHTML {
		h.Set("Content-Security-Policy", CSP)
	}
}
