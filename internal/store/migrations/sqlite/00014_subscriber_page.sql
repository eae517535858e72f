-- +goose Up
-- The page a subscription was made on (an id of the configuration's pages:,
-- '' for page:): its messages lead to that page's address and carry its
-- title, so a reseller's customer hears from the reseller. One address may
-- subscribe on several pages, each subscription its own.
ALTER TABLE subscribers ADD COLUMN page TEXT NOT NULL DEFAULT '';
DROP INDEX subscribers_address;
CREATE UNIQUE INDEX subscribers_address ON subscribers (kind, address_key, operator, page);

-- +goose Down
DELETE FROM deliveries WHERE subscriber_id IN (SELECT id FROM subscribers WHERE page <> '');
DELETE FROM subscriber_components WHERE subscriber_id IN (SELECT id FROM subscribers WHERE page <> '');
DELETE FROM subscribers WHERE page <> '';
DROP INDEX subscribers_address;
CREATE UNIQUE INDEX subscribers_address ON subscribers (kind, address_key, operator);
ALTER TABLE subscribers DROP COLUMN page;
