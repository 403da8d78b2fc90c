-- The pusher's schedule moves out of monitors into a narrow table (issue
-- 17). Every check's claim rewrote its monitor's whole row (a few hundred
-- bytes with the kind's spec) and added an entry to each of its four
-- indexes, since next_run_at is indexed and so no update of it is HOT; at
-- 200,000 monitors every minute that was 3,333 wide rows a second, the
-- largest share of PostgreSQL's time after ingest, and it churned the
-- table every page of the dashboard reads. monitor_schedule holds the
-- monitor id and its next slot: a claim rewrites 40 bytes and two index
-- entries, and monitors is written only when a user edits one.
--
-- A monitor has one row here from its creation (deleted with it).
-- next_run_at is NULL while the pusher must not schedule it: paused, or a
-- kind the workers do not run (heartbeats, fed by their pings; at this
-- version the only such kind). The monitor service keeps the two in step
-- in the same transaction as the monitor's row.
-- +goose Up
CREATE TABLE monitor_schedule (
    monitor_id  BIGINT PRIMARY KEY REFERENCES monitors(id) ON DELETE CASCADE,
    next_run_at TIMESTAMPTZ
);
INSERT INTO monitor_schedule (monitor_id, next_run_at)
    SELECT id, CASE WHEN paused OR kind = 'heartbeat' THEN NULL ELSE COALESCE(next_run_at, now()) END FROM monitors;
CREATE INDEX monitor_schedule_due_idx ON monitor_schedule (next_run_at) WHERE next_run_at IS NOT NULL;
DROP INDEX monitors_due_idx;
ALTER TABLE monitors DROP COLUMN next_run_at;

-- +goose Down
ALTER TABLE monitors ADD COLUMN next_run_at TIMESTAMPTZ;
UPDATE monitors SET next_run_at = s.next_run_at FROM monitor_schedule s WHERE s.monitor_id = monitors.id;
CREATE INDEX monitors_due_idx ON monitors (next_run_at) WHERE NOT paused;
DROP TABLE monitor_schedule;
