-- Workspaces: every owned record belongs to a workspace instead of a user;
-- people reach a workspace through a membership with a role. Each existing
-- user gets a personal workspace with the user's own id (so every record
-- keeps its id and simply changes owner column), where they are the owner.
-- Records people name in config and URLs get a stable key, unique per
-- workspace. Also here: server-side sessions, two-factor columns, token
-- scope and expiry (the rest of the team-accounts change).
-- +goose Up
CREATE TABLE workspaces (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT NOT NULL,
    name         TEXT NOT NULL,
    require_2fa  BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workspaces_key ON workspaces (key);
INSERT INTO workspaces (id, key, name, created_at)
    SELECT id, 'ws-' || id, email, created_at FROM users;
SELECT setval(pg_get_serial_sequence('workspaces', 'id'), COALESCE((SELECT max(id) FROM workspaces), 0) + 1, false);

CREATE TABLE memberships (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL,   -- owner | admin | editor | responder | viewer
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
INSERT INTO memberships (workspace_id, user_id, role, created_at)
    SELECT id, id, 'owner', created_at FROM users;

CREATE TABLE invitations (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email         TEXT NOT NULL DEFAULT '',   -- '' = whoever holds the link
    role          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    invited_by    BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    accepted_at   TIMESTAMPTZ,
    accepted_by   BIGINT REFERENCES users(id) ON DELETE SET NULL,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, id);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,            -- SHA-256 of the session id in the JWT
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    address       TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    method        TEXT NOT NULL DEFAULT 'password'  -- password | totp | recovery | sso
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);

ALTER TABLE users
    ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '',
    ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '[]';

ALTER TABLE api_tokens
    ADD COLUMN workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE,
    ADD COLUMN scope TEXT NOT NULL DEFAULT 'write',
    ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE api_tokens SET workspace_id = user_id;
ALTER TABLE api_tokens ALTER COLUMN workspace_id SET NOT NULL;

-- Owned records: user_id becomes workspace_id (same values), plus keys.
ALTER TABLE monitors ADD COLUMN workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE;
ALTER TABLE monitors ADD COLUMN key TEXT;
UPDATE monitors SET workspace_id = user_id, key = 'monitor-' || id;
ALTER TABLE monitors ALTER COLUMN workspace_id SET NOT NULL, ALTER COLUMN key SET NOT NULL, DROP COLUMN user_id;
CREATE INDEX monitors_workspace_idx ON monitors (workspace_id, id);
CREATE UNIQUE INDEX monitors_key ON monitors (workspace_id, key);

ALTER TABLE channels ADD COLUMN workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE;
ALTER TABLE channels ADD COLUMN key TEXT;
UPDATE channels SET workspace_id = user_id, key = 'channel-' || id;
ALTER TABLE channels ALTER COLUMN workspace_id SET NOT NULL, ALTER COLUMN key SET NOT NULL, DROP COLUMN user_id;
CREATE INDEX channels_workspace_idx ON channels (workspace_id, id);
CREATE UNIQUE INDEX channels_key ON channels (workspace_id, key);

ALTER TABLE maintenance_windows ADD COLUMN workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE;
ALTER TABLE maintenance_windows ADD COLUMN key TEXT;
UPDATE maintenance_windows SET workspace_id = user_id, key = 'window-' || id;
ALTER TABLE maintenance_windows ALTER COLUMN workspace_id SET NOT NULL, ALTER COLUMN key SET NOT NULL, DROP COLUMN user_id;
CREATE INDEX maintenance_windows_workspace_idx ON maintenance_windows (workspace_id, id);
CREATE UNIQUE INDEX maintenance_windows_key ON maintenance_windows (workspace_id, key);

ALTER TABLE status_pages ADD COLUMN workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE;
ALTER TABLE status_pages ADD COLUMN key TEXT;
UPDATE status_pages SET workspace_id = user_id, key = slug;
ALTER TABLE status_pages ALTER COLUMN workspace_id SET NOT NULL, ALTER COLUMN key SET NOT NULL, DROP COLUMN user_id;
CREATE INDEX status_pages_workspace_idx ON status_pages (workspace_id, id);
CREATE UNIQUE INDEX status_pages_key ON status_pages (workspace_id, key);

ALTER TABLE incidents RENAME COLUMN user_id TO workspace_id;
ALTER INDEX incidents_user_idx RENAME TO incidents_workspace_idx;
ALTER TABLE badges RENAME COLUMN user_id TO workspace_id;

-- +goose Down
ALTER TABLE badges RENAME COLUMN workspace_id TO user_id;
ALTER INDEX incidents_workspace_idx RENAME TO incidents_user_idx;
ALTER TABLE incidents RENAME COLUMN workspace_id TO user_id;
-- Records of shared workspaces go back to the workspace's first owner.
ALTER TABLE status_pages ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE CASCADE;
UPDATE status_pages SET user_id = (SELECT min(user_id) FROM memberships m WHERE m.workspace_id = status_pages.workspace_id AND m.role = 'owner');
ALTER TABLE status_pages ALTER COLUMN user_id SET NOT NULL, DROP COLUMN workspace_id, DROP COLUMN key;
CREATE INDEX status_pages_user_idx ON status_pages (user_id, id);
ALTER TABLE maintenance_windows ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE CASCADE;
UPDATE maintenance_windows SET user_id = (SELECT min(user_id) FROM memberships m WHERE m.workspace_id = maintenance_windows.workspace_id AND m.role = 'owner');
ALTER TABLE maintenance_windows ALTER COLUMN user_id SET NOT NULL, DROP COLUMN workspace_id, DROP COLUMN key;
CREATE INDEX maintenance_windows_user_idx ON maintenance_windows (user_id, id);
ALTER TABLE channels ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE CASCADE;
UPDATE channels SET user_id = (SELECT min(user_id) FROM memberships m WHERE m.workspace_id = channels.workspace_id AND m.role = 'owner');
ALTER TABLE channels ALTER COLUMN user_id SET NOT NULL, DROP COLUMN workspace_id, DROP COLUMN key;
CREATE INDEX channels_user_idx ON channels (user_id, id);
ALTER TABLE monitors ADD COLUMN user_id BIGINT REFERENCES users(id) ON DELETE CASCADE;
UPDATE monitors SET user_id = (SELECT min(user_id) FROM memberships m WHERE m.workspace_id = monitors.workspace_id AND m.role = 'owner');
ALTER TABLE monitors ALTER COLUMN user_id SET NOT NULL, DROP COLUMN workspace_id, DROP COLUMN key;
CREATE INDEX monitors_user_id_idx ON monitors (user_id, id);
ALTER TABLE api_tokens DROP COLUMN workspace_id, DROP COLUMN scope, DROP COLUMN expires_at;
ALTER TABLE users DROP COLUMN totp_secret, DROP COLUMN totp_enabled, DROP COLUMN totp_last_step, DROP COLUMN recovery_codes;
DROP TABLE sessions;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE workspaces;
