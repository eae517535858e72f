package notify_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestRepeatsOncePerIntervalAcrossInstances runs two notifiers on one
// database (two instances) through a seeded schedule of clock steps, each
// step one instance queueing repeats and one draining the queue. The
// invariants: the channel that repeats gets the incident's alert again
// once for each interval boundary some instance saw while it was open (no
// boundary twice, no backlog after a gap), nothing after it is resolved;
// the channel without repeat never gets one.
func TestRepeatsOncePerIntervalAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, seed := range []uint64{1, 2, 3} {
			e := setup(t, b, notify.Options{AllowAddrs: loopback})
			ctx := t.Context()
			loud, quiet := newToolServer(t, 0), newToolServer(t, 0)
			e.cfg.Channels = []config.Channel{
				{Name: "loud", Type: "ntfy", URL: loud.URL + "/ops", Repeat: config.Duration(30 * time.Minute)},
				{Name: "quiet", Type: "ntfy", URL: quiet.URL + "/ops"},
			}
			if err := e.n.SyncChannels(ctx, *e.cfg, nil); err != nil {
				t.Fatal(err)
			}
			other, remove, err := notify.New(ctx, e.st, e.svc, func() config.Config { return *e.cfg }, nil,
				notify.Options{AllowAddrs: loopback, Clock: e.clock, BackoffBase: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer remove()
			inst := []*notify.Notifier{e.n, other}
			in, err := e.svc.OpenIncident(ctx, "user:alice", service.NewIncident{Title: "flexo/web down", Status: status.Investigating,
				Body: "Looking.", Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
			if err != nil {
				t.Fatal(err)
			}
			opened := e.clock.Now()
			rng := rand.New(rand.NewPCG(seed, 99))
			seen := map[int]bool{} // interval boundaries an instance looked at while open
			resolved := false
			for step := 0; step < 40; step++ {
				e.clock.Add(time.Duration(1+rng.IntN(50)) * time.Minute)
				if step == 30 {
					if _, err := e.svc.ResolveIncident(ctx, "user:alice", in.ID, service.Resolution{Body: "Fixed."}); err != nil {
						t.Fatal(err)
					}
					resolved = true
				}
				for range 1 + rng.IntN(2) {
					if _, err := inst[rng.IntN(2)].QueueRepeats(ctx); err != nil {
						t.Fatal(err)
					}
					if k := int(e.clock.Now().Sub(opened) / (30 * time.Minute)); !resolved && k >= 1 {
						seen[k] = true
					}
				}
				for {
					k, err := inst[rng.IntN(2)].ProcessBatch(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					if k == 0 {
						break
					}
				}
			}
			repeats := 0
			for _, c := range loud.got() {
				if title, _ := dig(c.body, "title").(string); strings.HasPrefix(title, "Still open: ") {
					repeats++
				}
			}
			if repeats != len(seen) {
				t.Errorf("seed %d: the repeating channel got %d repeats; want %d, one per interval boundary seen open", seed, repeats, len(seen))
			}
			if n := len(loud.got()); n != repeats+2 {
				t.Errorf("seed %d: the repeating channel got %d messages; want the opening, %d repeats, the resolution", seed, n, repeats)
			}
			if n := len(quiet.got()); n != 2 {
				t.Errorf("seed %d: the channel without repeat got %d messages; want 2", seed, n)
			}
			dl, err := e.st.Deliveries(ctx, store.DeliveryFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range dl {
				if d.State != store.DeliverySent {
					t.Errorf("seed %d: delivery %d is %s", seed, d.ID, d.State)
				}
			}
		}
	})
}
