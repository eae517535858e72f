package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/report"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

func runReport(ctx context.Context, env *Env, args []string) error {
	var (
		dsn                                store.DSN
		from, to, comp, server, cust, zone string
		format, table, cfgPath             string
	)
	fs := newFlags(env, "report", "report --from YYYY-MM-DD --to YYYY-MM-DD [--component ID | --server ID | --customer DOMAIN] [--format csv|json|html] [--config FILE] [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	fs.StringVar(&from, "from", "", "first day of the report (YYYY-MM-DD, in the page's zone); required")
	fs.StringVar(&to, "to", "", "last day of the report, included (YYYY-MM-DD); required")
	fs.StringVar(&comp, "component", "", "report on one component (flexo/web)")
	fs.StringVar(&server, "server", "", "report on one server (a group id: flexo)")
	fs.StringVar(&cust, "customer", "", "report on the server of a customer's domain (example.com)")
	fs.StringVar(&format, "format", report.FormatJSON, "csv, json or html (html prints on A4)")
	fs.StringVar(&table, "table", "", "for csv: uptime (default), outages or maintenance")
	fs.StringVar(&cfgPath, "config", "", "configuration file: the page's zone and title, and maintenance.exclude_from_uptime")
	fs.StringVar(&zone, "zone", "", "time zone the days are read in (IANA name); default the configuration's, else UTC")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	opts := report.Options{Format: format, Table: table}
	loc, exclude := time.UTC, false
	zoneName := config.ZoneName(loc)
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return fmt.Errorf("configuration not valid:\n%w", err)
		}
		loc, exclude = cfg.Location(), cfg.Maintenance.ExcludeFromUptime
		zoneName, opts.Title = config.ZoneName(loc), cfg.Page.Title
	}
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return usagef("--zone %q is not a time zone name (like Europe/Berlin)", zone)
		}
		loc, zoneName = l, config.ZoneName(l)
	}
	if cfgPath == "" && zone == "" && format == report.FormatHTML {
		fmt.Fprintln(env.Stderr, "herald report: days run midnight to midnight UTC; pass --config FILE (or --zone) for the page's zone")
	}
	opts.Zone = zoneName
	ask := report.Ask{From: from, To: to, Component: comp, Server: server, Customer: cust, Format: format, Table: table}
	// Mistakes in the flags are found before the database is opened.
	early := ask
	early.Customer = "" // looked up once the database is open
	if _, err := early.Request(ctx, loc, exclude, nil); err != nil {
		var ae *report.AskError
		if errors.As(err, &ae) {
			return usageError{ae.Msg}
		}
		return err
	}

	st, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := service.New(st, service.SystemClock{}, nil)
	if err := svc.ReloadCatalog(ctx); err != nil {
		return err
	}
	req, err := ask.Request(ctx, loc, exclude, customers.New(st, svc))
	if ae := (*report.AskError)(nil); errors.As(err, &ae) {
		return usageError{ae.Msg}
	} else if err != nil {
		return err
	}
	rep, err := svc.Report(ctx, req)
	if err != nil {
		return err
	}
	return report.Write(env.Stdout, rep, opts)
}
