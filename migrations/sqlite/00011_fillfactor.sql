-- PostgreSQL's fill factor for in-place updates of state and rollup rows
-- (issue 17); SQLite has no such setting. This file keeps the version
-- numbers of both backends in step.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
