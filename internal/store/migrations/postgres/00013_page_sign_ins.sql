-- +goose Up
-- The one-time sign-in links a private page e-mails to customers: a link
-- is good once, so its nonce is written when it is used; rows are kept
-- until the link would have expired anyway.
CREATE TABLE page_sign_ins (
    nonce TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX page_sign_ins_expires ON page_sign_ins (expires_at);

-- +goose Down
DROP TABLE page_sign_ins;
