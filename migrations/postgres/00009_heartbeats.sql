-- Heartbeat monitors (issue 12). heartbeat_monitors holds what the pings
-- and the decider need beside the monitor: the ping token's hash (the
-- token itself is derived from a server key and token_salt, never stored),
-- the verdict last reported as a check result (status) and that result's
-- time (reported_at: the next must be later), and the next deadline, when
-- the decider wakes for it; paused and watch_from: a monitor seen paused
-- starts its schedule again when resumed (pings before are history). heartbeat_pings is the ping log; ping_id is
-- given when the api accepts a ping, so a redelivered ping is stored once.
-- (00008 is the audit log, written on another branch.)
-- +goose Up
CREATE TABLE heartbeat_monitors (
    monitor_id     BIGINT PRIMARY KEY REFERENCES monitors(id) ON DELETE CASCADE,
    token_hash     TEXT NOT NULL,
    token_salt     TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending',
    reported_at    TIMESTAMPTZ,
    next_deadline  TIMESTAMPTZ,
    paused         BOOLEAN NOT NULL DEFAULT FALSE,
    watch_from     TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX heartbeat_monitors_token ON heartbeat_monitors (token_hash);
CREATE INDEX heartbeat_monitors_deadline ON heartbeat_monitors (next_deadline);

CREATE TABLE heartbeat_pings (
    id              BIGSERIAL PRIMARY KEY,
    monitor_id      BIGINT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
    ping_id         TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    signal          TEXT NOT NULL,
    exit_code       INTEGER NOT NULL DEFAULT 0,
    run_id          TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL,
    source_ip       TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    body            TEXT NOT NULL,
    body_truncated  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX heartbeat_pings_ping_id ON heartbeat_pings (ping_id);
CREATE INDEX heartbeat_pings_monitor ON heartbeat_pings (monitor_id, received_at DESC, id DESC);

-- +goose Down
DROP TABLE heartbeat_pings;
DROP TABLE heartbeat_monitors;
