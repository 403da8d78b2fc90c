-- PostgreSQL's fill factor for in-place updates of state and rollup rows
-- (issue 17) has no SQLite counterpart; the heartbeat judge's index does.
-- +goose Up
CREATE INDEX monitors_heartbeat_idx ON monitors (id) WHERE kind = 'heartbeat';

-- +goose Down
DROP INDEX monitors_heartbeat_idx;
