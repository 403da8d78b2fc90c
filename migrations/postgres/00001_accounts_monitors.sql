-- +goose Up
CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    -- bumped on every password change; JWTs carry it, so older ones stop working
    token_version  BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    token_prefix  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id, id);

CREATE TABLE monitors (
    id                   BIGSERIAL PRIMARY KEY,
    user_id              BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    method               TEXT NOT NULL DEFAULT 'GET',
    headers              TEXT NOT NULL DEFAULT '{}',
    body                 TEXT NOT NULL DEFAULT '',
    interval_seconds     INTEGER NOT NULL,
    timeout_ms           INTEGER NOT NULL,
    expected_status      TEXT NOT NULL DEFAULT '["2xx","3xx"]',
    keyword              TEXT NOT NULL DEFAULT '',
    keyword_absent       BOOLEAN NOT NULL DEFAULT false,
    follow_redirects     BOOLEAN NOT NULL DEFAULT true,
    regions              TEXT NOT NULL DEFAULT '[]',
    failure_threshold    INTEGER NOT NULL DEFAULT 2,
    recovery_threshold   INTEGER NOT NULL DEFAULT 2,
    quorum               INTEGER NOT NULL DEFAULT 0,
    degraded_after_ms    INTEGER NOT NULL DEFAULT 0,
    remind_every_seconds INTEGER NOT NULL DEFAULT 0,
    paused               BOOLEAN NOT NULL DEFAULT false,
    -- the pusher's schedule: the next slot to enqueue, claimed with FOR UPDATE SKIP LOCKED
    next_run_at          TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX monitors_user_id_idx ON monitors (user_id, id);
CREATE INDEX monitors_due_idx ON monitors (next_run_at) WHERE NOT paused;

-- +goose Down
DROP TABLE monitors;
DROP TABLE api_tokens;
DROP TABLE users;
