package service

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald/internal/store"
)

// Errors carry a message that is safe to show a client. Anything else is an
// internal failure whose details go to the log only. Safe is the one place
// an error becomes what a client is told; the admin API, the admin screens
// and the public forms all ask it.

// ClientError is a mistake of whoever asked: its message is safe to show
// them, and ClientStatus is the HTTP status it answers with. Packages with
// errors of their own shape (a refused import's list of lines, a malformed
// form) implement it instead of adding another mapping.
type ClientError interface {
	error
	ClientStatus() int
}

// InvalidError says a request is well-formed but not acceptable.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// ClientStatus is 422 Unprocessable Entity.
func (e *InvalidError) ClientStatus() int { return http.StatusUnprocessableEntity }

// ConflictError says a request clashes with the current state.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// ClientStatus is 409 Conflict.
func (e *ConflictError) ClientStatus() int { return http.StatusConflict }

// NotFoundError says the thing asked for does not exist.
type NotFoundError struct{ Msg string }

func (e *NotFoundError) Error() string { return e.Msg }

// ClientStatus is 404 Not Found.
func (e *NotFoundError) ClientStatus() int { return http.StatusNotFound }

// Safe says what a client may be told of err: the HTTP status and message of
// a client mistake, found anywhere in err's chain (so the wrapping context,
// which may name files or queries, is never shown), and ok. For anything else
// it returns 500, no message and !ok: the caller logs err and answers with
// its own plain words. A bare store.ErrNotFound is a 404 "not found". A
// database that is down, read-only or full is a 503 with the reason in plain
// words (store.Unavailable): nothing was changed, and trying again later
// may work; the caller logs err and may say when to retry. A write this
// Herald refuses on purpose (a read-only standby, a disk in trouble: see
// store.RefusedError) is a 503 too, with that reason.
func Safe(err error) (code int, msg string, ok bool) {
	var ce ClientError
	switch {
	case errors.As(err, &ce):
		return ce.ClientStatus(), ce.Error(), true
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found", true
	}
	var refused *store.RefusedError
	if errors.As(err, &refused) {
		return http.StatusServiceUnavailable, "Herald takes no writes here: " + refused.Reason + ". Nothing was changed.", true
	}
	if reason, down := store.Unavailable(err); down {
		return http.StatusServiceUnavailable, "Herald cannot use its database right now: " + reason + ". Nothing was changed; try again in a moment.", true
	}
	return http.StatusInternalServerError, "", false
}

func invalidf(format string, a ...any) error  { return &InvalidError{fmt.Sprintf(format, a...)} }
func conflictf(format string, a ...any) error { return &ConflictError{fmt.Sprintf(format, a...)} }

// Invalidf makes an InvalidError, for packages whose rules refuse a request.
func Invalidf(format string, a ...any) error { return invalidf(format, a...) }

// Conflictf makes a ConflictError.
func Conflictf(format string, a ...any) error { return conflictf(format, a...) }

// notFound turns the store's ErrNotFound into a client-safe error.
func notFound(err error, what string, id int64) error {
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{fmt.Sprintf("%s %d not found", what, id)}
	}
	return err
}
