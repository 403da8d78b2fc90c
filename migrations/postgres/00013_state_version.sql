-- A version for each monitor's state (issue 17). Every write of a
-- monitor's region states also writes its monitor_state row, under that
-- row's lock, and now adds one to version. An alerter keeps the region
-- states it wrote, with the version it wrote; when the locked row still
-- has that version, nothing else wrote them since, and the batch uses
-- them instead of reading monitor_region_state again. At 200,000 monitors
-- that read was the largest single cost of ingest: one cold page per
-- monitor, every minute.
-- +goose Up
ALTER TABLE monitor_state ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE monitor_state DROP COLUMN version;
