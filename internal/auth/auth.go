// Package auth keeps the operators who sign in to /admin: their accounts and
// roles, argon2id password hashes, sessions stored in the database (so that
// several instances share them) and a limit on sign-in attempts. Every change
// to an account lands in the change log in the same transaction.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// Role is what a user may do.
type Role string

// Roles, from most to least trusted.
const (
	Admin  Role = "admin"  // everything, user accounts included
	Editor Role = "editor" // incidents and maintenance
	Viewer Role = "viewer" // reads only
)

// Roles lists every role.
var Roles = []Role{Admin, Editor, Viewer}

// ParseRole accepts a role word.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.TrimSpace(s)); r {
	case Admin, Editor, Viewer:
		return r, nil
	}
	return "", &service.InvalidError{Msg: fmt.Sprintf("unknown role %q (want admin, editor or viewer)", s)}
}

// CanEdit reports whether the role may change incidents and maintenance.
func (r Role) CanEdit() bool { return r == Admin || r == Editor }

// CanManageUsers reports whether the role may add, change and disable users.
func (r Role) CanManageUsers() bool { return r == Admin }

// Clock tells the time; tests pass a fake one.
type Clock interface{ Now() time.Time }

// Options tune sessions and the sign-in limit; zero fields take the defaults.
type Options struct {
	Params Params
	// IdleTimeout ends a session nobody used for this long (default 8 hours,
	// a night's on-call shift).
	IdleTimeout time.Duration
	// MaxAge ends any session this long after sign-in (default 3 days).
	MaxAge time.Duration
	// Sign-in limits (see guard): per user name and client, the first
	// FreeFailures failures are free, then each makes the pair wait
	// BaseDelay, doubling up to MaxDelay (defaults 3, 1s, 15 minutes); per
	// client, at most MaxFailuresPerAddress failures within LimitWindow
	// (defaults 10 and 15 minutes: each failure costs a password check,
	// tens of milliseconds of a core, so one address gets few).
	FreeFailures          int
	BaseDelay, MaxDelay   time.Duration
	MaxFailuresPerAddress int
	LimitWindow           time.Duration
	// Refusals logs refused and failed sign-ins, a line per client per
	// minute at most; nil: a Log of its own over the manager's logger.
	Refusals *refusal.Log
}

func (o *Options) defaults() {
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 8 * time.Hour
	}
	if o.MaxAge == 0 {
		o.MaxAge = 72 * time.Hour
	}
	if o.FreeFailures == 0 {
		o.FreeFailures = 3
	}
	if o.BaseDelay == 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay == 0 {
		o.MaxDelay = 15 * time.Minute
	}
	if o.MaxFailuresPerAddress == 0 {
		o.MaxFailuresPerAddress = 10
	}
	if o.LimitWindow == 0 {
		o.LimitWindow = 15 * time.Minute
	}
}

// Manager signs users in and keeps their accounts.
type Manager struct {
	st    *store.Store
	clock Clock
	log   *slog.Logger
	opts  Options
	guard *guard
	// dummy is checked against when a user does not exist, so that a wrong
	// name costs as long as a wrong password and names cannot be probed.
	dummy string
	// hashing holds a slot per password check running: they take tens of
	// milliseconds of CPU and ~19 MiB each, and the public page must keep
	// its cores while sign-ins are tried.
	hashing chan struct{}
}

// hashSlots is how many password checks run at once: half the cores, at least one.
func hashSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// New makes a manager over an open, migrated store.
func New(st *store.Store, clock Clock, log *slog.Logger, opts Options) *Manager {
	if clock == nil {
		clock = service.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.defaults()
	if opts.Refusals == nil {
		opts.Refusals = refusal.New(log, clock.Now)
	}
	return &Manager{st: st, clock: clock, log: log, opts: opts, guard: newGuard(opts), dummy: unmatchableHash(opts.Params),
		hashing: make(chan struct{}, hashSlots())}
}

func (m *Manager) now() time.Time { return m.clock.Now().UTC() }

// Limits on names and passwords.
const (
	maxName        = 64
	MinPassword    = 10
	maxPassword    = 1024
	maxUserAgent   = 300
	sessionIDBytes = 32
)

// CheckName validates a user name: 1 to 64 of a-z, 0-9, '.', '_', '-',
// starting with a letter or digit.
func CheckName(name string) error {
	if name == "" {
		return &service.InvalidError{Msg: "a user name is required"}
	}
	if len(name) > maxName {
		return &service.InvalidError{Msg: fmt.Sprintf("user name is too long (at most %d characters)", maxName)}
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '.' || r == '_' || r == '-')
		if !ok {
			return &service.InvalidError{Msg: "user names use lower-case letters, digits, '.', '_' and '-', and start with a letter or digit"}
		}
	}
	return nil
}

// CheckPasswordRules validates a new password.
func CheckPasswordRules(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return &service.InvalidError{Msg: "password is not valid UTF-8"}
	case utf8.RuneCountInString(pw) < MinPassword:
		return &service.InvalidError{Msg: fmt.Sprintf("password is too short (at least %d characters)", MinPassword)}
	case len(pw) > maxPassword:
		return &service.InvalidError{Msg: fmt.Sprintf("password is too long (at most %d bytes)", maxPassword)}
	case strings.TrimSpace(pw) != pw:
		return &service.InvalidError{Msg: "password starts or ends with a space (a copy-paste slip?)"}
	}
	return nil
}

// userView is what the change log keeps of an account: never the hash.
type userView struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
}

func view(u *store.User) *userView {
	if u == nil {
		return nil
	}
	return &userView{Name: u.Name, Role: u.Role, Disabled: !u.DisabledAt.IsZero()}
}

func record(ctx context.Context, q *store.Queries, at time.Time, actor, action string, id int64, before, after *userView) error {
	c := &store.Change{At: at, Actor: actor, Action: action, Subject: fmt.Sprintf("user:%d", id)}
	for _, p := range []struct {
		v   *userView
		dst *string
	}{{before, &c.Before}, {after, &c.After}} {
		if p.v == nil {
			continue
		}
		b, err := json.Marshal(p.v)
		if err != nil {
			return err
		}
		*p.dst = string(b)
	}
	return q.InsertChange(ctx, c)
}

// AddUser creates an account.
func (m *Manager) AddUser(ctx context.Context, actor, name string, role Role, password string) (*store.User, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	if err := CheckPasswordRules(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password, m.opts.Params)
	if err != nil {
		return nil, err
	}
	now := m.now()
	u := &store.User{Name: name, Role: string(role), PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err = m.st.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return &service.ConflictError{Msg: fmt.Sprintf("user %s already exists", name)}
			}
			return err
		}
		return record(ctx, q, now, actor, "user.create", u.ID, nil, view(u))
	})
	if err != nil {
		return nil, err
	}
	m.log.Info("user added", slog.String("user", name), slog.String("role", string(role)), slog.String("actor", actor))
	return u, nil
}

// changeUser runs fn on a locked user and records the change; fn reports
// whether the user's sessions must end (a new password, a disabled account).
func (m *Manager) changeUser(ctx context.Context, actor, action, name string, fn func(q *store.Queries, u *store.User) (bool, error)) (*store.User, error) {
	now := m.now()
	var out *store.User
	err := m.st.Tx(ctx, func(q *store.Queries) error {
		u, err := q.UserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return &service.NotFoundError{Msg: fmt.Sprintf("no user %s", name)}
		}
		if err != nil {
			return err
		}
		if err := q.LockUser(ctx, u.ID); err != nil {
			return err
		}
		before := view(u)
		endSessions, err := fn(q, u)
		if err != nil {
			return err
		}
		u.UpdatedAt = now
		if err := q.SaveUser(ctx, u); err != nil {
			return err
		}
		if endSessions {
			if _, err := q.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		out = u
		return record(ctx, q, now, actor, action, u.ID, before, view(u))
	})
	if err != nil {
		return nil, err
	}
	m.log.Info("user changed", slog.String("user", name), slog.String("action", action), slog.String("actor", actor))
	return out, nil
}

// keepAnAdmin refuses a change that would leave nobody able to manage users.
func keepAnAdmin(ctx context.Context, q *store.Queries, u *store.User) error {
	if u.Role != string(Admin) || !u.DisabledAt.IsZero() {
		return nil
	}
	n, err := q.CountUsers(ctx, string(Admin))
	if err != nil {
		return err
	}
	if n <= 1 {
		return &service.ConflictError{Msg: fmt.Sprintf("%s is the last admin who can sign in; make another admin first", u.Name)}
	}
	return nil
}

// SetPassword gives a user a new password and ends their sessions.
func (m *Manager) SetPassword(ctx context.Context, actor, name, password string) error {
	if err := CheckPasswordRules(password); err != nil {
		return err
	}
	hash, err := HashPassword(password, m.opts.Params)
	if err != nil {
		return err
	}
	_, err = m.changeUser(ctx, actor, "user.password", name, func(_ *store.Queries, u *store.User) (bool, error) {
		if u.SSO() {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s signs in through single sign-on and has no password here", name)}
		}
		u.PasswordHash = hash
		return true, nil
	})
	return err
}

// SetRole changes a user's role.
func (m *Manager) SetRole(ctx context.Context, actor, name string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	_, err := m.changeUser(ctx, actor, "user.role", name, func(q *store.Queries, u *store.User) (bool, error) {
		if u.Role == string(role) {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s is already %s", name, role)}
		}
		if role != Admin {
			if err := keepAnAdmin(ctx, q, u); err != nil {
				return false, err
			}
		}
		u.Role = string(role)
		return false, nil
	})
	return err
}

// Disable stops a user from signing in and ends their sessions at once.
func (m *Manager) Disable(ctx context.Context, actor, name string) error {
	_, err := m.changeUser(ctx, actor, "user.disable", name, func(q *store.Queries, u *store.User) (bool, error) {
		if !u.DisabledAt.IsZero() {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s is already disabled", name)}
		}
		if err := keepAnAdmin(ctx, q, u); err != nil {
			return false, err
		}
		u.DisabledAt = m.now()
		return true, nil
	})
	return err
}

// Enable lets a disabled user sign in again.
func (m *Manager) Enable(ctx context.Context, actor, name string) error {
	_, err := m.changeUser(ctx, actor, "user.enable", name, func(_ *store.Queries, u *store.User) (bool, error) {
		if u.DisabledAt.IsZero() {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s is not disabled", name)}
		}
		u.DisabledAt = time.Time{}
		return false, nil
	})
	return err
}

// Users lists every account by name.
func (m *Manager) Users(ctx context.Context) ([]store.User, error) { return m.st.Users(ctx) }

// ErrBadLogin is the one answer to a wrong name, a wrong password or a
// disabled account, so that none can be told apart.
var ErrBadLogin = errors.New("wrong user name or password")

// ErrNoSession is returned for a missing, unknown or expired session.
var ErrNoSession = errors.New("not signed in")

// LimitedError says sign-ins are paused for this client, or for this user
// name from this client.
type LimitedError struct{ Retry time.Duration }

func (e *LimitedError) Error() string {
	if e.Retry < time.Minute {
		secs := int((e.Retry + time.Second - 1) / time.Second)
		if secs <= 1 {
			return "too many failed sign-ins; try again in 1 second"
		}
		return fmt.Sprintf("too many failed sign-ins; try again in %d seconds", secs)
	}
	mins := int((e.Retry + time.Minute - 1) / time.Minute)
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	return fmt.Sprintf("too many failed sign-ins; try again in %d %s", mins, unit)
}

// Admit is the sign-in limit that needs nothing but the client address:
// callers ask it before reading the request's body, so a flood of refused
// attempts costs neither parsing nor a password hash. It returns a
// *LimitedError, or nil.
func (m *Manager) Admit(addr string) error {
	if retry := m.guard.admitClient(clientKey(addr), m.now()); retry > 0 {
		m.refused(addr, "sign-in: rate limited")
		return &LimitedError{Retry: retry}
	}
	return nil
}

func (m *Manager) refused(addr, kind string, attrs ...slog.Attr) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(addr); err2 == nil {
			a = ap.Addr()
		}
	}
	m.opts.Refusals.Note(a, kind, attrs...)
}

// Login checks a name and password and opens a session, returning the
// cookie value (shown only this once; the database keeps its hash). addr
// is the client's address (peer.From).
func (m *Manager) Login(ctx context.Context, name, password, addr, userAgent string) (string, *store.User, error) {
	if err := m.st.WritesRefused(); err != nil {
		// A sign-in stores a session: on a Herald that takes no writes
		// (store/writable.go) it is refused before any password is judged.
		return "", nil, err
	}
	now := m.now()
	if err := m.Admit(addr); err != nil {
		return "", nil, err
	}
	// A name too long to be one is still its own key, cut short to bound memory.
	pair := pairKey{user: strings.ToLower(name[:min(len(name), maxName+1)]), client: clientKey(addr)}
	if retry := m.guard.reserve(pair, now); retry > 0 {
		m.refused(addr, "sign-in: rate limited", slog.String("user", pair.user))
		return "", nil, &LimitedError{Retry: retry}
	}
	outcome := undecided
	defer func() { m.guard.finish(pair, outcome, now) }()
	fail := func() (string, *store.User, error) {
		outcome = failed
		m.refused(addr, "sign-in failed", slog.String("user", pair.user))
		return "", nil, ErrBadLogin
	}
	if len(name) > maxName || len(password) > maxPassword {
		return fail()
	}
	u, err := m.st.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	hash := m.dummy
	if u != nil && !u.SSO() {
		hash = u.PasswordHash
	}
	select {
	case m.hashing <- struct{}{}:
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	ok, err := CheckPassword(hash, password)
	<-m.hashing
	if err != nil {
		m.log.Error("stored password hash unreadable", slog.String("user", name), slog.Any("err", err))
	}
	if u == nil || u.SSO() || !ok || !u.DisabledAt.IsZero() {
		return fail()
	}
	outcome = succeeded
	if u.TOTPSecret != "" {
		return m.challenge(ctx, u)
	}
	return m.openSession(ctx, u, addr, userAgent, "user.login")
}

// openSession signs u in: a new session, the last sign-in time and a line
// in the change log (action) in one transaction.
func (m *Manager) openSession(ctx context.Context, u *store.User, addr, userAgent, action string) (string, *store.User, error) {
	now := m.now()
	plain, hashed, err := newSessionID()
	if err != nil {
		return "", nil, err
	}
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	if !utf8.ValidString(userAgent) {
		userAgent = strings.ToValidUTF8(userAgent, "?")
	}
	s := &store.Session{Hash: hashed, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: m.expiry(now, now), Address: addr, UserAgent: strings.ReplaceAll(userAgent, "\x00", "")}
	err = m.st.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertSession(ctx, s); err != nil {
			return err
		}
		u.LastLoginAt = now
		if err := q.SaveUser(ctx, u); err != nil {
			return err
		}
		return q.InsertChange(ctx, &store.Change{At: now, Actor: "user:" + u.Name, Action: action,
			Subject: fmt.Sprintf("user:%d", u.ID)})
	})
	if err != nil {
		return "", nil, err
	}
	m.log.Info("signed in", slog.String("user", u.Name), slog.String("address", addr), slog.String("how", action))
	return plain, u, nil
}

// expiry is when a session created at created and last used at seen ends.
func (m *Manager) expiry(created, seen time.Time) time.Time {
	hard, idle := created.Add(m.opts.MaxAge), seen.Add(m.opts.IdleTimeout)
	if idle.Before(hard) {
		return idle
	}
	return hard
}

func newSessionID() (plain, hash string, err error) {
	b := make([]byte, sessionIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, hashSession(plain), nil
}

func hashSession(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// touchEvery spares the database a write per request.
const touchEvery = time.Minute

// Session finds the signed-in user for a cookie value and keeps an active
// session alive.
func (m *Manager) Session(ctx context.Context, plain string) (*store.Session, *store.User, error) {
	if plain == "" || len(plain) > 64 {
		return nil, nil, ErrNoSession
	}
	now := m.now()
	s, u, err := m.st.SessionByHash(ctx, hashSession(plain), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.DisabledAt.IsZero() {
		return nil, nil, ErrNoSession
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		s.LastSeenAt, s.ExpiresAt = now, m.expiry(s.CreatedAt, now)
		if err := m.st.TouchSession(ctx, s.Hash, s.LastSeenAt, s.ExpiresAt); err != nil {
			return nil, nil, err
		}
	}
	return s, u, nil
}

// Logout ends the session with this cookie value.
func (m *Manager) Logout(ctx context.Context, plain string) error {
	if plain == "" || len(plain) > 64 {
		return nil
	}
	return m.st.DeleteSession(ctx, hashSession(plain))
}

// Sweep deletes expired sessions, and sign-ins that waited too long for
// their code; serve calls it now and then. It counts the sessions.
func (m *Manager) Sweep(ctx context.Context) (int64, error) {
	if err := m.st.DeleteExpiredTOTPChallenges(ctx, m.now()); err != nil {
		return 0, err
	}
	return m.st.DeleteExpiredSessions(ctx, m.now())
}

// Run sweeps expired sessions every hour until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("sweep expired sessions", slog.Any("err", err))
		} else if n > 0 {
			m.log.Info("expired sessions removed", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
