package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrDuplicate is returned when a record with the same unique name exists.
var ErrDuplicate = errors.New("already exists")

// User is an operator who signs in to the admin pages. Only a password hash is kept.
type User struct {
	ID           int64
	Name         string
	Role         string // admin, editor or viewer
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DisabledAt   time.Time // zero while the account may sign in
	LastLoginAt  time.Time
	// TOTPSecret is the base32 key of the user's second factor, "" if none;
	// TOTPStep is the last time step whose code was accepted.
	TOTPSecret string
	TOTPStep   int64
	// SSOIssuer and SSOSubject name the account at an OpenID provider for a
	// user who signs in through it; both "" for a local account.
	SSOIssuer, SSOSubject string
}

// SSO reports whether the user signs in through an OpenID provider.
func (u *User) SSO() bool { return u.SSOSubject != "" }

const userColumns = `id, name, role, password_hash, created_at, updated_at, disabled_at, last_login_at, totp_secret, totp_step, sso_issuer, sso_subject`

// InsertUser stores a new user and sets its ID; a taken name is ErrDuplicate.
func (q *Queries) InsertUser(ctx context.Context, u *User) error {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE name = ?`, u.Name).Scan(&n); err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("user %q: %w", u.Name, ErrDuplicate)
	}
	id, err := q.insertID(ctx, `INSERT INTO users (name, role, password_hash, created_at, updated_at, disabled_at, last_login_at,
		totp_secret, totp_step, sso_issuer, sso_subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.Role, u.PasswordHash, u.CreatedAt.UnixMilli(), u.UpdatedAt.UnixMilli(), ms(u.DisabledAt), ms(u.LastLoginAt),
		u.TOTPSecret, u.TOTPStep, u.SSOIssuer, u.SSOSubject)
	if err != nil {
		// Two instances adding one name at once: the unique index decides.
		if strings.Contains(strings.ToLower(err.Error()), "unique") {
			return fmt.Errorf("user %q: %w", u.Name, ErrDuplicate)
		}
		return fmt.Errorf("insert user: %w", err)
	}
	u.ID = id
	return nil
}

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var (
		u                 User
		created, updated  int64
		disabled, lastLog sql.NullInt64
	)
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &created, &updated, &disabled, &lastLog,
		&u.TOTPSecret, &u.TOTPStep, &u.SSOIssuer, &u.SSOSubject); err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	u.DisabledAt, u.LastLoginAt = fromMS(disabled), fromMS(lastLog)
	return u, nil
}

func (q *Queries) oneUser(ctx context.Context, what, where string, arg any) (*User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %v: %w", what, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &u, nil
}

// UserByName finds a user by name, disabled ones included.
func (q *Queries) UserByName(ctx context.Context, name string) (*User, error) {
	return q.oneUser(ctx, fmt.Sprintf("%q", name), `name = ?`, name)
}

// UserBySSO finds the user an OpenID provider's subject signs in as.
func (q *Queries) UserBySSO(ctx context.Context, issuer, subject string) (*User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE sso_issuer = ? AND sso_subject = ?`, issuer, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user of %s at %s: %w", subject, issuer, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &u, nil
}

// UserByID finds a user by id, disabled ones included.
func (q *Queries) UserByID(ctx context.Context, id int64) (*User, error) {
	return q.oneUser(ctx, fmt.Sprint(id), `id = ?`, id)
}

// Users lists every user by name.
func (q *Queries) Users(ctx context.Context) ([]User, error) {
	rows, err := q.query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var out []User
	err = eachRow(rows, func() error {
		u, err := scanUser(rows)
		if err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// SaveUser writes a user's role, password hash, disabled and last-login
// times and second factor back; the name and the SSO identity never change.
func (q *Queries) SaveUser(ctx context.Context, u *User) error {
	res, err := q.exec(ctx, `UPDATE users SET role = ?, password_hash = ?, updated_at = ?, disabled_at = ?, last_login_at = ?,
		totp_secret = ?, totp_step = ? WHERE id = ?`,
		u.Role, u.PasswordHash, u.UpdatedAt.UnixMilli(), ms(u.DisabledAt), ms(u.LastLoginAt), u.TOTPSecret, u.TOTPStep, u.ID)
	if err != nil {
		return fmt.Errorf("save user: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("user %d: %w", u.ID, ErrNotFound)
	}
	return nil
}

// LockUser holds a user against concurrent changes until the transaction ends.
func (q *Queries) LockUser(ctx context.Context, id int64) error {
	return q.lockRow(ctx, "users", id)
}

// CountUsers counts the users with a role that may still sign in; role "" counts every role.
func (q *Queries) CountUsers(ctx context.Context, role string) (int, error) {
	query, args := `SELECT COUNT(*) FROM users WHERE disabled_at IS NULL`, []any{}
	if role != "" {
		query += ` AND role = ?`
		args = append(args, role)
	}
	var n int
	if err := q.queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
