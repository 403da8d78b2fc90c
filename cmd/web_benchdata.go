package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/betterstack/betterstack/modules/database"
)

// seedDashboardData fills db, for workspaceID, with what the dashboard's pages
// read at scale: monitors monitors (checked every minute from regions eu
// and us; every 50th down and the next degraded), their current and
// per-region state, days days of hourly and daily rollups for both regions,
// and the raw ticks of the last 24 hours of the user's first monitor (the
// lowest id), which the monitor page's default chart reads. Rollups are
// what the ingest would have written for those checks, and daily rows are
// the sums of the hourly ones, so uptimes agree between pages.
//
// Everything is generated inside PostgreSQL with generate_series (5,000
// monitors × 30 days is 7.2 million hourly rows), so it is PostgreSQL
// only; it is meant for benchmarks (`go test -bench Dashboard ./cmd/`,
// and a future `betterstack bench dashboard`).
func seedDashboardData(ctx context.Context, db *database.DB, workspaceID int64, monitors int, days int) error {
	if db.Dialect != database.Postgres {
		return errors.New("seedDashboardData: PostgreSQL only (it generates data with generate_series)")
	}
	if monitors < 1 || days < 1 {
		return errors.New("seedDashboardData: monitors and days must be at least 1")
	}
	hist := make([]string, 15)
	for i := range hist {
		hist[i] = fmt.Sprintf("h%02d", i)
	}
	sums := make([]string, len(hist))
	for i, h := range hist {
		sums[i] = "SUM(" + h + ")"
	}
	// Times are computed in UTC whatever the session's time zone: rollup
	// buckets are UTC hours and days.
	const hourNow = "(date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
	steps := []seedStep{
		{"monitors", `INSERT INTO monitors (workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
			SELECT ?, 'bench-' || lpad(g::text, 6, '0'), 'bench ' || lpad(g::text, 6, '0'), 'http', '{}', 'https://bench.example.com/' || g, 60, 10000,
				now() - make_interval(days => ?), now()
			FROM generate_series(1, ?) g`, []any{workspaceID, days, monitors}},
		{"monitor state", `INSERT INTO monitor_state (monitor_id, status, status_since, last_checked_at, updated_at)
			SELECT id, CASE id % 50 WHEN 0 THEN 'down' WHEN 1 THEN 'degraded' ELSE 'up' END,
				now() - interval '3 hours', now() - make_interval(secs => id % 60), now()
			FROM monitors WHERE workspace_id = ?`, []any{workspaceID}},
		{"region state", `INSERT INTO monitor_region_state (monitor_id, region, status, status_code, latency_ms, consecutive_failures,
				consecutive_successes, failing, last_scheduled_at, last_checked_at)
			SELECT m.id, r.region, CASE WHEN m.id % 50 = 0 THEN 'down' ELSE 'up' END, CASE WHEN m.id % 50 = 0 THEN 503 ELSE 200 END,
				60 + m.id % 200 + r.extra, CASE WHEN m.id % 50 = 0 THEN 5 ELSE 0 END, CASE WHEN m.id % 50 = 0 THEN 0 ELSE 100 END,
				m.id % 50 = 0, now() - make_interval(secs => m.id % 60), now() - make_interval(secs => m.id % 60)
			FROM monitors m CROSS JOIN (VALUES ('eu', 0), ('us', 40)) r(region, extra) WHERE m.workspace_id = ?`, []any{workspaceID}},
	}
	// Hourly rollups a day at a time, oldest first: the ingest writes them
	// in time order, and query plans depend on that layout. 60 checks an
	// hour per region; a failure now and then, a bad hour a day for the
	// down ones; latency 60-300 ms in two histogram buckets.
	for d := days - 1; d >= 0; d-- {
		// The current hour and the one before are not folded into their
		// days yet, as the alerter leaves them (tick.Fold); the current
		// one moves into the regions' open hours below.
		steps = append(steps, seedStep{"hourly rollups", `INSERT INTO rollups_hourly (monitor_id, region, bucket, checks, failures,
				degraded, latency_sum, latency_min, latency_max, h02, h03, folded)
			SELECT id, region, bucket, 60, failures, 0, (60 - failures) * lat, lat * 0.8, lat * 1.6,
				CASE WHEN lat <= 100 THEN 60 - failures ELSE 0 END, CASE WHEN lat > 100 THEN 60 - failures ELSE 0 END,
				bucket < ` + hourNow + ` - interval '1 hour'
			FROM (
				SELECT m.id, r.region, b.bucket, (60 + m.id % 200 + r.extra)::float8 AS lat,
					CASE WHEN m.id % 50 = 0 AND b.n % 24 = 0 THEN 60 WHEN (m.id + b.n) % 97 = 0 THEN 1 ELSE 0 END AS failures
				FROM (SELECT ` + hourNow + ` - make_interval(hours => n) AS bucket, n FROM generate_series(? * 24 + 23, ? * 24, -1) n) b
				CROSS JOIN monitors m
				CROSS JOIN (VALUES ('eu', 0), ('us', 40)) r(region, extra)
				WHERE m.workspace_id = ?
			) s`, []any{d, d, workspaceID}})
	}
	// The current hour is each region's open hour, in its state row, as
	// the ingest keeps it (tick.RegionState.Hour).
	steps = append(steps,
		seedStep{"open hours", `UPDATE monitor_region_state s SET hour_bucket = h.bucket, hour_checks = h.checks, hour_failures = h.failures,
				hour_degraded = h.degraded, hour_latency_sum = h.latency_sum, hour_latency_min = h.latency_min, hour_latency_max = h.latency_max,
				hour_hist = ARRAY[` + strings.Join(hist, ", ") + `]
			FROM rollups_hourly h WHERE h.monitor_id = s.monitor_id AND h.region = s.region AND h.bucket = ` + hourNow + `
				AND s.monitor_id IN (SELECT id FROM monitors WHERE workspace_id = ?)`, []any{workspaceID}},
		seedStep{"open hours out of the hour rows", `DELETE FROM rollups_hourly WHERE bucket = ` + hourNow + `
				AND monitor_id IN (SELECT id FROM monitors WHERE workspace_id = ?)`, []any{workspaceID}},
	)
	steps = append(steps,
		seedStep{"daily rollups", `INSERT INTO rollups_daily (monitor_id, region, bucket, checks, failures, degraded, latency_sum,
				latency_min, latency_max, ` + strings.Join(hist, ", ") + `)
			SELECT monitor_id, region, date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', SUM(checks), SUM(failures),
				SUM(degraded), SUM(latency_sum), MIN(latency_min), MAX(latency_max), ` + strings.Join(sums, ", ") + `
			FROM rollups_hourly WHERE folded AND monitor_id IN (SELECT id FROM monitors WHERE workspace_id = ?) GROUP BY 1, 2, 3`, []any{workspaceID}},
		seedStep{"ticks", `INSERT INTO ticks (monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code, latency_ms,
				dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, resolved_ip)
			SELECT m.id, r.region, 'bench-' || r.region, t, t + interval '5 milliseconds', 'up', 200, 80 + r.extra + n % 40,
				2, 10 + r.extra / 4, 20, 40 + n % 40 + r.extra / 2, 3, '192.0.2.10'
			FROM (SELECT date_trunc('minute', now()) - make_interval(mins => n) AS t, n FROM generate_series(24 * 60 - 1, 0, -1) n) g
			CROSS JOIN (SELECT MIN(id) AS id FROM monitors WHERE workspace_id = ?) m
			CROSS JOIN (VALUES ('eu', 0), ('us', 40)) r(region, extra)`, []any{workspaceID}},
		seedStep{"analyze", "ANALYZE monitors, monitor_state, monitor_region_state, rollups_hourly, rollups_daily, ticks", nil},
	)
	for _, st := range steps {
		if err := db.WithContext(ctx).Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("seed %s: %w", st.what, err)
		}
	}
	return nil
}

// seedStep is one statement of seedDashboardData.
type seedStep struct {
	what string
	sql  string
	args []any
}
