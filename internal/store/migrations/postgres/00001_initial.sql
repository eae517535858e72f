-- +goose Up
-- Times are Unix milliseconds in UTC in both dialects, so one code path reads
-- them and nothing depends on a session's time zone.
CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    removed_at  BIGINT
);

CREATE TABLE components (
    id          TEXT PRIMARY KEY,
    group_id    TEXT NOT NULL REFERENCES groups(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    removed_at  BIGINT
);

CREATE TABLE incidents (
    id                      BIGSERIAL PRIMARY KEY,
    title                   TEXT NOT NULL,
    impact                  TEXT NOT NULL,
    status                  TEXT NOT NULL,
    draft                   BOOLEAN NOT NULL,
    auto                    BOOLEAN NOT NULL DEFAULT FALSE,
    started_at              BIGINT NOT NULL,
    identified_at           BIGINT,
    monitoring_at           BIGINT,
    resolved_at             BIGINT,
    published_at            BIGINT,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    postmortem              TEXT NOT NULL DEFAULT '',
    postmortem_published_at BIGINT
);
CREATE INDEX incidents_started_at ON incidents (started_at);
CREATE INDEX incidents_open ON incidents (status) WHERE status <> 'resolved';

CREATE TABLE incident_components (
    incident_id  BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    component_id TEXT NOT NULL REFERENCES components(id),
    status       TEXT NOT NULL,
    PRIMARY KEY (incident_id, component_id)
);

CREATE TABLE incident_updates (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    display_at  BIGINT NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id);

CREATE TABLE incident_update_changes (
    update_id    BIGINT NOT NULL REFERENCES incident_updates(id) ON DELETE CASCADE,
    component_id TEXT NOT NULL REFERENCES components(id),
    old_status   TEXT NOT NULL,
    new_status   TEXT NOT NULL,
    PRIMARY KEY (update_id, component_id)
);

-- A link is stored once, smaller id first, and read in both directions.
CREATE TABLE incident_links (
    a BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    b BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX incident_links_b ON incident_links (b);

CREATE TABLE maintenances (
    id              BIGSERIAL PRIMARY KEY,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    scheduled_for   BIGINT NOT NULL,
    scheduled_until BIGINT NOT NULL,
    started_at      BIGINT,
    completed_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sequence        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX maintenances_scheduled_for ON maintenances (scheduled_for);

CREATE TABLE maintenance_components (
    maintenance_id BIGINT NOT NULL REFERENCES maintenances(id) ON DELETE CASCADE,
    component_id   TEXT NOT NULL REFERENCES components(id),
    PRIMARY KEY (maintenance_id, component_id)
);

CREATE TABLE maintenance_updates (
    id             BIGSERIAL PRIMARY KEY,
    maintenance_id BIGINT NOT NULL REFERENCES maintenances(id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    display_at     BIGINT NOT NULL
);
CREATE INDEX maintenance_updates_maintenance ON maintenance_updates (maintenance_id);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- The change log: who changed what, when, with the object before and after.
CREATE TABLE changes (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    before  TEXT,
    after   TEXT
);
CREATE INDEX changes_subject ON changes (subject, id);

-- +goose Down
DROP TABLE changes;
DROP TABLE api_tokens;
DROP TABLE maintenance_updates;
DROP TABLE maintenance_components;
DROP TABLE maintenances;
DROP TABLE incident_links;
DROP TABLE incident_update_changes;
DROP TABLE incident_updates;
DROP TABLE incident_components;
DROP TABLE incidents;
DROP TABLE components;
DROP TABLE groups;
