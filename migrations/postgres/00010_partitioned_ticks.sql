-- Ticks partitioned by UTC day (issue 17): retention drops a whole day's
-- partition (a catalog change) instead of deleting rows in batches (dead
-- tuples, vacuum, index bloat). ticks_default takes a tick whose day has no
-- partition yet (a late or skewed slot); the alerter creates partitions
-- ahead of time and moves such rows out when it creates their day.
--
-- The id column goes: a partitioned table's primary key must contain the
-- partition key, and nothing reads ticks.id (retention deleted by it; it
-- now drops partitions, and deletes from ticks_default by ctid). The unique
-- slot index contains scheduled_at, so it stays global and ingest's ON
-- CONFLICT (monitor_id, scheduled_at, region) still holds.
--
-- Partitions cover every UTC day from the oldest existing tick (at most
-- 400 days back: older ones land in ticks_default, where retention deletes
-- them in batches) to 7 days ahead, all made before the copy, while
-- ticks_default is empty and attaching is free. The copy is one INSERT ...
-- SELECT in this migration's transaction.
-- +goose Up
ALTER TABLE ticks RENAME TO ticks_unpartitioned;
ALTER INDEX ticks_monitor_slot_key RENAME TO ticks_unpartitioned_slot_key;
DROP INDEX ticks_scheduled_brin;

CREATE TABLE ticks (
    monitor_id    BIGINT NOT NULL,
    region        TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    scheduled_at  TIMESTAMPTZ NOT NULL,
    checked_at    TIMESTAMPTZ NOT NULL,
    status        TEXT NOT NULL,
    status_code   INTEGER NOT NULL DEFAULT 0,
    error_class   TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    latency_ms    REAL NOT NULL DEFAULT 0,
    dns_ms        REAL NOT NULL DEFAULT 0,
    connect_ms    REAL NOT NULL DEFAULT 0,
    tls_ms        REAL NOT NULL DEFAULT 0,
    ttfb_ms       REAL NOT NULL DEFAULT 0,
    transfer_ms   REAL NOT NULL DEFAULT 0,
    cert_expiry   TIMESTAMPTZ,
    resolved_ip   TEXT NOT NULL DEFAULT ''
) PARTITION BY RANGE (scheduled_at);
CREATE UNIQUE INDEX ticks_monitor_slot_key ON ticks (monitor_id, scheduled_at, region);
-- Within ticks_default, retention's batches find old rows by it.
CREATE INDEX ticks_scheduled_brin ON ticks USING brin (scheduled_at);
CREATE TABLE ticks_default PARTITION OF ticks DEFAULT;

-- +goose StatementBegin
DO $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    d     date;
BEGIN
    SELECT min(scheduled_at AT TIME ZONE 'UTC')::date INTO d FROM ticks_unpartitioned;
    d := LEAST(today, GREATEST(COALESCE(d, today), today - 400));
    WHILE d <= today + 7 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF ticks FOR VALUES FROM (%L) TO (%L)',
            'ticks_p' || to_char(d, 'YYYYMMDD'), d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
        d := d + 1;
    END LOOP;
END
$$;
-- +goose StatementEnd

INSERT INTO ticks (monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code, error_class, error,
    latency_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, cert_expiry, resolved_ip)
SELECT monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code, error_class, error,
    latency_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, cert_expiry, resolved_ip
FROM ticks_unpartitioned;
DROP TABLE ticks_unpartitioned;
ANALYZE ticks;

-- +goose Down
ALTER TABLE ticks RENAME TO ticks_partitioned;
ALTER INDEX ticks_monitor_slot_key RENAME TO ticks_partitioned_slot_key;
ALTER INDEX ticks_scheduled_brin RENAME TO ticks_partitioned_brin;
CREATE TABLE ticks (
    id            BIGSERIAL PRIMARY KEY,
    monitor_id    BIGINT NOT NULL,
    region        TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    scheduled_at  TIMESTAMPTZ NOT NULL,
    checked_at    TIMESTAMPTZ NOT NULL,
    status        TEXT NOT NULL,
    status_code   INTEGER NOT NULL DEFAULT 0,
    error_class   TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    latency_ms    REAL NOT NULL DEFAULT 0,
    dns_ms        REAL NOT NULL DEFAULT 0,
    connect_ms    REAL NOT NULL DEFAULT 0,
    tls_ms        REAL NOT NULL DEFAULT 0,
    ttfb_ms       REAL NOT NULL DEFAULT 0,
    transfer_ms   REAL NOT NULL DEFAULT 0,
    cert_expiry   TIMESTAMPTZ,
    resolved_ip   TEXT NOT NULL DEFAULT ''
);
INSERT INTO ticks (monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code, error_class, error,
    latency_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, cert_expiry, resolved_ip)
SELECT monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code, error_class, error,
    latency_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, cert_expiry, resolved_ip
FROM ticks_partitioned ORDER BY scheduled_at;
DROP TABLE ticks_partitioned;
CREATE UNIQUE INDEX ticks_monitor_slot_key ON ticks (monitor_id, scheduled_at, region);
CREATE INDEX ticks_scheduled_brin ON ticks USING brin (scheduled_at);
