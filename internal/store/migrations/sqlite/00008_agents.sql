-- +goose Up
-- Probe agents (herald agent) check monitors from several places and push
-- their results here. The database is their one home: whichever instance
-- holds the "agents" lease decides from what is stored, not from what the
-- instance that received a push holds in memory.

-- An agent token is bound to one location.
ALTER TABLE api_tokens ADD COLUMN location TEXT NOT NULL DEFAULT '';

-- One row per location, written on each contact.
CREATE TABLE agents (
    location      TEXT PRIMARY KEY,
    version       TEXT NOT NULL DEFAULT '',
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    results       BIGINT NOT NULL DEFAULT 0, -- results stored from it
    dropped       BIGINT NOT NULL DEFAULT 0, -- results its buffer dropped, as it reports
    silent_since  BIGINT                     -- set while the decider counts it out
);

-- Results as pushed; rid is the agent's own id of a result, so a batch sent
-- twice (its answer lost) is stored once. decided is set once the lease
-- holder has applied the result.
CREATE TABLE agent_results (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    location    TEXT NOT NULL,
    rid         TEXT NOT NULL,
    monitor_id  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    level       INTEGER NOT NULL,
    latency_us  BIGINT NOT NULL,
    message     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    decided     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (location, rid)
);
CREATE INDEX agent_results_undecided ON agent_results (at, id) WHERE decided = 0;

-- The detector state of one monitor seen from one location (JSON of status.Detector).
CREATE TABLE location_states (
    monitor_id    TEXT NOT NULL,
    location      TEXT NOT NULL,
    detector      TEXT NOT NULL,
    last_check_at BIGINT,
    last_level    INTEGER NOT NULL DEFAULT 0,
    last_message  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (monitor_id, location)
);

-- Measured intervals in which one location saw a monitor degraded or down:
-- the per-location timeline, and the notes of path trouble.
CREATE TABLE location_intervals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id   TEXT NOT NULL,
    component_id TEXT NOT NULL,
    location     TEXT NOT NULL,
    severity     TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    cause        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX location_intervals_component ON location_intervals (component_id, started_at);

-- +goose Down
DROP TABLE location_intervals;
DROP TABLE location_states;
DROP TABLE agent_results;
DROP TABLE agents;
ALTER TABLE api_tokens DROP COLUMN location;
