package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// A second factor for local accounts: a TOTP code (RFC 6238, 30-second
// steps, 6 digits, the step before and after accepted for clock drift) or
// one of ten recovery codes. A code is good once: the last accepted step
// is stored, and a code of that step or an earlier one is refused.

const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// RecoveryCodes is how many recovery codes a user gets.
	RecoveryCodes = 10
	// recoveryLen is a recovery code's length in base32 characters (60 bits);
	// recoveryLookup of them find its row.
	recoveryLen    = 12
	recoveryLookup = 4
	// challengeTTL is how long a sign-in waits for its code.
	challengeTTL = 5 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// SecondFactorError says the password was right and a code is needed:
// Challenge is the value the browser keeps (a cookie) until it sends one.
type SecondFactorError struct{ Challenge string }

func (e *SecondFactorError) Error() string { return "a code from the authenticator app is needed" }

// ErrBadCode is the answer to a wrong, reused or malformed code.
var ErrBadCode = errors.New("wrong code")

// ErrNoChallenge says the sign-in waiting for a code is unknown or expired.
var ErrNoChallenge = errors.New("the sign-in waited too long for its code; enter your password again")

// NewTOTPKey makes a new TOTP key for a user: its base32 secret and the
// otpauth:// URI an authenticator app reads (from a QR code).
func NewTOTPKey(issuer, name string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: name, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// TOTPKeyWith is the key of NewTOTPKey for a secret made before (an
// enrolment shown again after a wrong code).
func TOTPKeyWith(issuer, name, secret string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, &service.InvalidError{Msg: "the key is not base32"}
	}
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: name, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Secret: raw})
}

// ValidTOTPSecret reports whether s looks like a key NewTOTPKey made:
// base32 without padding, 16 to 64 characters.
func ValidTOTPSecret(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	_, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return err == nil
}

// totpStep is the step of a code that matches secret at now, and after the
// step last accepted; 0 if none does.
func totpStep(secret, code string, now time.Time, after int64) int64 {
	if len(code) != int(totpDigits) {
		return 0
	}
	cur := now.Unix() / totpPeriod
	for _, step := range []int64{cur - 1, cur, cur + 1} {
		if step <= after {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}

// normalCode strips the spaces and dashes people type or copy with a code.
func normalCode(code string) string {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
	return strings.ToLower(code)
}

const base32Lower = "abcdefghijklmnopqrstuvwxyz234567"

func newRecoveryCode() (string, error) {
	b := make([]byte, recoveryLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = base32Lower[b[i]&31]
	}
	return string(b), nil
}

// FormatRecoveryCode shows a code in groups of four: "abcd-efgh-ijkl".
func FormatRecoveryCode(c string) string {
	var parts []string
	for len(c) > 4 {
		parts = append(parts, c[:4])
		c = c[4:]
	}
	return strings.Join(append(parts, c), "-")
}

// EnableTOTP turns on the second factor of a local user with a secret from
// NewTOTPKey, once code proves their app has it. It returns the ten
// recovery codes, shown this once (the database keeps their hashes).
func (m *Manager) EnableTOTP(ctx context.Context, actor, name, secret, code string) ([]string, error) {
	code = normalCode(code)
	step := totpStep(secret, code, m.now(), 0)
	if step == 0 {
		return nil, &service.InvalidError{Msg: "that code does not match; check the clock of the phone and enter the code shown now"}
	}
	plain := make([]string, RecoveryCodes)
	hashed := make([]store.RecoveryCode, RecoveryCodes)
	for i := range plain {
		c, err := newRecoveryCode()
		if err != nil {
			return nil, err
		}
		h, err := HashPassword(c, m.opts.Params)
		if err != nil {
			return nil, err
		}
		plain[i], hashed[i] = FormatRecoveryCode(c), store.RecoveryCode{Lookup: c[:recoveryLookup], Hash: h}
	}
	_, err := m.changeUser(ctx, actor, "user.totp.enable", name, func(q *store.Queries, u *store.User) (bool, error) {
		if u.SSO() {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s signs in through single sign-on; the provider asks for the second factor", name)}
		}
		if u.TOTPSecret != "" {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s has a second factor already; reset it first", name)}
		}
		u.TOTPSecret, u.TOTPStep = secret, step
		return false, q.ReplaceRecoveryCodes(ctx, u.ID, hashed)
	})
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// ResetTOTP turns a user's second factor off and drops their recovery
// codes: for a lost phone, or before enrolling a new one.
func (m *Manager) ResetTOTP(ctx context.Context, actor, name string) error {
	_, err := m.changeUser(ctx, actor, "user.totp.reset", name, func(q *store.Queries, u *store.User) (bool, error) {
		if u.TOTPSecret == "" {
			return false, &service.ConflictError{Msg: fmt.Sprintf("%s has no second factor", name)}
		}
		u.TOTPSecret, u.TOTPStep = "", 0
		return false, q.DeleteRecoveryCodes(ctx, u.ID)
	})
	return err
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (m *Manager) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	return m.st.CountRecoveryCodes(ctx, userID)
}

// challenge stores a sign-in that waits for u's code.
func (m *Manager) challenge(ctx context.Context, u *store.User) (string, *store.User, error) {
	plain, hashed, err := newSessionID()
	if err != nil {
		return "", nil, err
	}
	if err := m.st.InsertTOTPChallenge(ctx, hashed, u.ID, m.now().Add(challengeTTL)); err != nil {
		return "", nil, err
	}
	return "", nil, &SecondFactorError{Challenge: plain}
}

// LoginCode finishes a sign-in that Login answered with a
// *SecondFactorError: with a TOTP code or a recovery code it opens the
// session. Wrong codes are limited as wrong passwords are, per user and
// client and per client.
func (m *Manager) LoginCode(ctx context.Context, challenge, code, addr, userAgent string) (string, *store.User, error) {
	if err := m.st.WritesRefused(); err != nil {
		return "", nil, err
	}
	now := m.now()
	if err := m.Admit(addr); err != nil {
		return "", nil, err
	}
	if challenge == "" || len(challenge) > 64 {
		return "", nil, ErrNoChallenge
	}
	hashed := hashSession(challenge)
	id, err := m.st.TOTPChallenge(ctx, hashed, now)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, ErrNoChallenge
	}
	if err != nil {
		return "", nil, err
	}
	u, err := m.st.UserByID(ctx, id)
	if err != nil {
		return "", nil, err
	}
	// Codes have a key of their own beside the password's: the password was
	// right, and guessing codes is slowed as guessing passwords is.
	pair := pairKey{user: "code:" + u.Name, client: clientKey(addr)}
	if retry := m.guard.reserve(pair, now); retry > 0 {
		m.refused(addr, "sign-in code: rate limited", slog.String("user", u.Name))
		return "", nil, &LimitedError{Retry: retry}
	}
	outcome := undecided
	defer func() { m.guard.finish(pair, outcome, now) }()
	how, err := m.checkCode(ctx, u, normalCode(code), now)
	if err != nil {
		if errors.Is(err, ErrBadCode) {
			outcome = failed
			m.refused(addr, "sign-in code wrong", slog.String("user", u.Name))
		}
		return "", nil, err
	}
	outcome = succeeded
	if err := m.st.DeleteTOTPChallenge(ctx, hashed, now); err != nil {
		return "", nil, err
	}
	return m.openSession(ctx, u, addr, userAgent, how)
}

// checkCode accepts a TOTP code of a step after the last one used, or an
// unused recovery code, and marks it used; it names the sign-in for the
// change log.
func (m *Manager) checkCode(ctx context.Context, u *store.User, code string, now time.Time) (string, error) {
	if !u.DisabledAt.IsZero() || u.TOTPSecret == "" || len(code) > 64 {
		return "", ErrBadCode
	}
	if len(code) == int(totpDigits) {
		var used int64
		err := m.st.Tx(ctx, func(q *store.Queries) error {
			if err := q.LockUser(ctx, u.ID); err != nil {
				return err
			}
			cur, err := q.UserByID(ctx, u.ID)
			if err != nil {
				return err
			}
			step := totpStep(cur.TOTPSecret, code, now, cur.TOTPStep)
			if step == 0 {
				return nil
			}
			cur.TOTPStep, used = step, step
			return q.SaveUser(ctx, cur)
		})
		if err != nil {
			return "", err
		}
		if used == 0 {
			return "", ErrBadCode
		}
		// openSession saves u again: it must carry the step just used.
		u.TOTPStep = used
		return "user.login", nil
	}
	if len(code) != recoveryLen {
		return "", ErrBadCode
	}
	codes, err := m.st.UnusedRecoveryCodes(ctx, u.ID, code[:recoveryLookup])
	if err != nil {
		return "", err
	}
	for _, c := range codes {
		select {
		case m.hashing <- struct{}{}:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		ok, err := CheckPassword(c.Hash, code)
		<-m.hashing
		if err != nil || !ok {
			continue
		}
		used, err := m.st.UseRecoveryCode(ctx, c.ID, now)
		if err != nil {
			return "", err
		}
		if used {
			return "user.login.recovery", nil
		}
	}
	return "", ErrBadCode
}
