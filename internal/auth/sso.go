package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// ErrSSODisabled says an account that signs in through single sign-on was
// disabled in Herald.
var ErrSSODisabled = errors.New("this account is disabled in Herald; ask an admin")

// SSOIdentity is who an OpenID provider says signed in, and the role
// Herald gives them from the provider's claim.
type SSOIdentity struct {
	Issuer, Subject string
	// Name is the provider's preferred_username or e-mail address: Herald's
	// user name is made from it when the account is first seen.
	Name string
	Role Role
}

// SSOFailed counts a single sign-on answer that did not check out (a
// forged state, a code the provider refused) against the client's limit,
// as a wrong password is: Admit then refuses a client that keeps sending
// them before Herald asks the provider anything.
func (m *Manager) SSOFailed(addr string) {
	m.guard.failure(clientKey(addr), m.now())
	m.refused(addr, "single sign-on failed")
}

// LoginSSO opens a session for someone an OpenID provider vouched for:
// their Herald account is found by issuer and subject, made on first
// sign-in, and given the role the provider's claim maps to each time.
// These accounts have no password here; the provider asks for any second
// factor.
func (m *Manager) LoginSSO(ctx context.Context, id SSOIdentity, addr, userAgent string) (string, *store.User, error) {
	if err := m.st.WritesRefused(); err != nil {
		return "", nil, err
	}
	if _, err := ParseRole(string(id.Role)); err != nil {
		return "", nil, err
	}
	if id.Issuer == "" || id.Subject == "" {
		return "", nil, errors.New("sso: issuer and subject are required")
	}
	now := m.now()
	var u *store.User
	err := m.st.Tx(ctx, func(q *store.Queries) error {
		found, err := q.UserBySSO(ctx, id.Issuer, id.Subject)
		switch {
		case errors.Is(err, store.ErrNotFound):
			u = &store.User{Role: string(id.Role), CreatedAt: now, UpdatedAt: now, SSOIssuer: id.Issuer, SSOSubject: id.Subject}
			if u.Name, err = freeName(ctx, q, id.Name); err != nil {
				return err
			}
			if err := q.InsertUser(ctx, u); err != nil {
				return err
			}
			return record(ctx, q, now, "user:"+u.Name, "user.create", u.ID, nil, view(u))
		case err != nil:
			return err
		}
		u = found
		if !u.DisabledAt.IsZero() {
			return ErrSSODisabled
		}
		if u.Role == string(id.Role) {
			return nil
		}
		if err := q.LockUser(ctx, u.ID); err != nil {
			return err
		}
		before := view(u)
		u.Role, u.UpdatedAt = string(id.Role), now
		if err := q.SaveUser(ctx, u); err != nil {
			return err
		}
		return record(ctx, q, now, "sso:"+id.Issuer, "user.role", u.ID, before, view(u))
	})
	if err != nil {
		if errors.Is(err, ErrSSODisabled) {
			m.refused(addr, "single sign-on: account disabled", slog.String("user", u.Name))
		}
		return "", nil, err
	}
	return m.openSession(ctx, u, addr, userAgent, "user.login.sso")
}

// freeName makes a Herald user name from what the provider calls someone:
// the part of an e-mail address before the @, lower-cased, other
// characters as '-', and a number after it if the name is taken (by a
// local account too: single sign-on never takes one over).
func freeName(ctx context.Context, q *store.Queries, hint string) (string, error) {
	hint, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(hint)), "@")
	base := strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, hint), ".-_")
	if len(base) > maxName-4 {
		base = base[:maxName-4]
	}
	if base == "" || CheckName(base) != nil {
		base = "sso"
	}
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		_, err := q.UserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", &service.ConflictError{Msg: fmt.Sprintf("no free user name for %q", hint)}
}
