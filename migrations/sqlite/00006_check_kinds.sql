-- Check kinds: a monitor is an envelope around a check spec of one
-- registered kind. Existing monitors become kind "http" with their
-- settings; url becomes target (what is checked, in one line, for lists
-- and search), and the HTTP columns move into check_spec.
-- +goose Up
ALTER TABLE monitors ADD COLUMN kind TEXT NOT NULL DEFAULT 'http';
ALTER TABLE monitors ADD COLUMN check_spec TEXT NOT NULL DEFAULT '{}';
UPDATE monitors SET check_spec = json_object(
    'url', url,
    'method', method,
    'headers', json(headers),
    'body', body,
    'expected_status', json(expected_status),
    'keyword', keyword,
    'keyword_absent', json(CASE WHEN keyword_absent THEN 'true' ELSE 'false' END),
    'follow_redirects', json(CASE WHEN follow_redirects THEN 'true' ELSE 'false' END)
);
ALTER TABLE monitors RENAME COLUMN url TO target;
ALTER TABLE monitors DROP COLUMN method;
ALTER TABLE monitors DROP COLUMN headers;
ALTER TABLE monitors DROP COLUMN body;
ALTER TABLE monitors DROP COLUMN expected_status;
ALTER TABLE monitors DROP COLUMN keyword;
ALTER TABLE monitors DROP COLUMN keyword_absent;
ALTER TABLE monitors DROP COLUMN follow_redirects;

-- The kind's own evidence of the last check in each region (DNS answers,
-- certificate days left, packet loss), JSON; shown on the monitor page.
ALTER TABLE monitor_region_state ADD COLUMN details TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE monitor_region_state DROP COLUMN details;
ALTER TABLE monitors RENAME COLUMN target TO url;
ALTER TABLE monitors ADD COLUMN method TEXT NOT NULL DEFAULT 'GET';
ALTER TABLE monitors ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE monitors ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN expected_status TEXT NOT NULL DEFAULT '["2xx","3xx"]';
ALTER TABLE monitors ADD COLUMN keyword TEXT NOT NULL DEFAULT '';
ALTER TABLE monitors ADD COLUMN keyword_absent BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN follow_redirects BOOLEAN NOT NULL DEFAULT 1;
UPDATE monitors SET
    method = COALESCE(json_extract(check_spec, '$.method'), 'GET'),
    headers = COALESCE(json_extract(check_spec, '$.headers'), '{}'),
    body = COALESCE(json_extract(check_spec, '$.body'), ''),
    expected_status = COALESCE(json_extract(check_spec, '$.expected_status'), '["2xx","3xx"]'),
    keyword = COALESCE(json_extract(check_spec, '$.keyword'), ''),
    keyword_absent = COALESCE(json_extract(check_spec, '$.keyword_absent'), 0),
    follow_redirects = COALESCE(json_extract(check_spec, '$.follow_redirects'), 1)
WHERE kind = 'http';
DELETE FROM monitors WHERE kind <> 'http';
ALTER TABLE monitors DROP COLUMN kind;
ALTER TABLE monitors DROP COLUMN check_spec;
