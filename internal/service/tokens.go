package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"github.com/heraldhq/herald/internal/store"
)

// Token scopes.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	// ScopeAgent may only fetch its location's assignment and push results
	// (see agents.go); the admin API refuses it.
	ScopeAgent = "agent"
)

// tokenPrefix makes Herald tokens recognisable to people and secret scanners.
const tokenPrefix = "hrld_"

// ErrBadToken is returned for a missing, malformed, unknown or revoked token.
var ErrBadToken = errors.New("invalid or revoked token")

// HashToken is how a token is stored. Tokens are 256 random bits, so a fast
// hash is enough: there is nothing to guess that a slow hash would protect.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a new API token and returns it in clear, the only time it is ever seen.
func (s *Service) CreateToken(ctx context.Context, name, scope string) (string, *store.Token, error) {
	if scope != ScopeRead && scope != ScopeWrite {
		return "", nil, invalidf("unknown scope %q (want read or write)", scope)
	}
	return s.createToken(ctx, name, scope, "")
}

func (s *Service) createToken(ctx context.Context, name, scope, location string) (string, *store.Token, error) {
	if err := checkText("name", name, maxTitle, false); err != nil {
		return "", nil, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	plain := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	t := &store.Token{Name: name, Scope: scope, Location: location, Hash: HashToken(plain), CreatedAt: s.Now()}
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertToken(ctx, t); err != nil {
			return err
		}
		return s.record(ctx, q, t.CreatedAt, "cli", "token.create", subject("token", t.ID), nil,
			map[string]any{"id": t.ID, "name": name, "scope": scope, "location": location})
	})
	if err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// Authenticate finds the live token for a bearer value.
func (s *Service) Authenticate(ctx context.Context, plain string) (*store.Token, error) {
	// A token that cannot be one is refused without a query.
	if !wellFormed(plain) {
		return nil, ErrBadToken
	}
	t, err := s.store.TokenByHash(ctx, HashToken(plain))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	// Record use at most once a minute per token, to spare the database a
	// write per request. A database that takes no writes (read-only, full)
	// still answers reads: the note of use waits for a later request.
	// Nor is it tried while this Herald refuses writes (a standby).
	if now := s.Now(); now.Sub(t.LastUsedAt) > clockCheckEvery && s.store.WritesRefused() == nil {
		if err := s.store.TouchToken(ctx, t.ID, now); err != nil {
			if _, down := store.Unavailable(err); !down {
				return nil, err
			}
			s.log.Warn("could not note a token's use; the database takes no writes", slog.Int64("token", t.ID), slog.Any("err", err))
		}
	}
	return t, nil
}

// tokenLen is the length of every token: the prefix and 32 bytes in base64url.
var tokenLen = len(tokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// wellFormed says whether plain has a token's shape.
func wellFormed(plain string) bool {
	rest, ok := strings.CutPrefix(plain, tokenPrefix)
	if !ok || len(plain) != tokenLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Tokens lists every token, revoked ones included.
func (s *Service) Tokens(ctx context.Context) ([]store.Token, error) { return s.store.Tokens(ctx) }

// RevokeToken revokes a token at once.
func (s *Service) RevokeToken(ctx context.Context, actor string, id int64) error {
	now := s.Now()
	return s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.RevokeToken(ctx, id, now); err != nil {
			return notFound(err, "token", id)
		}
		return s.record(ctx, q, now, actor, "token.revoke", subject("token", id), nil, nil)
	})
}
