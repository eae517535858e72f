-- +goose Up
-- Subscribers, the notification queue and the customer look-up table.

-- Keys Herald signs links with (confirmation, manage, unsubscribe). Made once
-- at first use and kept, so links in old messages keep working after a restart.
CREATE TABLE notify_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A subscriber is an e-mail address, a webhook or a chat webhook. Operator
-- alert channels from the configuration are rows too, marked operator.
CREATE TABLE subscribers (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL,
    address         TEXT NOT NULL,
    address_key     TEXT NOT NULL,
    secret          TEXT NOT NULL DEFAULT '',
    all_components  BOOLEAN NOT NULL,
    operator        BOOLEAN NOT NULL DEFAULT FALSE,
    confirmed_at    BIGINT,
    unsubscribed_at BIGINT,
    confirm_sent_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX subscribers_address ON subscribers (kind, address_key, operator);
CREATE INDEX subscribers_active ON subscribers (id) WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;

CREATE TABLE subscriber_components (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    component_id  TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, component_id)
);
CREATE INDEX subscriber_components_component ON subscriber_components (component_id, subscriber_id);

-- One event per thing customers are told: an incident update, a maintenance
-- step, a reminder. The key makes enqueueing it twice impossible.
CREATE TABLE notify_events (
    id          BIGSERIAL PRIMARY KEY,
    event_key   TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- One delivery per (subscriber, event): the queue and the record that it was sent.
CREATE TABLE deliveries (
    id            BIGSERIAL PRIMARY KEY,
    event_id      BIGINT NOT NULL REFERENCES notify_events(id) ON DELETE CASCADE,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    lease_until   BIGINT,
    last_error    TEXT NOT NULL DEFAULT '',
    sent_at       BIGINT,
    created_at    BIGINT NOT NULL,
    UNIQUE (subscriber_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'queued';
CREATE INDEX deliveries_sending ON deliveries (lease_until) WHERE state = 'sending';
CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'dead';
CREATE INDEX deliveries_event ON deliveries (event_id, state);

-- Customers: a domain and the group (server) it is hosted on. Only exact
-- look-ups are answered; nothing lists them.
CREATE TABLE customers (
    domain     TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE customers;
DROP TABLE deliveries;
DROP TABLE notify_events;
DROP TABLE subscriber_components;
DROP TABLE subscribers;
DROP TABLE notify_keys;
