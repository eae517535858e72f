package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/mirror"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/web"
)

// mirrorOptions are the targets of `herald serve --publish` and what the
// targets' addresses do not say.
type mirrorOptions struct {
	targets              []string
	sshKey, knownHosts   string
	s3Endpoint, s3Region string
}

// mirrorFlags adds the flags that say how to reach a target.
func mirrorFlags(fs *flag.FlagSet, o *mirrorOptions) {
	fs.StringVar(&o.sshKey, "mirror-ssh-key", "", "private key for rsync:// targets (ssh -i); default: ssh's own")
	fs.StringVar(&o.knownHosts, "mirror-known-hosts", "", "known_hosts file holding an rsync:// target's host key; default: ssh's own (the key is always checked)")
	fs.StringVar(&o.s3Endpoint, "mirror-s3-endpoint", "", "URL of the S3-compatible store for s3:// targets (default: Amazon S3); keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	fs.StringVar(&o.s3Region, "mirror-s3-region", "", "region of the S3 store (default: AWS_REGION, else us-east-1)")
}

// target makes the target spec names. An rsync:// target stages its copy
// in a folder of its own, which the returned function removes.
func (o mirrorOptions) target(env *Env, spec string) (mirror.Target, func(), error) {
	opts := mirror.Options{SSHKey: o.sshKey, KnownHosts: o.knownHosts, S3: mirror.S3Options{Endpoint: o.s3Endpoint,
		Region: o.s3Region, AccessKey: env.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: env.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: env.Getenv("AWS_SESSION_TOKEN")}}
	if opts.S3.Region == "" {
		opts.S3.Region = env.Getenv("AWS_REGION")
	}
	cleanup := func() {}
	if strings.HasPrefix(spec, "rsync://") {
		stage, err := os.MkdirTemp("", "herald-mirror-")
		if err != nil {
			return nil, nil, err
		}
		opts.Stage = stage
		cleanup = func() { os.RemoveAll(stage) }
	}
	t, err := mirror.Parse(spec, opts)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return t, cleanup, nil
}

func runPublish(ctx context.Context, env *Env, args []string) error {
	var (
		configPath, to string
		dsn            store.DSN
		mo             mirrorOptions
	)
	fs := newFlags(env, "publish", "publish --config FILE [--data DIR | --db postgres://...] --to FOLDER|rsync://user@host[:port]/path|s3://bucket/prefix")
	fs.StringVar(&configPath, "config", "", "configuration file (YAML); required")
	fs.StringVar(&to, "to", "", "where to put the copy: a folder, rsync://user@host[:port]/path (over SSH) or s3://bucket/prefix; required")
	storeFlags(fs, &dsn)
	mirrorFlags(fs, &mo)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case configPath == "":
		return usagef("--config FILE is required")
	case to == "":
		return usagef("--to FOLDER|rsync://…|s3://… is required")
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return fmt.Errorf("configuration not valid:\n%w", err)
	}
	target, cleanup, err := mo.target(env, to)
	if err != nil {
		return usagef("%s", err)
	}
	defer cleanup()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	// A copy reads; it never migrates or writes.
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := service.New(st, nil, log)
	if err := svc.ReloadCatalog(ctx); err != nil {
		return fmt.Errorf("read the components: %w", err)
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, log)
	if err := site.Rebuild(ctx); err != nil {
		return fmt.Errorf("render the public documents: %w", err)
	}
	madeAt := svc.Now()
	files, err := mirror.MakeAll(site.ServedAll(), cfg, madeAt)
	if err != nil {
		return err
	}
	if err := target.Publish(ctx, files); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "published %d files to %s; %s\n", len(files), target, web.CopyLine(madeAt, cfg.Location()))
	return nil
}

// startMirrors starts a publisher per --publish target, told after each
// rebuild of site. They stop when work ends, and each then removes its
// staging folder.
func startMirrors(work context.Context, wg *sync.WaitGroup, env *Env, o mirrorOptions, site *web.Site, svc *service.Service,
	cfg func() config.Config, log *slog.Logger) error {
	for _, spec := range o.targets {
		t, cleanup, err := o.target(env, spec)
		if err != nil {
			return fmt.Errorf("--publish %s: %w", spec, err)
		}
		p := mirror.NewPublisher(t, site, cfg, svc.Now, log)
		site.OnRebuilt(p.Notify)
		wg.Go(func() {
			defer cleanup()
			p.Run(work)
		})
		log.Info("mirror: keeping a copy of the public site", slog.String("target", t.String()))
	}
	return nil
}
