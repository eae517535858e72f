package auth_test

import (
	"errors"
	"testing"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestLoginSSO(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, _ := setup(t, b, auth.Options{})
		if _, err := m.AddUser(ctx, "cli", "olivia", auth.Admin, "long enough pw"); err != nil {
			t.Fatal(err)
		}
		id := auth.SSOIdentity{Issuer: "http://127.0.0.1:5556", Subject: "sub-1", Name: "Olivia@Example.test", Role: auth.Editor}
		tok, u, err := m.LoginSSO(ctx, id, "192.0.2.7", "test")
		if err != nil || tok == "" {
			t.Fatalf("LoginSSO: %v", err)
		}
		// The local olivia keeps her name; the provider's is olivia-2.
		if u.Name != "olivia-2" || u.Role != "editor" || !u.SSO() || u.PasswordHash != "" {
			t.Errorf("first sign-in made %+v", u)
		}
		// Found again by subject, whatever the name says now; the role follows the claim.
		id.Name, id.Role = "someone-else", auth.Viewer
		_, u2, err := m.LoginSSO(ctx, id, "192.0.2.7", "test")
		if err != nil || u2.ID != u.ID || u2.Role != "viewer" {
			t.Fatalf("second sign-in: %+v, %v", u2, err)
		}
		// No password signs in as it, and none can be set.
		if _, _, err := m.Login(ctx, "olivia-2", "", "192.0.2.8", "test"); !errors.Is(err, auth.ErrBadLogin) {
			t.Errorf("password sign-in of a provider account: %v", err)
		}
		if err := m.SetPassword(ctx, "cli", "olivia-2", "long enough pw"); !errors.As(err, new(*service.ConflictError)) {
			t.Errorf("SetPassword on a provider account: %v", err)
		}
		// Disabled in Herald: refused, whatever the provider says.
		if err := m.Disable(ctx, "cli", "olivia-2"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.LoginSSO(ctx, id, "192.0.2.7", "test"); !errors.Is(err, auth.ErrSSODisabled) {
			t.Errorf("disabled provider account: %v", err)
		}
		// A name that makes no user name falls back to "sso".
		_, u3, err := m.LoginSSO(ctx, auth.SSOIdentity{Issuer: id.Issuer, Subject: "sub-2", Name: "@@@", Role: auth.Viewer}, "192.0.2.7", "test")
		if err != nil || u3.Name != "sso" {
			t.Errorf("odd name: %+v, %v", u3, err)
		}
	})
}
