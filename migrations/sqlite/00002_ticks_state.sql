-- +goose Up
-- Every check result. Monitors may be deleted while their results are in
-- flight, so there is no foreign key: ingest drops results of unknown monitors.
CREATE TABLE ticks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id    INTEGER NOT NULL,
    region        TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    scheduled_at  DATETIME NOT NULL,
    checked_at    DATETIME NOT NULL,
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
    cert_expiry   DATETIME,
    resolved_ip   TEXT NOT NULL DEFAULT ''
);
-- Idempotent ingest, and the index behind "a monitor's ticks, newest first".
CREATE UNIQUE INDEX ticks_monitor_slot_key ON ticks (monitor_id, scheduled_at, region);

-- Per monitor and region: the last result and the run of equal outcomes the
-- incident rules count.
CREATE TABLE monitor_region_state (
    monitor_id            INTEGER NOT NULL,
    region                TEXT NOT NULL,
    status                TEXT NOT NULL,
    status_code           INTEGER NOT NULL DEFAULT 0,
    error_class           TEXT NOT NULL DEFAULT '',
    error                 TEXT NOT NULL DEFAULT '',
    latency_ms            REAL NOT NULL DEFAULT 0,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    consecutive_successes INTEGER NOT NULL DEFAULT 0,
    failing               BOOLEAN NOT NULL DEFAULT 0,
    last_scheduled_at     DATETIME NOT NULL,
    last_checked_at       DATETIME NOT NULL,
    PRIMARY KEY (monitor_id, region)
);

-- Per monitor: the confirmed status users see and since when.
CREATE TABLE monitor_state (
    monitor_id       INTEGER PRIMARY KEY,
    status           TEXT NOT NULL,
    status_since     DATETIME NOT NULL,
    last_checked_at  DATETIME,
    updated_at       DATETIME NOT NULL
);

-- +goose Down
DROP TABLE monitor_state;
DROP TABLE monitor_region_state;
DROP TABLE ticks;
