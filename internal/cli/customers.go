package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/web"
)

// customersCommands are the subcommands of herald customers.
func customersCommands() map[string]command {
	return map[string]command{
		"import": {summary: "import domain,group rows from a CSV file (idempotent; all or nothing)", run: runCustomersImport},
	}
}

func runCustomersImport(ctx context.Context, env *Env, args []string) error {
	var (
		dsn     store.DSN
		cfgPath string
		quiet   bool
	)
	fs := newFlags(env, "customers import", "customers import FILE.csv [--config FILE] [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	fs.StringVar(&cfgPath, "config", "", "take the known groups from this configuration instead of the database")
	fs.BoolVar(&quiet, "quiet", false, "no progress display")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one CSV file of domain,group rows")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	groups := map[string]bool{}
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return fmt.Errorf("configuration not valid:\n%w", err)
		}
		for _, g := range cfg.Groups {
			groups[g.ID] = true
		}
	} else {
		gs, err := st.Groups(ctx)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if g.RemovedAt.IsZero() {
				groups[g.ID] = true
			}
		}
	}
	if len(groups) == 0 {
		return errors.New("no groups are known: run herald serve once with the configuration, or pass --config FILE")
	}

	cr := &countingReader{r: f}
	start := time.Now()
	var last time.Time
	progress := func(rows int) {
		if quiet || time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		pct := 100.0
		if info.Size() > 0 {
			pct = 100 * float64(cr.n.Load()) / float64(info.Size())
		}
		fmt.Fprintf(env.Stderr, "\rimporting %s  %5.1f%%  %d rows  %.1fs ", bar(pct, 30), pct, rows, time.Since(start).Seconds())
	}
	svc := service.New(st, service.SystemClock{}, nil)
	res, err := customers.New(st, svc).Import(ctx, "cli", cr, customers.ImportOptions{Groups: groups, Progress: progress})
	if !quiet {
		last = time.Time{}
		progress(res.Rows)
		fmt.Fprintln(env.Stderr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %d rows (%d domains) in %.1fs\n", res.Rows, res.Domains, time.Since(start).Seconds())
	return nil
}

func bar(pct float64, width int) string {
	full := int(pct / 100 * float64(width))
	b := make([]byte, 0, width+2)
	b = append(b, '[')
	for i := range width {
		if i < full {
			b = append(b, '#')
		} else {
			b = append(b, '.')
		}
	}
	return string(append(b, ']'))
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// startNotify builds the notifier, the customer directory and their pages
// and API routes, for serve.
func startNotify(ctx context.Context, env *Env, st *store.Store, svc *service.Service, cfg func() config.Config,
	log *slog.Logger, o serveOptions, admin *api.Admin, mux *routeMux, refusals *refusal.Log) (*notify.Notifier, func(), error) {
	n, unhook, err := notify.New(ctx, st, svc, cfg, log, o.notify)
	if err != nil {
		return nil, nil, fmt.Errorf("notifications: %w", err)
	}
	// On a database that takes no writes yet, serve stores them once it does.
	if st.WritesRefused() == nil {
		if err := n.SyncChannels(ctx, cfg(), env.Getenv); err != nil {
			unhook()
			return nil, nil, fmt.Errorf("operator alert channels: %w", err)
		}
	}
	dir := customers.New(st, svc)
	admin.RegisterNotify(mux, n, dir)
	web.NewSubscriptions(svc, cfg, n, dir, log, nil).WithRefusals(refusals).Register(mux)
	return n, unhook, nil
}

func addPrefix(to *[]netip.Prefix, v string) error {
	for _, part := range strings.Split(v, ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("%q is not a CIDR range like 127.0.0.0/8", part)
		}
		*to = append(*to, p)
	}
	return nil
}

// syncChannels brings the operator alert channels in line with a reloaded
// configuration; a failure is logged and the previous channels stay.
func syncChannels(ctx context.Context, env *Env, n *notify.Notifier, cfg config.Config, log *slog.Logger) {
	if err := n.SyncChannels(ctx, cfg, env.Getenv); err != nil {
		log.Error("operator alert channels not updated", slog.Any("err", err))
	}
}
