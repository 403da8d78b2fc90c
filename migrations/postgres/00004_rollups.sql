-- +goose Up
-- Rollups of ticks per monitor, region and UTC hour (rollups_hourly) or day
-- (rollups_daily), kept by the alerter in the ingest transaction. Uptime,
-- SLA, charts beyond 24 h and status-page bars read these, never raw ticks.
-- Latency columns cover successful (not down) checks only; h00..h14 count
-- them per fixed latency bucket (upper bounds in ms: 25, 50, 100, 200, 300,
-- 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000, +inf), so
-- percentiles can be estimated from any range of rollups.
CREATE TABLE rollups_hourly (
    monitor_id   BIGINT NOT NULL,
    region       TEXT NOT NULL,
    bucket       TIMESTAMPTZ NOT NULL,
    checks       INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    degraded     INTEGER NOT NULL DEFAULT 0,
    latency_sum  DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_min  DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_max  DOUBLE PRECISION NOT NULL DEFAULT 0,
    h00          INTEGER NOT NULL DEFAULT 0,
    h01          INTEGER NOT NULL DEFAULT 0,
    h02          INTEGER NOT NULL DEFAULT 0,
    h03          INTEGER NOT NULL DEFAULT 0,
    h04          INTEGER NOT NULL DEFAULT 0,
    h05          INTEGER NOT NULL DEFAULT 0,
    h06          INTEGER NOT NULL DEFAULT 0,
    h07          INTEGER NOT NULL DEFAULT 0,
    h08          INTEGER NOT NULL DEFAULT 0,
    h09          INTEGER NOT NULL DEFAULT 0,
    h10          INTEGER NOT NULL DEFAULT 0,
    h11          INTEGER NOT NULL DEFAULT 0,
    h12          INTEGER NOT NULL DEFAULT 0,
    h13          INTEGER NOT NULL DEFAULT 0,
    h14          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (monitor_id, bucket, region)
);

CREATE TABLE rollups_daily (
    monitor_id   BIGINT NOT NULL,
    region       TEXT NOT NULL,
    bucket       TIMESTAMPTZ NOT NULL,
    checks       INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    degraded     INTEGER NOT NULL DEFAULT 0,
    latency_sum  DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_min  DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_max  DOUBLE PRECISION NOT NULL DEFAULT 0,
    h00          INTEGER NOT NULL DEFAULT 0,
    h01          INTEGER NOT NULL DEFAULT 0,
    h02          INTEGER NOT NULL DEFAULT 0,
    h03          INTEGER NOT NULL DEFAULT 0,
    h04          INTEGER NOT NULL DEFAULT 0,
    h05          INTEGER NOT NULL DEFAULT 0,
    h06          INTEGER NOT NULL DEFAULT 0,
    h07          INTEGER NOT NULL DEFAULT 0,
    h08          INTEGER NOT NULL DEFAULT 0,
    h09          INTEGER NOT NULL DEFAULT 0,
    h10          INTEGER NOT NULL DEFAULT 0,
    h11          INTEGER NOT NULL DEFAULT 0,
    h12          INTEGER NOT NULL DEFAULT 0,
    h13          INTEGER NOT NULL DEFAULT 0,
    h14          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (monitor_id, bucket, region)
);
-- Retention prunes rollups by bucket. BRIN, not btree: with a btree the
-- planner answers "these monitors, this range" from the bucket index and
-- filters the whole range, instead of reading each monitor's primary key.
CREATE INDEX rollups_hourly_bucket_idx ON rollups_hourly USING brin (bucket);
CREATE INDEX rollups_daily_bucket_idx ON rollups_daily USING brin (bucket);

-- Retention deletes the oldest ticks by time (a BRIN index: tiny, and cheap
-- to keep on an append-mostly table).
CREATE INDEX ticks_scheduled_brin ON ticks USING brin (scheduled_at);

-- +goose Down
DROP INDEX ticks_scheduled_brin;
DROP TABLE rollups_daily;
DROP TABLE rollups_hourly;
