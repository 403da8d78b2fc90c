-- A version for each monitor's state (issue 17): see the PostgreSQL
-- migration of the same number.
-- +goose Up
ALTER TABLE monitor_state ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE monitor_state DROP COLUMN version;
