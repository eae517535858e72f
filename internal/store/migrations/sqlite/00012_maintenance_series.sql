-- +goose Up
-- Maintenance that repeats: a recurrence rule (RFC 5545 RRULE) from a first
-- wall-clock start in a named zone, and each window's length. Its
-- occurrences are ordinary maintenances carrying series_id and occurrence
-- (the start the rule gives them, Unix ms, the calendar's RECURRENCE-ID); the
-- unique index makes the clock that writes them ahead safe to run twice.
CREATE TABLE maintenance_series (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    config_key  TEXT,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    rrule       TEXT NOT NULL,
    start_local TEXT NOT NULL,
    zone        TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    ended_at    BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    sequence    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX maintenance_series_config_key ON maintenance_series (config_key);

CREATE TABLE maintenance_series_components (
    series_id    BIGINT NOT NULL REFERENCES maintenance_series(id) ON DELETE CASCADE,
    component_id TEXT NOT NULL REFERENCES components(id),
    position     INTEGER NOT NULL,
    PRIMARY KEY (series_id, component_id)
);

-- No REFERENCES here: SQLite cannot drop a column a foreign key names,
-- and series are never deleted.
ALTER TABLE maintenances ADD COLUMN series_id BIGINT;
ALTER TABLE maintenances ADD COLUMN occurrence BIGINT;
CREATE UNIQUE INDEX maintenances_series_occurrence ON maintenances (series_id, occurrence);

-- +goose Down
DROP INDEX maintenances_series_occurrence;
ALTER TABLE maintenances DROP COLUMN occurrence;
ALTER TABLE maintenances DROP COLUMN series_id;
DROP TABLE maintenance_series_components;
DROP TABLE maintenance_series;
