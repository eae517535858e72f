-- +goose Up
-- Monitoring: each configured monitor's detection state (so a restart or a
-- reload loses nothing), raw check results kept for a while then rolled up,
-- and outages as measured intervals [started_at, ended_at).
CREATE TABLE monitors (
    id             TEXT PRIMARY KEY,          -- component id + "/" + name: flexo/web/http
    component_id   TEXT NOT NULL REFERENCES components(id),
    kind           TEXT NOT NULL,
    target         TEXT NOT NULL,
    state          TEXT NOT NULL,             -- unknown, up, degraded, down
    state_since    BIGINT,
    bad_run        INTEGER NOT NULL DEFAULT 0,
    bad_run_start  BIGINT,
    down_run       INTEGER NOT NULL DEFAULT 0,
    down_run_start BIGINT,
    deg_run        INTEGER NOT NULL DEFAULT 0,
    deg_run_start  BIGINT,
    good_run       INTEGER NOT NULL DEFAULT 0,
    good_run_start BIGINT,
    last_check_at  BIGINT,
    last_outcome   TEXT NOT NULL DEFAULT '',
    last_message   TEXT NOT NULL DEFAULT '',
    last_latency_us BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    removed_at     BIGINT
);
CREATE INDEX monitors_component ON monitors (component_id);

CREATE TABLE check_results (
    monitor_id TEXT NOT NULL,
    at         BIGINT NOT NULL,
    latency_us BIGINT NOT NULL,
    outcome    SMALLINT NOT NULL,             -- 0 up, 1 degraded, 2 down
    message    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_results_monitor_at ON check_results (monitor_id, at);
CREATE INDEX check_results_at ON check_results (at);

-- Rollups of check results per hour and per day, kept after the raw rows go.
CREATE TABLE check_rollups (
    monitor_id     TEXT NOT NULL,
    period         TEXT NOT NULL,             -- hour, day
    start_at       BIGINT NOT NULL,
    checks         INTEGER NOT NULL,
    up             INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    latency_sum_us BIGINT NOT NULL,
    latency_max_us BIGINT NOT NULL,
    PRIMARY KEY (monitor_id, period, start_at)
);

CREATE TABLE outages (
    id             BIGSERIAL PRIMARY KEY,
    component_id   TEXT NOT NULL REFERENCES components(id),
    monitor_id     TEXT NOT NULL,
    severity       TEXT NOT NULL,             -- degraded, down (the worst seen)
    started_at     BIGINT NOT NULL,
    ended_at       BIGINT,
    cause          TEXT NOT NULL DEFAULT '',
    maintenance_id BIGINT REFERENCES maintenances(id) ON DELETE SET NULL,
    incident_id    BIGINT REFERENCES incidents(id) ON DELETE SET NULL,
    -- What Herald made of it: '' not yet decided, maintenance, incident, ignored.
    decision       TEXT NOT NULL DEFAULT '',
    detected_at    BIGINT NOT NULL            -- when the threshold was crossed
);
CREATE INDEX outages_undecided ON outages (decision) WHERE decision = '';
CREATE INDEX outages_component_started ON outages (component_id, started_at);
CREATE INDEX outages_started ON outages (started_at);
CREATE INDEX outages_open ON outages (monitor_id) WHERE ended_at IS NULL;

-- A status an operator set by hand; it wins over everything until cleared.
CREATE TABLE component_overrides (
    component_id TEXT PRIMARY KEY REFERENCES components(id),
    status       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    set_by       TEXT NOT NULL,
    set_at       BIGINT NOT NULL
);

-- +goose Down
DROP TABLE component_overrides;
DROP TABLE outages;
DROP TABLE check_rollups;
DROP TABLE check_results;
DROP TABLE monitors;
