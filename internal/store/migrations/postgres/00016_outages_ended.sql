-- +goose Up
-- The pages' uptime bars read the outages that end within the last 90 days
-- or have not ended (ended_at IS NULL OR ended_at > ?): without an index on
-- ended_at that read scans every outage ever recorded, which grows with
-- the history (31 ms at 144,000 outages, ten years of a 1,000-component
-- fleet, on every rebuild after a write); with it, two index searches find
-- the few that match.
CREATE INDEX outages_ended ON outages (ended_at);

-- +goose Down
DROP INDEX outages_ended;
