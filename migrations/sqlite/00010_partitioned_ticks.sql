-- Ticks partitioned by day is PostgreSQL's (issue 17); SQLite has no
-- partitions and keeps its batched retention. This file keeps the version
-- numbers of both backends in step, so "schema version 10" means the same
-- release everywhere.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
