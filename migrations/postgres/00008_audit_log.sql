-- +goose Up
-- The audit log: who changed what, when and from where. Entries outlive
-- what they describe, so no column references another table: workspace_id,
-- actor_user_id and record_id are plain numbers, and actor keeps the
-- actor's text ("a@example.com", "token bs_ab12", "system") for when the
-- user is gone. workspace_id 0 holds installation-wide entries (a failed
-- login of an unknown email belongs to no workspace). changes is JSON text:
-- {"field": {"from": .., "to": ..}} with secrets already masked.
CREATE TABLE audit_log (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT NOT NULL,
    actor_user_id  BIGINT,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    record_type    TEXT NOT NULL DEFAULT '',
    record_id      BIGINT,
    record_key     TEXT NOT NULL DEFAULT '',
    changes        TEXT NOT NULL DEFAULT '{}',
    address        TEXT NOT NULL DEFAULT '',
    user_agent     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL
);
-- A workspace's log, newest first, paged by id.
CREATE INDEX audit_log_workspace_idx ON audit_log (workspace_id, id);
-- Retention deletes by age across workspaces.
CREATE INDEX audit_log_created_idx ON audit_log (created_at);

-- +goose Down
DROP TABLE audit_log;
