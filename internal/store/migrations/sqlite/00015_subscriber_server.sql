-- +goose Up
-- A subscription made on a private page by a visitor limited to one of its
-- servers (a customer's signed link or e-mail sign-in) is that server's:
-- group_id is it ('' for none), and it hears of that server alone. A
-- customer's e-mail sign-in binds it to the customer list: customer_domain
-- is the domain signed in with ('' for none), and its notices stop when
-- that domain is no longer a customer of group_id. An address may hold a
-- subscription per page and server.
ALTER TABLE subscribers ADD COLUMN group_id TEXT NOT NULL DEFAULT '';
ALTER TABLE subscribers ADD COLUMN customer_domain TEXT NOT NULL DEFAULT '';
DROP INDEX subscribers_address;
CREATE UNIQUE INDEX subscribers_address ON subscribers (kind, address_key, operator, page, group_id);

-- +goose Down
DELETE FROM deliveries WHERE subscriber_id IN (SELECT id FROM subscribers WHERE group_id <> '');
DELETE FROM subscriber_components WHERE subscriber_id IN (SELECT id FROM subscribers WHERE group_id <> '');
DELETE FROM subscribers WHERE group_id <> '';
DROP INDEX subscribers_address;
CREATE UNIQUE INDEX subscribers_address ON subscribers (kind, address_key, operator, page);
ALTER TABLE subscribers DROP COLUMN customer_domain;
ALTER TABLE subscribers DROP COLUMN group_id;
