-- Daily rollups folded from closed hours (issue 17). The ingest used to add
-- every check to its hour's row and to its day's row: two upserts of a
-- 24-column row per check, the largest part of a batch's time (daily
-- alone 15 of 62 ms a batch at 1,000 monitors). Now it adds a check to its
-- hour's row only, and the alerter folds each hour's row into its day's
-- row once the hour has closed (tick.Service.Fold), flagging it folded in
-- the same transaction. A day's figures are its daily row plus its hours
-- not yet folded; readers add the two (the partial index finds those
-- hours). A check that arrives for an hour already folded is added to the
-- day's row by the ingest itself: the hour row's lock orders the fold and
-- the ingest, so a check is in the day's row exactly once either way.
--
-- Existing hourly rows are already in their days' rows: they start folded.
-- New rows are written with folded = false by the ingest, which names the
-- column; the default stays true, the same as SQLite's (which cannot change
-- a column's default), so a row from anywhere else is never counted twice.
-- +goose Up
ALTER TABLE rollups_hourly ADD COLUMN folded BOOLEAN NOT NULL DEFAULT true;
CREATE INDEX rollups_hourly_open_idx ON rollups_hourly (monitor_id, bucket) WHERE NOT folded;

-- +goose Down
-- The older ingest keeps days current itself: fold what is not folded yet.
INSERT INTO rollups_daily (monitor_id, region, bucket, checks, failures, degraded, latency_sum, latency_min, latency_max,
    h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14)
SELECT monitor_id, region, date_trunc('day', bucket, 'UTC'), sum(checks), sum(failures), sum(degraded), sum(latency_sum),
    coalesce(min(latency_min) FILTER (WHERE checks > failures), 0), coalesce(max(latency_max) FILTER (WHERE checks > failures), 0),
    sum(h00), sum(h01), sum(h02), sum(h03), sum(h04), sum(h05), sum(h06), sum(h07), sum(h08), sum(h09), sum(h10), sum(h11), sum(h12), sum(h13), sum(h14)
FROM rollups_hourly WHERE NOT folded GROUP BY 1, 2, 3
ON CONFLICT (monitor_id, bucket, region) DO UPDATE SET
    latency_min = CASE WHEN excluded.checks = excluded.failures THEN rollups_daily.latency_min
        WHEN rollups_daily.checks = rollups_daily.failures THEN excluded.latency_min
        ELSE LEAST(rollups_daily.latency_min, excluded.latency_min) END,
    latency_max = CASE WHEN excluded.checks = excluded.failures THEN rollups_daily.latency_max
        WHEN rollups_daily.checks = rollups_daily.failures THEN excluded.latency_max
        ELSE GREATEST(rollups_daily.latency_max, excluded.latency_max) END,
    checks = rollups_daily.checks + excluded.checks, failures = rollups_daily.failures + excluded.failures,
    degraded = rollups_daily.degraded + excluded.degraded, latency_sum = rollups_daily.latency_sum + excluded.latency_sum,
    h00 = rollups_daily.h00 + excluded.h00, h01 = rollups_daily.h01 + excluded.h01, h02 = rollups_daily.h02 + excluded.h02,
    h03 = rollups_daily.h03 + excluded.h03, h04 = rollups_daily.h04 + excluded.h04, h05 = rollups_daily.h05 + excluded.h05,
    h06 = rollups_daily.h06 + excluded.h06, h07 = rollups_daily.h07 + excluded.h07, h08 = rollups_daily.h08 + excluded.h08,
    h09 = rollups_daily.h09 + excluded.h09, h10 = rollups_daily.h10 + excluded.h10, h11 = rollups_daily.h11 + excluded.h11,
    h12 = rollups_daily.h12 + excluded.h12, h13 = rollups_daily.h13 + excluded.h13, h14 = rollups_daily.h14 + excluded.h14;
DROP INDEX rollups_hourly_open_idx;
ALTER TABLE rollups_hourly DROP COLUMN folded;
