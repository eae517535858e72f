-- +goose Up
-- The last ping of each heartbeat monitor's job, by a hash of its token,
-- when several instances share the database: a ping can reach any of them,
-- and the one running the monitor reads it here.
CREATE TABLE heartbeats (
    token_hash TEXT PRIMARY KEY,
    last_at    BIGINT NOT NULL
);

-- +goose Down
DROP TABLE heartbeats;
