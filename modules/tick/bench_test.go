package tick

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/errgroup"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// benchBatch is the batch the benchmarks store: the alerter's default.
const benchBatch = 1000

// BenchmarkStore measures ingest: batches of 1,000 results (1,000 monitors,
// one region) stored in one transaction with their state and rollups, as
// the alerter does. b.N counts results; ns/op is per stored tick.
// BenchmarkRawTicks, in the same run, is the ceiling: the same rows into
// the same table with nothing else.
func BenchmarkStore(b *testing.B) {
	for _, backend := range []string{"postgres", "sqlite"} {
		for _, parallel := range []int{1, 2, 4} {
			if backend == "sqlite" && parallel > 1 {
				continue // one writer at a time
			}
			b.Run(fmt.Sprintf("%s/batches_at_once=%d", backend, parallel), func(b *testing.B) { benchStore(b, backend, parallel) })
		}
	}
}

func seedBenchMonitors(b *testing.B, db *database.DB, n int) time.Time {
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := db.Exec("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('b@example.com', 'x', ?, ?)", now, now).Error; err != nil {
		b.Fatal(err)
	}
	testenv.Workspace(b, db, 1)
	for lo := 1; lo <= n; lo += 50000 {
		if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
			SELECT i, 1, 'm' || i, 'm', 'http', '{}', 'http://x', 60, 1000, ?, ? FROM generate_series(CAST(? AS bigint), CAST(? AS bigint)) AS i`, now, now, lo, min(lo+49999, n)).Error; err != nil {
			b.Fatal(err)
		}
	}
	return now
}

// seedMonitors creates a user, its workspace and monitors 1..n (60 s) one
// statement each, on either backend.
func seedMonitors(t testing.TB, db *database.DB, n int) {
	t.Helper()
	now := time.Now().UTC()
	if err := db.Exec("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('b@example.com', 'x', ?, ?)", now, now).Error; err != nil {
		t.Fatal(err)
	}
	testenv.Workspace(t, db, 1)
	for id := 1; id <= n; id++ {
		if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
			VALUES (?, 1, ?, 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, id, fmt.Sprint("m", id), now, now).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// benchStore stores b.N results in batches, `parallel` batches at a time on
// disjoint monitors (as the alerter's loops or several alerters do). With
// BENCH_MONITORS set (PostgreSQL), batches go round that many monitors
// instead of storing the same 1,000 again and again.
func benchStore(b *testing.B, backend string, parallel int) {
	spread := 0
	if v, err := strconv.Atoi(os.Getenv("BENCH_MONITORS")); err == nil && backend == "postgres" {
		spread = v
	}
	ctx := context.Background()
	db := testenv.MustDatabase(b, backend)
	if backend == "sqlite" {
		seedMonitors(b, db, benchBatch*parallel) // generate_series is not in SQLite
	} else {
		seedBenchMonitors(b, db, max(benchBatch*parallel, spread))
	}
	// The first pass checks every monitor at warm, and the measured
	// batches come a second apart after now: in one hour, from ten
	// minutes past it, the steady state where each check adds to its
	// region's open hour. With BENCH_HOUR_TURN=1 the first pass is in the
	// hour before, so each monitor's first measured check closes its open
	// hour into rollups_hourly, as in the first minute of every hour (all
	// of them with -benchtime equal to BENCH_MONITORS).
	hour := time.Now().UTC().Truncate(time.Hour)
	now, warm := hour.Add(10*time.Minute), hour.Add(10*time.Minute)
	if os.Getenv("BENCH_HOUR_TURN") != "" {
		now, warm = hour.Add(-time.Second), hour.Add(-time.Minute)
	}
	svc := New(db, nil, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	// Every monitor checked once before the clock starts, as a running
	// install's are: a monitor's first result (its state rows created, its
	// hour's row inserted) comes once in its life, not once in every two
	// batches as it would round 200,000 monitors in 400,000 ticks.
	// BENCH_COLD=1 leaves them unchecked.
	if os.Getenv("BENCH_COLD") == "" {
		monitors := max(benchBatch*parallel, spread)
		batch := make([]queue.Result, 0, benchBatch)
		for id := 1; id <= monitors; id++ {
			batch = append(batch, queue.Result{JobID: "warm", MonitorID: int64(id), Region: "eu", WorkerID: "w", ScheduledAt: warm,
				Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 1.5, CheckedAt: warm}})
			if len(batch) == benchBatch || id == monitors {
				if err := svc.Store(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		// Statistics, as autovacuum's analyze has them in a running
		// install (the test server runs without autovacuum): without
		// them the planner guesses a region row's lookup by its key
		// finds four rows and takes a bitmap scan for every one.
		if backend == "postgres" {
			if err := db.Exec("ANALYZE").Error; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	var g errgroup.Group
	for p := 0; p < parallel; p++ {
		g.Go(func() error {
			batch := make([]queue.Result, benchBatch)
			slot := now // one second further each batch
			for done := 0; done < b.N/parallel; done += benchBatch {
				slot = slot.Add(time.Second)
				base := p * benchBatch
				if spread > benchBatch*parallel {
					// A large install: each batch is another 1,000 of
					// its monitors, as a minute's results are.
					base = (done/benchBatch*parallel + p) * benchBatch % spread
				}
				for i := range batch {
					batch[i] = queue.Result{JobID: fmt.Sprint(i), MonitorID: int64(base + i + 1), Region: "eu", WorkerID: "w", ScheduledAt: slot,
						Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 1.5, CheckedAt: slot}}
				}
				if err := svc.Store(ctx, batch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
}

// BenchmarkRawTicks is what PostgreSQL takes of the same tick rows into the
// same table (with its unique index) and nothing else, one batch of 1,000
// at a time: a multi-row VALUES INSERT with a parameter per value, the
// unnest INSERT ingest uses (ON CONFLICT DO NOTHING, no RETURNING), and
// COPY.
func BenchmarkRawTicks(b *testing.B) {
	for _, how := range []string{"values", "unnest", "copy"} {
		b.Run(how, func(b *testing.B) {
			ctx := context.Background()
			db := testenv.MustDatabase(b, "postgres")
			st := &store{db: db}
			sqlDB, err := db.DB.DB()
			if err != nil {
				b.Fatal(err)
			}
			conn, err := sqlDB.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			slot := time.Now().UTC().Truncate(time.Second)
			b.ResetTimer()
			for done := 0; done < b.N; done += benchBatch {
				slot = slot.Add(time.Second)
				rows := make([][]any, benchBatch)
				for i := range rows {
					rows[i] = []any{int64(i + 1), "eu", "w", slot, slot, "up", int64(200), "", "", 1.5, 0.1, 0.2, 0.3, 0.4, 0.5, nil, ""}
				}
				if err := rawInsert(ctx, conn, st, how, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		})
	}
}

func rawInsert(ctx context.Context, conn *sql.Conn, st *store, how string, rows [][]any) error {
	if how == "copy" {
		return conn.Raw(func(dc any) error {
			cols := strings.Split(tickColumns, ", ")
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"ticks"}, cols, pgx.CopyFromRows(rows))
			return err
		})
	}
	// "values" renders as SQLite's one placeholder per value (which
	// PostgreSQL takes as well), "unnest" as ingest's arrays.
	b := bulk{head: "INSERT INTO ticks (" + tickColumns + ")", cols: columnsOf(rows)}
	dialect := database.SQLite
	if how == "unnest" {
		b.tail, dialect = "ON CONFLICT (monitor_id, scheduled_at, region) DO NOTHING", database.Postgres
	}
	q, params, err := b.render(dialect)
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, st.rebind(q), params...)
	return err
}

// columnsOf turns rows of int64, string, time.Time, float64 or nil (a
// time column's NULL) into bulk's columns.
func columnsOf(rows [][]any) []any {
	cols := make([]any, len(rows[0]))
	for c, v := range rows[0] {
		switch v.(type) {
		case int64:
			col := make([]int64, len(rows))
			for i, r := range rows {
				col[i] = r[c].(int64)
			}
			cols[c] = col
		case string:
			col := make([]string, len(rows))
			for i, r := range rows {
				col[i] = r[c].(string)
			}
			cols[c] = col
		case float64:
			col := make([]float64, len(rows))
			for i, r := range rows {
				col[i] = r[c].(float64)
			}
			cols[c] = col
		default: // time.Time or nil
			col := make([]*time.Time, len(rows))
			for i, r := range rows {
				if t, ok := r[c].(time.Time); ok {
					col[i] = &t
				}
			}
			cols[c] = col
		}
	}
	return cols
}
