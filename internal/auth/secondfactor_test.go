package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// codeAt is what an authenticator app shows for secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// challenged signs alice in with her password and returns the challenge.
func challenged(t *testing.T, m *auth.Manager) string {
	t.Helper()
	_, _, err := m.Login(t.Context(), "alice", "long enough pw", "192.0.2.7", "test")
	var sf *auth.SecondFactorError
	if !errors.As(err, &sf) || sf.Challenge == "" {
		t.Fatalf("Login with a second factor = %v, want a *SecondFactorError with a challenge", err)
	}
	return sf.Challenge
}

func TestSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, clock := setup(t, b, auth.Options{})
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "long enough pw"); err != nil {
			t.Fatal(err)
		}
		key, err := auth.NewTOTPKey("Herald", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key.URL(), "otpauth://totp/Herald:alice?") {
			t.Errorf("provisioning URI %q", key.URL())
		}
		secret := key.Secret()

		// Enrolment needs a code that matches.
		if _, err := m.EnableTOTP(ctx, "user:alice", "alice", secret, "000000x"); !errors.As(err, new(*service.InvalidError)) {
			t.Fatalf("EnableTOTP with a wrong code = %v, want an InvalidError", err)
		}
		codes, err := m.EnableTOTP(ctx, "user:alice", "alice", secret, codeAt(t, secret, clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != auth.RecoveryCodes || len(codes[0]) != len("abcd-efgh-ijkl") || codes[0] == codes[1] {
			t.Fatalf("recovery codes %q", codes)
		}
		if _, err := m.EnableTOTP(ctx, "user:alice", "alice", secret, codeAt(t, secret, clock.Now())); !errors.As(err, new(*service.ConflictError)) {
			t.Errorf("enabling twice = %v, want a ConflictError", err)
		}

		// The code used to enrol is spent: the same step is refused.
		ch := challenged(t, m)
		if _, _, err := m.LoginCode(ctx, ch, codeAt(t, secret, clock.Now()), "192.0.2.7", "test"); !errors.Is(err, auth.ErrBadCode) {
			t.Errorf("the enrolment's code again = %v, want ErrBadCode", err)
		}
		clock.Add(30 * time.Second)
		code := codeAt(t, secret, clock.Now())
		tok, u, err := m.LoginCode(ctx, ch, code[:3]+" "+code[3:], "192.0.2.7", "test")
		if err != nil || tok == "" || u.Name != "alice" {
			t.Fatalf("LoginCode = %q, %v, %v", tok, u, err)
		}
		if _, _, err := m.Session(ctx, tok); err != nil {
			t.Errorf("session after the code: %v", err)
		}
		// A challenge serves one sign-in, and a code one step.
		if _, _, err := m.LoginCode(ctx, ch, code, "192.0.2.7", "test"); !errors.Is(err, auth.ErrNoChallenge) {
			t.Errorf("a used challenge = %v, want ErrNoChallenge", err)
		}
		ch = challenged(t, m)
		if _, _, err := m.LoginCode(ctx, ch, code, "192.0.2.7", "test"); !errors.Is(err, auth.ErrBadCode) {
			t.Errorf("a replayed code = %v, want ErrBadCode", err)
		}

		// A recovery code works once, in any case and with or without dashes.
		rc := strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))
		if _, _, err := m.LoginCode(ctx, ch, rc, "192.0.2.7", "test"); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		if n, _ := m.RecoveryCodesLeft(ctx, u.ID); n != auth.RecoveryCodes-1 {
			t.Errorf("recovery codes left = %d, want %d", n, auth.RecoveryCodes-1)
		}
		ch = challenged(t, m)
		if _, _, err := m.LoginCode(ctx, ch, codes[3], "192.0.2.7", "test"); !errors.Is(err, auth.ErrBadCode) {
			t.Errorf("a used recovery code = %v, want ErrBadCode", err)
		}

		// A challenge expires.
		clock.Add(6 * time.Minute)
		if _, _, err := m.LoginCode(ctx, ch, codeAt(t, secret, clock.Now()), "192.0.2.7", "test"); !errors.Is(err, auth.ErrNoChallenge) {
			t.Errorf("an expired challenge = %v, want ErrNoChallenge", err)
		}

		// Reset: the password alone signs in again, the recovery codes are gone.
		if err := m.ResetTOTP(ctx, "cli", "alice"); err != nil {
			t.Fatal(err)
		}
		if tok, _, err := m.Login(ctx, "alice", "long enough pw", "192.0.2.7", "test"); err != nil || tok == "" {
			t.Errorf("Login after reset = %q, %v", tok, err)
		}
		if n, _ := m.RecoveryCodesLeft(ctx, u.ID); n != 0 {
			t.Errorf("recovery codes left after reset = %d", n)
		}
		if err := m.ResetTOTP(ctx, "cli", "alice"); !errors.As(err, new(*service.ConflictError)) {
			t.Errorf("resetting twice = %v, want a ConflictError", err)
		}
	})
}

func TestSecondFactorLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, clock := setup(t, b, auth.Options{})
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "long enough pw"); err != nil {
			t.Fatal(err)
		}
		key, _ := auth.NewTOTPKey("Herald", "alice")
		if _, err := m.EnableTOTP(ctx, "cli", "alice", key.Secret(), codeAt(t, key.Secret(), clock.Now())); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
		ch := challenged(t, m)
		var lim *auth.LimitedError
		// As for passwords: the first few failures are free, then each makes
		// the next attempt wait.
		for i := range 5 {
			_, _, err := m.LoginCode(ctx, ch, "12345"+string(rune('0'+i)), "192.0.2.7", "test")
			if i < 4 && !errors.Is(err, auth.ErrBadCode) {
				t.Fatalf("wrong code %d = %v, want ErrBadCode", i, err)
			}
			if i == 4 && !errors.As(err, &lim) {
				t.Fatalf("a fifth wrong code at once = %v, want a LimitedError", err)
			}
		}
		// Even the right code waits its turn.
		if _, _, err := m.LoginCode(ctx, ch, codeAt(t, key.Secret(), clock.Now()), "192.0.2.7", "test"); !errors.As(err, &lim) {
			t.Errorf("right code while limited = %v, want a LimitedError", err)
		}
	})
}
