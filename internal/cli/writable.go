package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// Serving without writes. Herald serves its page whenever it can read its
// database: on a PostgreSQL hot standby, and on SQLite whose disk is full or
// read-only. It then refuses every write with the reason (the store's gate,
// store/writable.go), runs nothing that writes (monitors, decisions,
// notifications, the maintenance clock, sign-in upkeep) and does not migrate.
// It looks again every writableEvery: once the standby is promoted or the
// disk takes a write, it migrates if needed, opens the gate and starts what
// writes, without a restart.

// writableEvery is how often a Herald that takes no writes looks whether it can.
const writableEvery = 2 * time.Second

// writeMode is why a serving Herald takes no writes, if it does not.
type writeMode struct {
	st  *store.Store
	log *slog.Logger
	// standby is true on a PostgreSQL hot standby; otherwise the disk is the trouble.
	standby bool
}

// openForServe opens and migrates the database for serve, or, when it can
// only be read, opens it to read with writes refused and says why in the log.
func openForServe(ctx context.Context, dsn store.DSN, log *slog.Logger) (*store.Store, *writeMode, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		reason, disk := store.DiskTrouble(dsn.DataDir, err)
		if !disk || dsn.URL != "" {
			return nil, nil, err
		}
		ro, roErr := store.OpenReadOnly(ctx, dsn, reason+"; Herald serves its pages read-only until it can write again")
		if roErr != nil {
			return nil, nil, fmt.Errorf("%w (and it cannot be read either: %v)", err, roErr)
		}
		if err := schemaCurrent(ctx, ro, "the database cannot be written to ("+reason+")"); err != nil {
			ro.Close()
			return nil, nil, err
		}
		log.Error("the database cannot be opened for writing: serving the pages read-only and refusing every write until it can",
			slog.String("reason", reason), slog.Any("err", err))
		return ro, &writeMode{st: ro, log: log}, nil
	}
	m := &writeMode{st: st, log: log}
	standby, err := st.InRecovery(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if standby {
		m.standby = true
		if err := schemaCurrent(ctx, st, "the database is a read-only standby"); err != nil {
			st.Close()
			return nil, nil, err
		}
		st.RefuseWrites(store.ReasonStandby)
		log.Warn("the database is a read-only standby: serving the pages, refusing writes, running no monitors, decisions or notifications; Herald becomes a full instance when the database is promoted")
		return st, m, nil
	}
	applied, err := st.Migrate(ctx)
	if err == nil {
		err = st.ProbeWrites(ctx) // nothing to migrate writes nothing; a full disk shows here
	}
	if err != nil {
		reason, disk := store.DiskTrouble(dsn.DataDir, err)
		if !disk || st.Dialect() != store.SQLite {
			st.Close()
			return nil, nil, err
		}
		if err := schemaCurrent(ctx, st, "the database cannot be written to ("+reason+")"); err != nil {
			st.Close()
			return nil, nil, err
		}
		st.RefuseWrites(reason + "; Herald serves its pages read-only until it can write again")
		log.Error("the database takes no writes: serving the pages read-only and refusing every write until it does",
			slog.String("reason", reason), slog.Any("err", err))
		return st, m, nil
	}
	if len(applied) > 0 {
		log.Info("database migrated", slog.Any("versions", applied), slog.String("dialect", string(st.Dialect())))
	}
	return st, m, nil
}

// schemaCurrent refuses to serve from a database this Herald cannot
// migrate (why says why) whose schema is older than this build's.
func schemaCurrent(ctx context.Context, st *store.Store, why string) error {
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	current, known, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current < known {
		return fmt.Errorf("%s, so it cannot be migrated, and its schema is at version %d while this Herald needs version %d: "+
			"run this Herald's version against the primary (or a writable disk) first, which migrates it, or run the Herald version that matches the database",
			why, current, known)
	}
	return nil
}

// whenWritable runs start now when the store takes writes. Otherwise it
// returns at once and runs start, from a goroutine in wg, once it does:
// when the standby is promoted or the disk takes a write again (migrating
// first if needed); then start gets the background work's context and later.
func (m *writeMode) whenWritable(ctx, work context.Context, wg *sync.WaitGroup, start func(ctx context.Context, later bool) error) error {
	if m.st.WritesRefused() == nil {
		return start(ctx, false)
	}
	wg.Go(func() {
		t := time.NewTicker(writableEvery)
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
			}
			if !m.becameWritable(work) {
				continue
			}
			if err := start(work, true); err != nil && work.Err() == nil {
				m.log.Error("the database takes writes again, but what writes could not start; restart Herald", slog.Any("err", err))
			}
			return
		}
	})
	return nil
}

// becameWritable looks once whether the database takes writes now, and if
// so migrates it and opens the gate.
func (m *writeMode) becameWritable(ctx context.Context) bool {
	if m.standby {
		rec, err := m.st.InRecovery(ctx)
		if err != nil || rec {
			return false
		}
	} else if err := m.st.TryWrites(ctx); err != nil {
		return false
	}
	refused := m.st.WritesRefused()
	m.st.AllowWrites()
	applied, err := m.st.Migrate(ctx)
	if err != nil {
		var was *store.RefusedError
		if errors.As(refused, &was) {
			m.st.RefuseWrites(was.Reason)
		}
		m.log.Error("the database takes writes again, but migrating it failed; trying again", slog.Any("err", err))
		return false
	}
	if len(applied) > 0 {
		m.log.Info("database migrated", slog.Any("versions", applied), slog.String("dialect", string(m.st.Dialect())))
	}
	if m.standby {
		m.log.Info("the database was promoted: this Herald takes writes and runs its monitors, decisions and notifications now")
	} else {
		m.log.Info("the database takes writes again: this Herald takes writes and runs its monitors, decisions and notifications now")
	}
	return true
}

// catalog stores the configured groups and components, or, while the
// database takes no writes, reads those the primary stored.
func (m *writeMode) catalog(ctx context.Context, svc *service.Service, cfg config.Config) error {
	if m.st.WritesRefused() != nil {
		if err := svc.ReloadCatalog(ctx); err != nil {
			return fmt.Errorf("read the components: %w", err)
		}
		return nil
	}
	groups, comps := catalogOf(cfg)
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		return fmt.Errorf("store the configured components: %w", err)
	}
	return syncSeries(ctx, svc, cfg)
}
