package service

import (
	"context"
	"errors"

	"github.com/heraldhq/herald/internal/store"
)

// ErrNoChange is returned by an Apply function that found nothing to change
// (an unsubscribe done twice): the transaction ends without a change log
// entry and Apply returns nil.
var ErrNoChange = errors.New("nothing changed")

// Changed is what an Apply function made: the subject of the change log
// entry ("subscriber:12") and the record before and after (nil for none), as
// the log should keep them: without secrets, and without what must not
// outlive the record (a subscriber's address).
type Changed struct {
	Subject       string
	Before, After any
}

// Apply makes a change whose rules live in another package (subscribers in
// notify, customers in customers) the way the service makes its own: fn
// writes through q, and the change log entry, with its actor, is written and
// the service's hooks run in the same transaction, so the change, its record
// and whatever the hooks queue commit together or not at all. Apply does not
// call the OnChange listeners: nothing it is used for is on the public page.
func (s *Service) Apply(ctx context.Context, actor, action string, fn func(q *store.Queries) (Changed, error)) error {
	now := s.Now()
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		c, err := fn(q)
		if err != nil {
			return err
		}
		return s.record(ctx, q, now, actor, action, c.Subject, c.Before, c.After)
	})
	if errors.Is(err, ErrNoChange) {
		return nil
	}
	return err
}
