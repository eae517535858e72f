-- +goose Up
-- An agent that sees its reference targets (or most of its servers) failing
-- while the other locations see them up has lost its own network: its
-- failures are no evidence about the servers, and its location leaves the
-- quorum's count until it is sound again. network_lost_since is set while
-- that lasts; network_back_at is when the last such episode ended (a
-- failure that began during one counts only from then).
ALTER TABLE agents ADD COLUMN network_lost_since BIGINT;
ALTER TABLE agents ADD COLUMN network_back_at BIGINT;

-- +goose Down
ALTER TABLE agents DROP COLUMN network_back_at;
ALTER TABLE agents DROP COLUMN network_lost_since;
