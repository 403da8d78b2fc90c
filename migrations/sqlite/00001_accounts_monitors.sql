-- +goose Up
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    token_version  INTEGER NOT NULL DEFAULT 1,
    created_at     DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z','now')),
    updated_at     DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z','now'))
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    token_prefix  TEXT NOT NULL,
    created_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z','now')),
    last_used_at  DATETIME
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id, id);

CREATE TABLE monitors (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id              INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    method               TEXT NOT NULL DEFAULT 'GET',
    headers              TEXT NOT NULL DEFAULT '{}',
    body                 TEXT NOT NULL DEFAULT '',
    interval_seconds     INTEGER NOT NULL,
    timeout_ms           INTEGER NOT NULL,
    expected_status      TEXT NOT NULL DEFAULT '["2xx","3xx"]',
    keyword              TEXT NOT NULL DEFAULT '',
    keyword_absent       BOOLEAN NOT NULL DEFAULT 0,
    follow_redirects     BOOLEAN NOT NULL DEFAULT 1,
    regions              TEXT NOT NULL DEFAULT '[]',
    failure_threshold    INTEGER NOT NULL DEFAULT 2,
    recovery_threshold   INTEGER NOT NULL DEFAULT 2,
    quorum               INTEGER NOT NULL DEFAULT 0,
    degraded_after_ms    INTEGER NOT NULL DEFAULT 0,
    remind_every_seconds INTEGER NOT NULL DEFAULT 0,
    paused               BOOLEAN NOT NULL DEFAULT 0,
    next_run_at          DATETIME,
    created_at           DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z','now')),
    updated_at           DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z','now'))
);
CREATE INDEX monitors_user_id_idx ON monitors (user_id, id);
CREATE INDEX monitors_due_idx ON monitors (next_run_at) WHERE NOT paused;

-- +goose Down
DROP TABLE monitors;
DROP TABLE api_tokens;
DROP TABLE users;
