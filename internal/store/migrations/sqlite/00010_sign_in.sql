-- +goose Up
-- A second factor for local accounts and single sign-on.
-- totp_secret is the base32 TOTP key ('' while the user has none);
-- totp_step is the last time step whose code was accepted, so that a code
-- is good once. sso_issuer and sso_subject name an account that signs in
-- through an OpenID provider (both '' for local accounts).
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sso_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN sso_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_sso ON users (sso_issuer, sso_subject) WHERE sso_subject <> '';

-- One-time recovery codes: lookup is the code's first characters (to find
-- its row without hashing every code), hash its argon2id hash.
CREATE TABLE recovery_codes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    lookup  TEXT NOT NULL,
    hash    TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, lookup);

-- A sign-in whose password was right and whose code is awaited: stored by
-- the SHA-256 of its cookie value, like sessions.
CREATE TABLE totp_challenges (
    hash       TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE totp_challenges;
DROP TABLE recovery_codes;
DROP INDEX users_sso;
ALTER TABLE users DROP COLUMN sso_subject;
ALTER TABLE users DROP COLUMN sso_issuer;
ALTER TABLE users DROP COLUMN totp_step;
ALTER TABLE users DROP COLUMN totp_secret;
