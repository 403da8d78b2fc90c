-- Each monitor's open hour in its region's state row (issue 17). The ingest
-- added every check to its hour's rollup row: an upsert of a 25-column row
-- per check, half the time of the ticks' statement (BenchmarkStore, 200,000
-- monitors: 42,600 ticks/s with it, 66,200 in a build without it). The
-- region's state row is written for every check anyway, so the hour being
-- filled now lives
-- there (hour_*, the latency histogram in one column, hour_hist), and goes
-- into rollups_hourly once, when the region's first check of a later hour
-- arrives. A check for an hour before the open one (late) is added to
-- rollups_hourly directly, as before. Readers add the open hours to the
-- rollup rows (tick.rowsOf; the status pages' dailyUptime): every check is
-- in exactly one of the three places (open hour, hour row, day row).
--
-- Hour rows written before this migration stay; the open hour of the same
-- bucket is added to them when it closes, and readers add the two meanwhile.
-- +goose Up
ALTER TABLE monitor_region_state ADD COLUMN hour_bucket TIMESTAMPTZ;
ALTER TABLE monitor_region_state ADD COLUMN hour_checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitor_region_state ADD COLUMN hour_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitor_region_state ADD COLUMN hour_degraded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitor_region_state ADD COLUMN hour_latency_sum DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE monitor_region_state ADD COLUMN hour_latency_min DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE monitor_region_state ADD COLUMN hour_latency_max DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE monitor_region_state ADD COLUMN hour_hist INTEGER[];

-- +goose Down
-- The older ingest keeps the open hour in rollups_hourly: put each one there
-- (and into its day's row where that hour's row is already folded).
INSERT INTO rollups_daily (monitor_id, region, bucket, checks, failures, degraded, latency_sum, latency_min, latency_max, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14)
SELECT s.monitor_id, s.region, date_trunc('day', s.hour_bucket, 'UTC'), s.hour_checks, s.hour_failures, s.hour_degraded, s.hour_latency_sum, s.hour_latency_min, s.hour_latency_max, coalesce(s.hour_hist[1], 0), coalesce(s.hour_hist[2], 0), coalesce(s.hour_hist[3], 0), coalesce(s.hour_hist[4], 0), coalesce(s.hour_hist[5], 0), coalesce(s.hour_hist[6], 0), coalesce(s.hour_hist[7], 0), coalesce(s.hour_hist[8], 0), coalesce(s.hour_hist[9], 0), coalesce(s.hour_hist[10], 0), coalesce(s.hour_hist[11], 0), coalesce(s.hour_hist[12], 0), coalesce(s.hour_hist[13], 0), coalesce(s.hour_hist[14], 0), coalesce(s.hour_hist[15], 0)
FROM monitor_region_state s JOIN rollups_hourly h ON h.monitor_id = s.monitor_id AND h.region = s.region AND h.bucket = s.hour_bucket AND h.folded
WHERE s.hour_checks > 0
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
INSERT INTO rollups_hourly (monitor_id, region, bucket, checks, failures, degraded, latency_sum, latency_min, latency_max, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, folded)
SELECT monitor_id, region, hour_bucket, hour_checks, hour_failures, hour_degraded, hour_latency_sum, hour_latency_min, hour_latency_max, coalesce(hour_hist[1], 0), coalesce(hour_hist[2], 0), coalesce(hour_hist[3], 0), coalesce(hour_hist[4], 0), coalesce(hour_hist[5], 0), coalesce(hour_hist[6], 0), coalesce(hour_hist[7], 0), coalesce(hour_hist[8], 0), coalesce(hour_hist[9], 0), coalesce(hour_hist[10], 0), coalesce(hour_hist[11], 0), coalesce(hour_hist[12], 0), coalesce(hour_hist[13], 0), coalesce(hour_hist[14], 0), coalesce(hour_hist[15], 0), false FROM monitor_region_state WHERE hour_checks > 0
ON CONFLICT (monitor_id, bucket, region) DO UPDATE SET
    latency_min = CASE WHEN excluded.checks = excluded.failures THEN rollups_hourly.latency_min
        WHEN rollups_hourly.checks = rollups_hourly.failures THEN excluded.latency_min
        ELSE LEAST(rollups_hourly.latency_min, excluded.latency_min) END,
    latency_max = CASE WHEN excluded.checks = excluded.failures THEN rollups_hourly.latency_max
        WHEN rollups_hourly.checks = rollups_hourly.failures THEN excluded.latency_max
        ELSE GREATEST(rollups_hourly.latency_max, excluded.latency_max) END,
    checks = rollups_hourly.checks + excluded.checks, failures = rollups_hourly.failures + excluded.failures,
    degraded = rollups_hourly.degraded + excluded.degraded, latency_sum = rollups_hourly.latency_sum + excluded.latency_sum,
    h00 = rollups_hourly.h00 + excluded.h00, h01 = rollups_hourly.h01 + excluded.h01, h02 = rollups_hourly.h02 + excluded.h02,
    h03 = rollups_hourly.h03 + excluded.h03, h04 = rollups_hourly.h04 + excluded.h04, h05 = rollups_hourly.h05 + excluded.h05,
    h06 = rollups_hourly.h06 + excluded.h06, h07 = rollups_hourly.h07 + excluded.h07, h08 = rollups_hourly.h08 + excluded.h08,
    h09 = rollups_hourly.h09 + excluded.h09, h10 = rollups_hourly.h10 + excluded.h10, h11 = rollups_hourly.h11 + excluded.h11,
    h12 = rollups_hourly.h12 + excluded.h12, h13 = rollups_hourly.h13 + excluded.h13, h14 = rollups_hourly.h14 + excluded.h14;
ALTER TABLE monitor_region_state DROP COLUMN hour_bucket;
ALTER TABLE monitor_region_state DROP COLUMN hour_checks;
ALTER TABLE monitor_region_state DROP COLUMN hour_failures;
ALTER TABLE monitor_region_state DROP COLUMN hour_degraded;
ALTER TABLE monitor_region_state DROP COLUMN hour_latency_sum;
ALTER TABLE monitor_region_state DROP COLUMN hour_latency_min;
ALTER TABLE monitor_region_state DROP COLUMN hour_latency_max;
ALTER TABLE monitor_region_state DROP COLUMN hour_hist;
