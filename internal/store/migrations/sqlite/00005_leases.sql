-- +goose Up
-- Leases say which instance runs what must run once (the decision pipeline,
-- and later the maintenance clock, reminders and roll-ups) when several share
-- one database. term grows each time the lease changes hands, so a holder
-- that paused past its expiry cannot renew or act on a lease it lost.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    term       BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE leases;
