package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/peer"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/sso"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/systemd"
	"github.com/heraldhq/herald/internal/web"
)

// serveOptions are what `herald serve` and `herald demo` share.
type serveOptions struct {
	configPath string
	// configData, when set, is used instead of reading configPath (the demo's embedded file).
	configData []byte
	// adjust, when set, changes the configuration after it is read (the demo's banner).
	adjust func(*config.Config)
	dsn    store.DSN
	listen string
	// pprof, when set, is a loopback address for Go's profiles.
	pprof string
	// metricsListen, when set, serves /metrics there alone instead of on listen.
	metricsListen string
	// seed runs once after start-up, before the server answers (the demo's data).
	seed func(ctx context.Context, st *store.Store, svc *service.Service, addr string) error
	// started is called with the listening address once requests are answered.
	started func(addr string)
	// shutdownGrace bounds how long in-flight requests get on shutdown.
	shutdownGrace time.Duration
	// notify tunes the notifier (the webhook address allowlist).
	notify notify.Options
	// clock, when set, is the time Herald keeps (the demo's runs fast);
	// speed says how many times faster than the wall clock it runs.
	clock service.Clock
	speed int
	// upgrades makes SIGUSR2 hand the listeners to a new process (herald
	// serve only: tableflip allows one upgrader per process).
	upgrades bool
	// pidFile, when set, gets the pid of the process serving, written once it is ready.
	pidFile string
	// mirror is where copies of the public site are kept (--publish).
	mirror mirrorOptions
	// routes, when set, is given every pattern registered, once all are
	// (the OpenAPI test holds them against the description).
	routes func(patterns []string)
	// limits, when set, replace the HTTP servers' timeouts and sizes
	// (tests); wrapListener, when set, wraps each listener (tests count
	// the system calls of a connection with it).
	limits       *httpLimits
	wrapListener func(net.Listener) net.Listener
	// serving, when set, is told just before the listeners answer whether
	// the public documents show every change the start made (tests).
	serving func(showsStart bool)
}

func (o serveOptions) limitsOr() httpLimits {
	if o.limits != nil {
		return *o.limits
	}
	return defaultLimits
}

func storeFlags(fs interface {
	StringVar(*string, string, string, string)
}, dsn *store.DSN) {
	fs.StringVar(&dsn.DataDir, "data", "data", "data folder for the SQLite database (herald.db)")
	fs.StringVar(&dsn.URL, "db", "", "PostgreSQL URL (postgres://...) to use instead of SQLite")
}

func runServe(ctx context.Context, env *Env, args []string) error {
	var o serveOptions
	fs := newFlags(env, "serve", "serve --config FILE [--data DIR | --db postgres://...] [--listen 127.0.0.1:8080]")
	fs.StringVar(&o.configPath, "config", "", "configuration file (YAML); required")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.pidFile, "pid-file", "", "write the serving process's pid to this file once it is ready (it changes on SIGUSR2)")
	fs.StringVar(&o.pprof, "pprof", "", "also serve Go's profiles on this loopback address (e.g. 127.0.0.1:6060)")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "serve /metrics on this address alone instead of on --listen (e.g. 10.0.0.5:9090 on a monitoring network)")
	storeFlags(fs, &o.dsn)
	fs.Func("publish", "keep a static copy of the public site current in a folder, at rsync://user@host[:port]/path (over SSH) or at s3://bucket/prefix (repeatable)",
		func(v string) error { o.mirror.targets = append(o.mirror.targets, v); return nil })
	mirrorFlags(fs, &o.mirror)
	fs.Func("webhook-allow", "let subscriber webhooks reach this CIDR though private or loopback (repeatable; e.g. 127.0.0.0/8 for tests)",
		func(v string) error { return addPrefix(&o.notify.AllowAddrs, v) })
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if o.configPath == "" {
		return usagef("--config FILE is required (try examples/hosting.yaml)")
	}
	o.upgrades = true
	return serve(ctx, env, o)
}

// loadConfig reads the configuration from the file or the embedded bytes.
func (o serveOptions) loadConfig() (config.Config, error) {
	var (
		cfg config.Config
		err error
	)
	// The same checks as check-config, so serve lists the same problems.
	if o.configData != nil {
		cfg, err = config.ParseWith(o.configPath, o.configData, probeCheck)
	} else {
		cfg, err = config.LoadWith(o.configPath, probeCheck)
	}
	if err == nil && o.adjust != nil {
		o.adjust(&cfg)
	}
	return cfg, err
}

// catalogOf turns the configuration's groups into stored groups and components, in page order.
func catalogOf(cfg config.Config) ([]store.Group, []store.Component) {
	var (
		groups []store.Group
		comps  []store.Component
	)
	for gi, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Description: g.Description, Position: gi})
		for ci, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name,
				Description: c.Description, Position: ci})
		}
	}
	return groups, comps
}

// serve runs Herald until ctx ends: it wires every part by hand here, and
// tears them down in reverse order in one place.
func serve(ctx context.Context, env *Env, o serveOptions) error {
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if o.pprof != "" {
		stopPprof, err := servePprof(o.pprof, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	// SIGHUP and SIGUSR2 are caught from the start: left to their default
	// until the watchers run, one sent during start-up (or just after
	// /healthz first answers) would kill the server instead.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	usr2 := make(chan os.Signal, 1)
	signal.Notify(usr2, syscall.SIGUSR2)
	defer signal.Stop(usr2)
	restoreGC := startupGC(env.Getenv)
	defer restoreGC()
	cfg, err := o.loadConfig()
	if err != nil {
		return fmt.Errorf("configuration not valid:\n%w", err)
	}
	// Go's own pace again once every monitor has been checked once.
	gcPace := time.AfterFunc(startupRound(cfg.LongestRound()), restoreGC)
	defer gcPace.Stop()
	var current atomic.Pointer[config.Config]
	current.Store(&cfg)
	logWarnings(log, cfg)
	if err := checkMetricsToken(cfg, env.Getenv); err != nil {
		return err
	}
	if err := checkOIDCSecret(cfg, env.Getenv); err != nil {
		return err
	}

	// The sockets first (listen.go): from here on a connection waits in the
	// kernel's queue until the pages are built, instead of being refused.
	socks, err := openSockets(env, o)
	if err != nil {
		return err
	}
	defer socks.close()
	addrs := socks.addrs()
	log.Info("listening; answering once ready", slog.Any("addresses", addrs), slog.String("from", socks.from))

	fresh := newSQLite(o.dsn)
	if o.dsn.URL == "" {
		// Held until serve returns, after the database is closed: restore
		// refuses to replace a database a server has open.
		unlock, err := lockSQLiteShared(o.dsn.DataDir)
		if errors.Is(err, syscall.EROFS) {
			// A read-only disk (writable.go): no restore can replace the
			// database there either, and the page is served read-only.
			log.Warn("no lock on the data folder: its disk is read-only", slog.Any("err", err))
			unlock, err = func() {}, nil
		}
		if err != nil {
			return err
		}
		defer unlock()
	}
	// A database that can only be read (a standby, a disk in trouble) is
	// served read-only: see writable.go.
	st, wm, err := openForServe(ctx, o.dsn, log)
	if err != nil {
		return err
	}
	if fresh {
		// Said out loud: a serve pointed at the wrong folder starts empty,
		// and this line is how the operator finds out why.
		log.Info("created a new, empty SQLite database", slog.String("path", absPath(filepath.Join(o.dsn.DataDir, store.DBFile))))
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close database", slog.Any("err", err))
		}
	}()

	clock := o.clock
	if clock == nil {
		clock = service.SystemClock{}
	}
	// With several instances on one PostgreSQL, what must run once runs
	// under a lease (instances.go).
	shared := newInstances(st, log)
	o.notify.Once = shared.once
	svc := service.New(st, clock, log)
	svc.SetSettle(cfg.SettleFor())
	svc.SetLanguage(cfg.Page.Lang())
	if err := wm.catalog(ctx, svc, cfg); err != nil {
		return err
	}
	// Changes other processes make from here on reach the pages (follow.go).
	follower, err := svc.Follow(ctx)
	if err != nil {
		return fmt.Errorf("read the change log: %w", err)
	}

	mux := &routeMux{ServeMux: http.NewServeMux()}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	cfgNow := func() config.Config { return *current.Load() }
	// Refusals (rate limits, bad tokens, failed sign-ins) are logged once
	// per client per minute, however many there are.
	refusals := refusal.New(log, nil)
	adminAPI := api.NewAdmin(svc, log).WithConfig(cfgNow).WithRefusals(refusals, nil)
	adminAPI.Register(mux)
	site := web.NewSite(svc, cfgNow, log).WithCustomerSignIn(web.CustomerSignIn{Directory: customers.New(st, svc),
		Mail: notify.SMTP(cfgNow), Once: st.UseSignIn})
	defer site.WaitMail() // sign-in links being sent, before the database closes
	site.Register(mux)
	mux.Handle("GET /readyz", readiness(st, log))
	notifier, unhook, err := startNotify(ctx, env, st, svc, cfgNow, log, o, adminAPI, mux, refusals)
	if err != nil {
		return err
	}
	defer unhook()
	mon := newMonitoring(st, svc, cfgNow, log, o.speed, shared)
	if err := mon.check(cfg); err != nil {
		return fmt.Errorf("configuration not valid:\n%w", err)
	}
	gate := metricsGate{cfg: cfgNow, getenv: env.Getenv, refusals: refusals, separate: o.metricsListen != ""}
	if o.metricsListen != "" {
		listen := net.Listen
		if socks.upg != nil {
			listen = socks.upg.Listen // an upgrade hands it over with the others
		}
		stopMetrics, err := serveMetrics(ctx, o.metricsListen, listen, gate.wrap(mon.metrics()), log)
		if err != nil {
			return err
		}
		defer stopMetrics()
		mon.register(mux, nil)
	} else {
		mon.register(mux, gate.wrap(mon.metrics()))
	}
	accounts := auth.New(st, service.SystemClock{}, log, auth.Options{Refusals: refusals})
	located := newAgents(st, svc, notifier, cfgNow, log, mon)
	located.server.Register(mux)
	adminUI, err := admin.New(admin.Deps{Service: svc, Auth: accounts, Config: cfgNow, Database: string(st.Dialect()), Log: log,
		Monitoring: admin.EngineMonitoring{Engine: mon.engine, Store: st}, Subscribers: admin.StoreSubscribers{Store: st},
		Channels: notifier, Customers: customers.New(st, svc), SSO: sso.New(cfgNow, env.Getenv, nil)})
	if err != nil {
		return fmt.Errorf("admin pages: %w", err)
	}
	adminUI.Register(mux)
	if o.routes != nil {
		o.routes(slices.Clone(mux.patterns))
	}

	addr := addrs[0]
	if o.seed != nil {
		if err := o.seed(ctx, st, svc, addr); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	drain := newDrainer()
	// Every handler below finds the client's address with peer.From.
	clients := peer.Resolver{Proxies: func() []netip.Prefix { return current.Load().Server.Proxies() }}
	// The public documents are answered by fasthttp in front, the rest by
	// net/http (front.go), which sets the limits of both.
	srv := newFront(site, &http.Server{
		Handler:   drain.wrap(clients.Handler(site.Handler(consistentWrites(site, mux)))),
		ConnState: drain.track,
		ErrorLog:  slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, drain, log, o.limitsOr())

	// Background work: the maintenance clock and the reload watcher stop
	// when work is cancelled, and serve waits for them before closing the database.
	work, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		stopWork()
		wg.Wait()
	}()
	if err := site.Rebuild(ctx); err != nil {
		return fmt.Errorf("render the public documents: %w", err)
	}
	wg.Go(func() { site.Run(work) })
	if err := startMirrors(work, &wg, env, o.mirror, site, svc, cfgNow, log); err != nil {
		return err
	}
	wg.Go(func() { follower.Run(work, service.FollowEvery) })
	// What writes starts now, or once the database takes writes.
	err = wm.whenWritable(ctx, work, &wg, func(ctx context.Context, later bool) error {
		if later { // what a writable start stored earlier
			if err := wm.catalog(ctx, svc, cfgNow()); err != nil {
				return err
			}
			if err := notifier.SyncChannels(ctx, cfgNow(), env.Getenv); err != nil {
				return fmt.Errorf("operator alert channels: %w", err)
			}
		}
		wg.Go(func() { notifier.Run(work) })
		wg.Go(func() { shared.listen(work) })
		wg.Go(func() {
			shared.once(work, "maintenance-clock", func(ctx context.Context) { svc.RunClock(ctx, scaledTimer(o.speed)) })
		})
		if err := mon.start(ctx, work, &wg, cfgNow); err != nil {
			return err
		}
		wg.Go(func() { located.decider.Run(work) })
		wg.Go(func() { accounts.Run(work) })
		return nil
	})
	if err != nil {
		return err
	}
	wg.Go(func() { refusals.Run(work) })
	reloaded := func() { site.InvalidateAll(); syncChannels(work, env, notifier, cfgNow(), log) }
	wg.Go(func() { watchReload(work, log, hup, o, env.Getenv, &current, svc, mon, reloaded) })

	// Ready means the documents show what starting changed (the monitors'
	// first states above rendered after the first rebuild): the first
	// visitor reads what the second does, not a page that moves a moment
	// after the server said it serves.
	shownCtx, shownDone := context.WithTimeout(ctx, web.WriteWait)
	if !site.WaitShown(shownCtx, svc.Generation()) && ctx.Err() == nil {
		log.Warn("the public documents did not show the start's changes in time; serving them as they are", slog.Duration("waited", web.WriteWait))
	}
	shownDone()
	if o.serving != nil {
		now, cancel := context.WithCancel(ctx)
		cancel() // WaitShown then only says whether they do
		o.serving(site.WaitShown(now, svc.Generation()))
	}
	serveErr := make(chan error, len(socks.lns))
	for _, ln := range socks.lns {
		if o.wrapListener != nil {
			ln = o.wrapListener(ln)
		}
		go func() { serveErr <- srv.serve(ln) }()
	}
	log.Info("herald is serving", slog.String("url", "http://"+addr+"/"), slog.String("config", o.configPath),
		slog.String("database", string(st.Dialect())), slog.Int("pid", os.Getpid()))
	ready(log, env, socks)
	releaseSetup(env.Getenv)
	if o.started != nil {
		o.started(addr)
	}
	var handedOver <-chan struct{}
	if socks.upg != nil {
		handedOver = socks.upg.Exit()
	}
	wg.Go(func() { watchUpgrade(work, log, usr2, socks.upg) })
	if socks.upg != nil && socks.upg.HasParent() {
		wg.Go(func() {
			if err := socks.upg.WaitForParent(work); err == nil {
				log.Info("upgrade: the previous process has exited")
			}
		})
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
		log.Info("shutting down: finishing requests in flight")
		if err := systemd.Notify(env.Getenv("NOTIFY_SOCKET"), "STOPPING=1"); err != nil {
			log.Warn("tell the service manager", slog.Any("err", err))
		}
		if socks.upg != nil {
			// An upgrade under way is abandoned, its process stopped.
			socks.upg.Stop()
		}
	case <-handedOver:
		log.Info("handed over: finishing requests in flight, then exiting")
	}
	grace := o.shutdownGrace
	if grace == 0 {
		grace = 15 * time.Second
	}
	drain.drain(log, srv, socks.lns, serveErr, grace)
	log.Info("stopped")
	return nil
}

// ready tells whoever waits that this process serves: the process it
// replaces (which then drains), the PID file, and the service manager;
// after an upgrade, the manager learns that this is the main process now
// (with Type=notify, the unit needs NotifyAccess=all for that).
func ready(log *slog.Logger, env *Env, socks *sockets) {
	state := "READY=1"
	if socks.upg != nil && socks.upg.HasParent() {
		state = fmt.Sprintf("MAINPID=%d\nREADY=1", os.Getpid())
	}
	// The manager first, so it knows the new main process before the old one exits.
	if err := systemd.Notify(env.Getenv("NOTIFY_SOCKET"), state); err != nil {
		log.Warn("tell the service manager", slog.Any("err", err))
	}
	if socks.upg != nil {
		if err := socks.upg.Ready(); err != nil {
			log.Error("tell the previous process that this one is ready", slog.Any("err", err))
		}
	}
}

// consistentWrites makes writes through the admin API (which the CLI uses)
// and the admin screens answer once the public pages show them.
func consistentWrites(site *web.Site, mux http.Handler) http.Handler {
	writes := site.Consistent(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/api/v1/") || p == "/admin" || strings.HasPrefix(p, "/admin/") {
			writes.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// readiness answers /readyz. Ready means the public page can be served,
// and it can while the database is down: it is served from memory. So the
// answer is 200 as long as Herald runs, and its JSON body says beside it
// whether writes work: {"page": "ok", "writes": "ok"}, or "writes":
// "failing: <reason>" while the database is unreachable, read-only or full.
func readiness(st *store.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writes := "ok"
		if err := st.CheckWrites(r.Context()); err != nil {
			reason, ok := store.Unavailable(err)
			if !ok {
				reason = "the database refused a write"
			}
			writes = "failing: " + reason
			var refused *store.RefusedError
			if !errors.As(err, &refused) { // writes refused on purpose were logged once, at start
				log.Warn("readiness: the database takes no writes", slog.Any("err", err))
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]string{"page": "ok", "writes": writes})
	})
}

// logWarnings logs what the configuration asked for and Herald changed
// (an accent colour made readable), as check-config shows it.
func logWarnings(log *slog.Logger, cfg config.Config) {
	for _, w := range cfg.Warnings() {
		log.Warn("configuration changed to work", slog.String("problem", w.String()))
	}
}

// watchReload reloads the configuration on SIGHUP. A file that does not
// validate is logged and ignored: the running configuration keeps serving.
func watchReload(ctx context.Context, log *slog.Logger, hup <-chan os.Signal, o serveOptions, getenv func(string) string, current *atomic.Pointer[config.Config], svc *service.Service, mon *monitoring, reloaded func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := reload(ctx, o, getenv, current, svc, mon); err != nil {
			log.Error("configuration reload refused; still running the previous configuration", slog.Any("err", err))
			continue
		}
		reloaded()
		log.Info("configuration reloaded", slog.String("config", o.configPath))
		logWarnings(log, *current.Load())
	}
}

func reload(ctx context.Context, o serveOptions, getenv func(string) string, current *atomic.Pointer[config.Config], svc *service.Service, mon *monitoring) error {
	cfg, err := o.loadConfig()
	if err != nil {
		return err
	}
	// As at start: a token variable that is not set would lock everyone
	// out of /metrics without a word; refuse the file instead.
	if err := checkMetricsToken(cfg, getenv); err != nil {
		return err
	}
	if err := checkOIDCSecret(cfg, getenv); err != nil {
		return err
	}
	if err := mon.check(cfg); err != nil {
		return err
	}
	groups, comps := catalogOf(cfg)
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		return fmt.Errorf("store the configured components: %w", err)
	}
	if err := syncSeries(ctx, svc, cfg); err != nil {
		return err
	}
	current.Store(&cfg)
	svc.SetSettle(cfg.SettleFor())
	svc.SetLanguage(cfg.Page.Lang())
	// Monitors follow the catalog: a monitor's component must exist first.
	if err := mon.apply(ctx, cfg); err != nil {
		return fmt.Errorf("apply the monitors: %w", err)
	}
	return nil
}

// newSQLite reports whether opening dsn will create a new SQLite database.
func newSQLite(dsn store.DSN) bool {
	if dsn.URL != "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dsn.DataDir, store.DBFile))
	return errors.Is(err, os.ErrNotExist)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// openStore opens and migrates the database for a one-off command. The
// database must exist already: only serve, demo and migrate create one, so
// that a wrong or forgotten --data is an error rather than a new, empty
// database whose tokens and users the running server never sees.
func openStore(ctx context.Context, dsn store.DSN) (*store.Store, error) {
	st, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	var dsn store.DSN
	fs := newFlags(env, "migrate", "migrate [--data DIR | --db postgres://...]")
	storeFlags(fs, &dsn)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	current, _, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "schema is up to date (version %d)\n", current)
		return nil
	}
	fmt.Fprintf(env.Stdout, "applied %d migration(s); schema is at version %d\n", len(applied), current)
	return nil
}

// scaledTimer makes the maintenance clock's timers for a clock that runs
// speed times faster than the wall clock; nil (real timers) for speed 1.
func scaledTimer(speed int) service.Timer {
	if speed <= 1 {
		return nil
	}
	return func(d time.Duration) (<-chan time.Time, func() bool) {
		t := time.NewTimer(d / time.Duration(speed))
		return t.C, t.Stop
	}
}
