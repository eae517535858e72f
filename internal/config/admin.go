package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// AdminSettings configures how operators sign in to /admin.
type AdminSettings struct {
	// RequireTOTP lists the roles (admin, editor, viewer) whose local
	// accounts must have a second factor: such a user without one is sent
	// to set it up before anything else. Accounts that sign in through
	// single sign-on are left to their provider.
	RequireTOTP []string `yaml:"require_totp"`
	// OIDC, when set, offers single sign-on through an OpenID provider
	// beside the local accounts.
	OIDC *OIDC `yaml:"oidc"`
}

// OIDC is an OpenID Connect provider operators sign in through.
type OIDC struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names the environment variable holding the client secret.
	ClientSecretEnv string `yaml:"client_secret_env"`
	// RedirectURL is where the provider sends people back; default
	// page.url + /admin/oidc/callback. Register it with the provider.
	RedirectURL string `yaml:"redirect_url"`
	// Label is the sign-in button's text; default "Sign in with single sign-on".
	Label string `yaml:"label"`
	// Scopes are asked for besides openid, profile and email; default [groups].
	Scopes []string `yaml:"scopes"`
	// RoleClaim is the ID token claim whose values give the role: a list
	// of strings or one string; default groups.
	RoleClaim string `yaml:"role_claim"`
	// Roles maps each role to the claim values that give it; the most
	// trusted role that matches wins. Someone with none is refused.
	Roles OIDCRoles `yaml:"roles"`
}

// OIDCRoles are the claim values that give each role.
type OIDCRoles struct {
	Admin  []string `yaml:"admin"`
	Editor []string `yaml:"editor"`
	Viewer []string `yaml:"viewer"`
}

// Role is the most trusted role any of values gives, "" if none.
func (r OIDCRoles) Role(values []string) string {
	for _, c := range []struct {
		role  string
		names []string
	}{{"admin", r.Admin}, {"editor", r.Editor}, {"viewer", r.Viewer}} {
		for _, v := range values {
			if slices.Contains(c.names, v) {
				return c.role
			}
		}
	}
	return ""
}

// TOTPRequired reports whether local accounts of role must have a second factor.
func (a AdminSettings) TOTPRequired(role string) bool { return slices.Contains(a.RequireTOTP, role) }

// Redirect is where the provider sends people back to Herald.
func (o *OIDC) Redirect(pageURL string) string {
	if o.RedirectURL != "" {
		return o.RedirectURL
	}
	return strings.TrimRight(pageURL, "/") + "/admin/oidc/callback"
}

func (o *OIDC) defaults() {
	if o.Label == "" {
		o.Label = "Sign in with single sign-on"
	}
	if o.RoleClaim == "" {
		o.RoleClaim = "groups"
	}
	if o.Scopes == nil {
		o.Scopes = []string{"groups"}
	}
}

func (v *validator) admin(c *Config) {
	for i, r := range c.Admin.RequireTOTP {
		if !slices.Contains([]string{"admin", "editor", "viewer"}, r) {
			v.addf(fmt.Sprintf("admin.require_totp[%d]", i), "admin.require_totp: %q is not a role (admin, editor or viewer)", r)
		}
	}
	o := c.Admin.OIDC
	if o == nil {
		return
	}
	at := func(key string) string { // the key's line if it is written, else oidc's
		if v.pos.has("admin.oidc." + key) {
			return "admin.oidc." + key
		}
		return "admin.oidc"
	}
	if u, err := url.Parse(o.Issuer); o.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.addf("admin.oidc.issuer", "admin.oidc.issuer %q must be the provider's issuer URL (https://id.example.com/realms/ops)", o.Issuer)
	}
	if o.ClientID == "" {
		v.addf("admin.oidc", "admin.oidc.client_id is required (the client Herald is registered as at the provider)")
	}
	if !envName.MatchString(o.ClientSecretEnv) {
		v.addf(at("client_secret_env"), "admin.oidc.client_secret_env %q must be the name of the environment variable holding the client secret (A-Z, 0-9 and _)", o.ClientSecretEnv)
	}
	redirect := o.Redirect(c.Page.URL)
	if u, err := url.Parse(redirect); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/admin/oidc/callback") {
		v.addf(at("redirect_url"), "admin.oidc.redirect_url %q must be an absolute URL ending in /admin/oidc/callback (default: page.url + /admin/oidc/callback)", redirect)
	}
	if len(o.Roles.Admin)+len(o.Roles.Editor)+len(o.Roles.Viewer) == 0 {
		v.addf(at("roles"), "admin.oidc.roles gives no role to anyone; list the %s values for admin, editor or viewer", o.RoleClaim)
	}
}
