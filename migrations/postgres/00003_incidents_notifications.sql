-- +goose Up
-- The last failing check's evidence per region (headers, body excerpt,
-- phases), so an incident can show every failing region's, not only the one
-- whose check confirmed it.
ALTER TABLE monitor_region_state ADD COLUMN evidence TEXT NOT NULL DEFAULT '';

CREATE TABLE incidents (
    id               BIGSERIAL PRIMARY KEY,
    monitor_id       BIGINT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
    user_id          BIGINT NOT NULL,
    kind             TEXT NOT NULL,              -- down | degraded
    status           TEXT NOT NULL,              -- open | acknowledged | resolved
    started_at       TIMESTAMPTZ NOT NULL,
    acknowledged_at  TIMESTAMPTZ,
    acknowledged_by  TEXT NOT NULL DEFAULT '',
    resolved_at      TIMESTAMPTZ,
    resolved_by      TEXT NOT NULL DEFAULT '',
    cause            TEXT NOT NULL DEFAULT '{}', -- JSON: error_class, message, status_code
    regions          TEXT NOT NULL DEFAULT '[]', -- JSON: regions that saw it
    evidence         TEXT NOT NULL DEFAULT '[]', -- JSON: each failing region's last check
    last_reminded_at TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
-- At most one unresolved incident per monitor, enforced here.
CREATE UNIQUE INDEX incidents_one_open_key ON incidents (monitor_id) WHERE status <> 'resolved';
CREATE INDEX incidents_user_idx ON incidents (user_id, id);
CREATE INDEX incidents_monitor_idx ON incidents (monitor_id, id);

CREATE TABLE incident_events (
    id           BIGSERIAL PRIMARY KEY,
    incident_id  BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    at           TIMESTAMPTZ NOT NULL,
    type         TEXT NOT NULL,
    actor        TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    region       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, id);

CREATE TABLE channels (
    id               BIGSERIAL PRIMARY KEY,
    user_id          BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL,
    config           TEXT NOT NULL,
    notify_degraded  BOOLEAN NOT NULL DEFAULT false,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX channels_user_idx ON channels (user_id, id);

CREATE TABLE monitor_channels (
    monitor_id  BIGINT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
    channel_id  BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    PRIMARY KEY (monitor_id, channel_id)
);
CREATE INDEX monitor_channels_channel_idx ON monitor_channels (channel_id);

-- The outbox: written in the transaction that changes an incident, then
-- delivered with retries. Key is the idempotency key receivers see.
CREATE TABLE notifications (
    id               BIGSERIAL PRIMARY KEY,
    channel_id       BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    incident_id      BIGINT REFERENCES incidents(id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    key              TEXT NOT NULL UNIQUE,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,              -- pending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    locked_until     TIMESTAMPTZ,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_channel_idx ON notifications (channel_id, id);

CREATE TABLE notification_attempts (
    id               BIGSERIAL PRIMARY KEY,
    notification_id  BIGINT NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    at               TIMESTAMPTZ NOT NULL,
    success          BOOLEAN NOT NULL,
    error            TEXT NOT NULL DEFAULT '',
    duration_ms      REAL NOT NULL DEFAULT 0
);
CREATE INDEX notification_attempts_notification_idx ON notification_attempts (notification_id, id);

CREATE TABLE maintenance_windows (
    id                BIGSERIAL PRIMARY KEY,
    user_id           BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    monitor_ids       TEXT NOT NULL,              -- JSON list
    starts_at         TIMESTAMPTZ,                -- one-off
    ends_at           TIMESTAMPTZ,
    weekdays          TEXT NOT NULL DEFAULT '[]', -- weekly: JSON list of 0 (Sunday) .. 6
    start_time        TEXT NOT NULL DEFAULT '',   -- weekly: "HH:MM" in time_zone
    duration_minutes  INTEGER NOT NULL DEFAULT 0,
    time_zone         TEXT NOT NULL DEFAULT 'UTC',
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX maintenance_windows_user_idx ON maintenance_windows (user_id, id);

-- +goose Down
DROP TABLE maintenance_windows;
DROP TABLE notification_attempts;
DROP TABLE notifications;
DROP TABLE monitor_channels;
DROP TABLE channels;
DROP TABLE incident_events;
DROP TABLE incidents;
ALTER TABLE monitor_region_state DROP COLUMN evidence;
