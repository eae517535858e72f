package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/words"
)

// Channels sends and reports the operator channels' test messages (the
// notifier); nil hides the test buttons.
type Channels interface {
	TestChannel(ctx context.Context, actor, name string) ([]store.DeliveryInfo, error)
	LastTest(ctx context.Context, name string) ([]store.DeliveryInfo, error)
}

// channelView is one configured channel on the settings screen, with how
// its latest test went.
type channelView struct {
	Name, Type, Repeat string
	Tests              []testView
}

type testView struct {
	Address, State, Error string
	At                    time.Time
}

// channelViews lists the configured channels and their latest tests.
func (a *Admin) channelViews(ctx context.Context) ([]channelView, error) {
	var out []channelView
	cfg := a.Config()
	loc := cfg.Location()
	for _, ch := range cfg.Channels {
		v := channelView{Name: ch.Name, Type: ch.Type}
		if r := ch.Repeat.D(); r > 0 {
			v.Repeat = words.Duration(r)
		}
		if a.Channels != nil {
			list, err := a.Channels.LastTest(ctx, ch.Name)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			for _, d := range list {
				at := d.CreatedAt
				if !d.SentAt.IsZero() {
					at = d.SentAt
				}
				v.Tests = append(v.Tests, testView{Address: redactURL(d.Address, true), State: d.State, Error: d.LastError, At: at.In(loc)})
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// channelTest queues a test message to one channel, for an editor.
func (a *Admin) channelTest(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := form(r, nil); err != nil {
		return err
	}
	if a.Channels == nil {
		a.fail(w, r, s, http.StatusNotFound, "Channels cannot be tested on this server.")
		return nil
	}
	if _, err := a.Channels.TestChannel(r.Context(), s.Actor, r.PathValue("name")); err != nil {
		return err
	}
	return done(w, r, "/admin/settings#channels", "testsent")
}
