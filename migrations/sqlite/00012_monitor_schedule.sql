-- The pusher's schedule in its own narrow table, as on PostgreSQL (see
-- that migration for why); next_run_at is NULL while the monitor is not
-- scheduled (paused, or a heartbeat).
-- +goose Up
CREATE TABLE monitor_schedule (
    monitor_id  INTEGER PRIMARY KEY REFERENCES monitors(id) ON DELETE CASCADE,
    next_run_at DATETIME
);
INSERT INTO monitor_schedule (monitor_id, next_run_at)
    SELECT id, CASE WHEN paused OR kind = 'heartbeat' THEN NULL
        ELSE COALESCE(next_run_at, strftime('%Y-%m-%dT%H:%M:%f000Z','now')) END FROM monitors;
CREATE INDEX monitor_schedule_due_idx ON monitor_schedule (next_run_at) WHERE next_run_at IS NOT NULL;
DROP INDEX monitors_due_idx;
ALTER TABLE monitors DROP COLUMN next_run_at;

-- +goose Down
ALTER TABLE monitors ADD COLUMN next_run_at DATETIME;
UPDATE monitors SET next_run_at = (SELECT s.next_run_at FROM monitor_schedule s WHERE s.monitor_id = monitors.id);
CREATE INDEX monitors_due_idx ON monitors (next_run_at) WHERE NOT paused;
DROP TABLE monitor_schedule;
