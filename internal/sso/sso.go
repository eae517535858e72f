// Package sso signs operators in to /admin through an OpenID Connect
// provider: the authorization code flow with PKCE, state and nonce, the ID
// token verified against the provider's published keys, and the role read
// from a configured claim (admin.oidc in the configuration).
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
)

// ErrNotConfigured says admin.oidc is not set.
var ErrNotConfigured = errors.New("single sign-on is not configured")

// ErrBadState says the provider's answer does not belong to a sign-in this
// browser started (a forged or replayed callback, or one that took too long).
var ErrBadState = errors.New("this sign-in answer does not match a sign-in started in this browser, or it took too long; start again")

// NoRoleError says the provider vouched for someone its claim gives no role.
type NoRoleError struct {
	Name  string
	Claim string
}

func (e *NoRoleError) Error() string {
	return fmt.Sprintf("%s signed in at the provider, but its %q claim gives no Herald role", e.Name, e.Claim)
}

// ProviderError says the provider could not be reached or refused the
// sign-in; the message is safe to show, the cause is for the log.
type ProviderError struct {
	Msg string
	Err error
}

func (e *ProviderError) Error() string { return e.Msg + ": " + e.Err.Error() }
func (e *ProviderError) Unwrap() error { return e.Err }

// Client starts and finishes sign-ins. Its provider's discovery document
// is read on first use and kept while the issuer stays the same, so that a
// provider that is down when Herald starts delays nothing else.
type Client struct {
	cfg    func() config.Config
	getenv func(string) string
	http   *http.Client

	mu       sync.Mutex
	issuer   string
	provider *oidc.Provider
}

// New makes a client over the live configuration; httpClient may be nil.
func New(cfg func() config.Config, getenv func(string) string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 15 * time.Second}
	}
	return &Client{cfg: cfg, getenv: getenv, http: httpClient}
}

// Label is the sign-in button's text, "" when single sign-on is off.
func (c *Client) Label() string {
	if o := c.cfg().Admin.OIDC; o != nil {
		return o.Label
	}
	return ""
}

func (c *Client) discover(ctx context.Context, o *config.OIDC) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil && c.issuer == o.Issuer {
		return c.provider, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, c.http), 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.Issuer)
	if err != nil {
		return nil, &ProviderError{Msg: "the sign-in provider could not be reached", Err: err}
	}
	c.issuer, c.provider = o.Issuer, p
	return p, nil
}

func (c *Client) oauth(ctx context.Context) (*config.OIDC, *oidc.Provider, *oauth2.Config, error) {
	cfg := c.cfg()
	o := cfg.Admin.OIDC
	if o == nil {
		return nil, nil, nil, ErrNotConfigured
	}
	p, err := c.discover(ctx, o)
	if err != nil {
		return nil, nil, nil, err
	}
	return o, p, &oauth2.Config{ClientID: o.ClientID, ClientSecret: c.getenv(o.ClientSecretEnv), Endpoint: p.Endpoint(),
		RedirectURL: o.Redirect(cfg.Page.URL), Scopes: append([]string{oidc.ScopeOpenID, "profile", "email"}, o.Scopes...)}, nil
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start begins a sign-in: the provider's address to send the browser to,
// and the value the browser keeps (a cookie) until it comes back. next is
// where to go after signing in (already made safe by the caller).
func (c *Client) Start(ctx context.Context, next string) (redirect, keep string, err error) {
	_, _, oc, err := c.oauth(ctx)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	redirect = oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return redirect, strings.Join([]string{state, nonce, verifier, next}, "|"), nil
}

// Finish checks the provider's answer (the callback's query) against what
// the browser kept from Start, redeems the code and verifies the ID token.
// It returns who signed in with their role, and where to go next.
func (c *Client) Finish(ctx context.Context, query url.Values, keep string) (auth.SSOIdentity, string, error) {
	parts := strings.SplitN(keep, "|", 4)
	if len(parts) != 4 || parts[0] == "" || query.Get("state") != parts[0] {
		return auth.SSOIdentity{}, "", ErrBadState
	}
	nonce, verifier, next := parts[1], parts[2], parts[3]
	if e := query.Get("error"); e != "" {
		return auth.SSOIdentity{}, "", &ProviderError{Msg: "the sign-in provider refused the sign-in", Err: fmt.Errorf("%s: %s", e, query.Get("error_description"))}
	}
	code := query.Get("code")
	if code == "" {
		return auth.SSOIdentity{}, "", ErrBadState
	}
	o, p, oc, err := c.oauth(ctx)
	if err != nil {
		return auth.SSOIdentity{}, "", err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, c.http), 15*time.Second)
	defer cancel()
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return auth.SSOIdentity{}, "", &ProviderError{Msg: "the sign-in provider did not accept the sign-in code", Err: err}
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return auth.SSOIdentity{}, "", &ProviderError{Msg: "the sign-in provider sent no ID token", Err: errors.New("no id_token in the token response")}
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.ClientID}).Verify(ctx, raw)
	if err != nil {
		return auth.SSOIdentity{}, "", &ProviderError{Msg: "the sign-in provider's ID token did not verify", Err: err}
	}
	if idt.Nonce != nonce {
		return auth.SSOIdentity{}, "", ErrBadState
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return auth.SSOIdentity{}, "", &ProviderError{Msg: "the sign-in provider's ID token could not be read", Err: err}
	}
	if _, in := claims[o.RoleClaim]; !in && p.UserInfoEndpoint() != "" {
		// Some providers put only the subject in the ID token: the claim
		// may be at the userinfo endpoint.
		if ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil && ui.Subject == idt.Subject {
			var more map[string]any
			if ui.Claims(&more) == nil {
				for k, v := range more {
					if _, have := claims[k]; !have {
						claims[k] = v
					}
				}
			}
		}
	}
	id := auth.SSOIdentity{Issuer: idt.Issuer, Subject: idt.Subject, Name: name(claims, idt.Subject)}
	id.Role = auth.Role(o.Roles.Role(values(claims[o.RoleClaim])))
	if id.Role == "" {
		return id, next, &NoRoleError{Name: id.Name, Claim: o.RoleClaim}
	}
	return id, next, nil
}

// name is what the provider calls someone: preferred_username, e-mail or subject.
func name(claims map[string]any, subject string) string {
	for _, k := range []string{"preferred_username", "email"} {
		if s, ok := claims[k].(string); ok && s != "" {
			return s
		}
	}
	return subject
}

// values reads a claim that is a list of strings or one string.
func values(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
