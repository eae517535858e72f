package cli

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
)

// syncSeries gives the service the configuration's settings for recurring
// maintenance and stores the series it declares (maintenance.recurring).
func syncSeries(ctx context.Context, svc *service.Service, cfg config.Config) error {
	svc.SetAhead(cfg.Maintenance.Ahead.D())
	svc.SetZone(cfg.Page.Zone)
	want := make([]status.Series, 0, len(cfg.Maintenance.Recurring))
	for _, r := range cfg.Maintenance.Recurring {
		s, err := r.Series(cfg.Page.Zone)
		if err != nil { // validation saw it first
			return fmt.Errorf("recurring maintenance %q: %w", r.Title, err)
		}
		want = append(want, s)
	}
	if err := svc.SyncSeries(ctx, want); err != nil {
		return fmt.Errorf("store the recurring maintenance: %w", err)
	}
	return nil
}
