-- +goose Up
-- Each Markdown text is kept with the HTML and the plain text rendered from
-- it when it was written (internal/markdown), so that no page build and no
-- feed request renders Markdown. NULL means not rendered yet: the rows
-- written before this migration, which the store renders when it migrates.
ALTER TABLE incidents ADD COLUMN postmortem_html TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_text TEXT;
ALTER TABLE incident_updates ADD COLUMN body_html TEXT;
ALTER TABLE incident_updates ADD COLUMN body_text TEXT;
ALTER TABLE maintenances ADD COLUMN body_html TEXT;
ALTER TABLE maintenances ADD COLUMN body_text TEXT;
ALTER TABLE maintenance_updates ADD COLUMN body_html TEXT;
ALTER TABLE maintenance_updates ADD COLUMN body_text TEXT;

-- +goose Down
ALTER TABLE maintenance_updates DROP COLUMN body_text;
ALTER TABLE maintenance_updates DROP COLUMN body_html;
ALTER TABLE maintenances DROP COLUMN body_text;
ALTER TABLE maintenances DROP COLUMN body_html;
ALTER TABLE incident_updates DROP COLUMN body_text;
ALTER TABLE incident_updates DROP COLUMN body_html;
ALTER TABLE incidents DROP COLUMN postmortem_text;
ALTER TABLE incidents DROP COLUMN postmortem_html;
