-- Check kinds: a monitor is an envelope around a check spec of one
-- registered kind. Existing monitors become kind "http" with their
-- settings; url becomes target (what is checked, in one line, for lists
-- and search), and the HTTP columns move into check_spec.
-- +goose Up
ALTER TABLE monitors ADD COLUMN kind TEXT NOT NULL DEFAULT 'http';
ALTER TABLE monitors ADD COLUMN check_spec TEXT NOT NULL DEFAULT '{}';
UPDATE monitors SET check_spec = json_build_object(
    'url', url,
    'method', method,
    'headers', headers::json,
    'body', body,
    'expected_status', expected_status::json,
    'keyword', keyword,
    'keyword_absent', keyword_absent,
    'follow_redirects', follow_redirects
)::text;
ALTER TABLE monitors RENAME COLUMN url TO target;
ALTER TABLE monitors
    DROP COLUMN method,
    DROP COLUMN headers,
    DROP COLUMN body,
    DROP COLUMN expected_status,
    DROP COLUMN keyword,
    DROP COLUMN keyword_absent,
    DROP COLUMN follow_redirects;
ALTER TABLE monitors ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE monitors ALTER COLUMN check_spec DROP DEFAULT;

-- The kind's own evidence of the last check in each region (DNS answers,
-- certificate days left, packet loss), JSON; shown on the monitor page.
ALTER TABLE monitor_region_state ADD COLUMN details TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE monitor_region_state DROP COLUMN details;
ALTER TABLE monitors RENAME COLUMN target TO url;
ALTER TABLE monitors
    ADD COLUMN method TEXT NOT NULL DEFAULT 'GET',
    ADD COLUMN headers TEXT NOT NULL DEFAULT '{}',
    ADD COLUMN body TEXT NOT NULL DEFAULT '',
    ADD COLUMN expected_status TEXT NOT NULL DEFAULT '["2xx","3xx"]',
    ADD COLUMN keyword TEXT NOT NULL DEFAULT '',
    ADD COLUMN keyword_absent BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN follow_redirects BOOLEAN NOT NULL DEFAULT true;
UPDATE monitors SET
    method = COALESCE(check_spec::json->>'method', 'GET'),
    headers = COALESCE(check_spec::json->>'headers', '{}'),
    body = COALESCE(check_spec::json->>'body', ''),
    expected_status = COALESCE(check_spec::json->>'expected_status', '["2xx","3xx"]'),
    keyword = COALESCE(check_spec::json->>'keyword', ''),
    keyword_absent = COALESCE((check_spec::json->>'keyword_absent')::boolean, false),
    follow_redirects = COALESCE((check_spec::json->>'follow_redirects')::boolean, true)
WHERE kind = 'http';
DELETE FROM monitors WHERE kind <> 'http';
ALTER TABLE monitors DROP COLUMN kind, DROP COLUMN check_spec;
