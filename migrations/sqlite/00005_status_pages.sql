-- +goose Up
-- Public status pages (owned by the statuspage module): a page lists some
-- of its owner's monitors as components grouped in sections, under display
-- names of the owner's choosing. Nothing else of a monitor is ever shown.
CREATE TABLE status_pages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    slug           TEXT NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    logo_url       TEXT NOT NULL DEFAULT '',
    custom_domain  TEXT NOT NULL DEFAULT '',  -- '' = none
    password_hash  TEXT NOT NULL DEFAULT '',  -- argon2id; '' = public
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX status_pages_slug_key ON status_pages (slug);
CREATE UNIQUE INDEX status_pages_custom_domain_key ON status_pages (custom_domain) WHERE custom_domain <> '';
CREATE INDEX status_pages_user_idx ON status_pages (user_id, id);

-- One row per component; a section is the components sharing its name,
-- in the order of position.
CREATE TABLE status_page_components (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    status_page_id  INTEGER NOT NULL REFERENCES status_pages(id) ON DELETE CASCADE,
    section         TEXT NOT NULL,
    position        INTEGER NOT NULL,
    monitor_id      INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
    display_name    TEXT NOT NULL
);
CREATE INDEX status_page_components_page_idx ON status_page_components (status_page_id, position);
CREATE INDEX status_page_components_monitor_idx ON status_page_components (monitor_id);

-- Public updates on an incident, written by its owner; shown on every
-- status page that lists the incident's monitor.
CREATE TABLE incident_updates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    status       TEXT NOT NULL,   -- investigating | identified | monitoring | resolved
    message      TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, id);

-- A monitor's public badge: the token in its URL; no row, no badge.
CREATE TABLE badges (
    monitor_id  INTEGER PRIMARY KEY REFERENCES monitors(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    token       TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE UNIQUE INDEX badges_token_key ON badges (token);

-- +goose Down
DROP TABLE badges;
DROP TABLE incident_updates;
DROP TABLE status_page_components;
DROP TABLE status_pages;
