package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// custom is a client error of another package's shape.
type custom struct{}

func (custom) Error() string     { return "line 3: the group is empty" }
func (custom) ClientStatus() int { return http.StatusUnprocessableEntity }

func TestSafe(t *testing.T) {
	internal := errors.New(`insert incident: pq: relation "incidents" does not exist at /var/lib/herald`)
	for _, tt := range []struct {
		name string
		err  error
		code int
		msg  string
		ok   bool
	}{
		{"invalid", service.Invalidf("a title is required"), http.StatusUnprocessableEntity, "a title is required", true},
		{"conflict", service.Conflictf("incident 4 is already resolved"), http.StatusConflict, "incident 4 is already resolved", true},
		{"not found", &service.NotFoundError{Msg: "incident 9 not found"}, http.StatusNotFound, "incident 9 not found", true},
		{"wrapped: only the safe part is told", fmt.Errorf("open incident in /srv/herald.db: %w", service.Invalidf("a title is required")),
			http.StatusUnprocessableEntity, "a title is required", true},
		{"another package's client error", fmt.Errorf("import: %w", custom{}), http.StatusUnprocessableEntity, "line 3: the group is empty", true},
		{"a bare store not-found", fmt.Errorf("subscriber 7: %w", store.ErrNotFound), http.StatusNotFound, "not found", true},
		{"the database gone: its reason in plain words, not its details", fmt.Errorf("insert incident in /srv/herald.db: %w", sql.ErrConnDone),
			http.StatusServiceUnavailable, "Herald cannot use its database right now: the connection to the database was lost. Nothing was changed; try again in a moment.", true},
		{"internal", internal, http.StatusInternalServerError, "", false},
		{"cancelled", context.Canceled, http.StatusInternalServerError, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, msg, ok := service.Safe(tt.err)
			if code != tt.code || msg != tt.msg || ok != tt.ok {
				t.Errorf("Safe = %d %q %v, want %d %q %v", code, msg, ok, tt.code, tt.msg, tt.ok)
			}
		})
	}
}
