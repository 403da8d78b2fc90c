package database_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/migrations"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/testenv"
)

// backend is one database a test body runs against.
type backend struct {
	name string
	cfg  func(t *testing.T) database.Config
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) database.Config {
			return database.Config{DataDir: t.TempDir(), MaxConns: 4}
		}},
		{"postgres", func(t *testing.T) database.Config {
			return database.Config{URL: testenv.MustPostgres(t), MaxConns: 4}
		}},
	}
}

// MustOpen opens cfg's database and closes it when the test ends.
func MustOpen(t *testing.T, cfg database.Config) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// migrationFiles lists the embedded migrations of a dialect.
func migrationFiles(t *testing.T, d database.Dialect) []string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, string(d)+"/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no migrations embedded for %s", d)
	}
	for i, f := range files {
		files[i] = path.Base(f)
	}
	return files
}

func TestMigrate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpen(t, b.cfg(t))
			if want := database.Dialect(b.name); db.Dialect != want {
				t.Fatalf("dialect = %s, want %s", db.Dialect, want)
			}
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			files := migrationFiles(t, db.Dialect)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))

			err := db.EnsureSchema(ctx, false, log)
			if !errors.Is(err, database.ErrSchemaBehind) {
				t.Fatalf("EnsureSchema(auto=false) on a fresh database = %v, want ErrSchemaBehind", err)
			}
			for _, s := range []string{"betterstack migrate up", "BETTERSTACK_AUTO_MIGRATE"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("EnsureSchema error %q does not mention %q", err, s)
				}
			}

			st, err := db.Status(ctx)
			if err != nil {
				t.Fatalf("Status before: %v", err)
			}
			if len(st) != len(files) {
				t.Fatalf("Status lists %d migrations, %d are embedded", len(st), len(files))
			}
			for _, m := range st {
				if m.Applied {
					t.Errorf("migration %d %s applied before MigrateUp", m.Version, m.Name)
				}
			}

			applied, err := db.MigrateUp(ctx)
			if err != nil {
				t.Fatalf("MigrateUp: %v", err)
			}
			if len(applied) != len(files) {
				t.Fatalf("MigrateUp applied %d migrations, want %d (%v)", len(applied), len(files), files)
			}
			for i, m := range applied {
				if m.Name != files[i] || !m.Applied {
					t.Errorf("applied[%d] = %+v, want %s", i, m, files[i])
				}
			}

			st, err = db.Status(ctx)
			if err != nil {
				t.Fatalf("Status after: %v", err)
			}
			for _, m := range st {
				if !m.Applied || m.AppliedAt.IsZero() {
					t.Errorf("migration %d %s: applied=%v at %v", m.Version, m.Name, m.Applied, m.AppliedAt)
				}
			}

			again, err := db.MigrateUp(ctx)
			if err != nil || len(again) != 0 {
				t.Errorf("second MigrateUp = %v, %v; want nothing applied", again, err)
			}
			if err := db.EnsureSchema(ctx, false, log); err != nil {
				t.Errorf("EnsureSchema(auto=false) after MigrateUp: %v", err)
			}

			// The schema is usable: the tables exist and start empty.
			for _, table := range []string{"users", "api_tokens", "monitors"} {
				var n int64
				if err := db.Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil || n != 0 {
					t.Errorf("count %s = %d, %v", table, n, err)
				}
			}
		})
	}
}

func TestEnsureSchemaAuto(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpen(t, b.cfg(t))
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			if err := db.EnsureSchema(ctx, true, log); err != nil {
				t.Fatalf("EnsureSchema(auto=true): %v", err)
			}
			for _, f := range migrationFiles(t, db.Dialect) {
				if !strings.Contains(buf.String(), f) {
					t.Errorf("log does not mention applied migration %s:\n%s", f, buf.String())
				}
			}
			if err := db.EnsureSchema(ctx, false, log); err != nil {
				t.Errorf("EnsureSchema(auto=false) after auto: %v", err)
			}
		})
	}
}

// TestMigrateConcurrent starts several processes' worth of MigrateUp on one
// fresh database at once: each migration must be applied exactly once and
// nobody may fail.
func TestMigrateConcurrent(t *testing.T) {
	const procs = 4
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.cfg(t)
			dbs := make([]*database.DB, procs)
			for i := range dbs {
				dbs[i] = MustOpen(t, cfg)
			}
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				applied = map[string]int{}
				errs    []error
				start   = make(chan struct{})
			)
			for _, db := range dbs {
				wg.Go(func() {
					<-start
					ms, err := db.MigrateUp(ctx)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
					}
					for _, m := range ms {
						applied[m.Name]++
					}
				})
			}
			close(start)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatalf("concurrent MigrateUp: %v", err)
			}
			files := migrationFiles(t, dbs[0].Dialect)
			for _, f := range files {
				if applied[f] != 1 {
					t.Errorf("%s reported applied %d times, want 1", f, applied[f])
				}
			}
			// The version table agrees: one row per migration.
			type row struct {
				VersionID int64
				N         int64
			}
			var rows []row
			err := dbs[0].Raw("SELECT version_id, count(*) AS n FROM goose_db_version WHERE version_id > 0 AND is_applied GROUP BY version_id ORDER BY version_id").
				Scan(&rows).Error
			if err != nil {
				t.Fatalf("read goose_db_version: %v", err)
			}
			if len(rows) != len(files) {
				t.Errorf("goose_db_version has %d versions, want %d: %+v", len(rows), len(files), rows)
			}
			for _, r := range rows {
				if r.N != 1 {
					t.Errorf("version %d recorded %d times", r.VersionID, r.N)
				}
			}
		})
	}
}

// TestSQLiteTimes checks the contract SQLiteTimeFormat promises: times come
// back equal at microsecond precision, and SQL text comparison orders them
// as time does.
func TestSQLiteTimes(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, database.Config{DataDir: t.TempDir()})
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
	base := time.Date(2025, 3, 9, 23, 59, 58, 123456789, time.UTC)
	if err := db.Exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'a@example.com', 'x', ?, ?)", base, base).Error; err != nil {
		t.Fatalf("insert user: %v", err)
	}
	if err := db.Exec("INSERT INTO workspaces (id, key, name, created_at) VALUES (1, 'ws-1', 'a', ?)", base).Error; err != nil {
		t.Fatalf("insert workspace: %v", err)
	}
	// Times straddling a second, a day and a year boundary, and one with a
	// single-digit fraction, so fixed width matters.
	times := []time.Time{
		base,
		base.Add(time.Microsecond),
		base.Add(2 * time.Second), // next day
		time.Date(2025, 3, 10, 0, 0, 0, 1000, time.UTC),  // .000001
		time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC), // earlier year
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i, ts := range times {
		err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
			VALUES (?, 1, ?, 'm', 'http', '{}', 'https://example.com', 60, 1000, ?, ?)`, i+1, fmt.Sprint("m", i+1), ts, ts).Error
		if err == nil {
			err = db.Exec("INSERT INTO monitor_schedule (monitor_id, next_run_at) VALUES (?, ?)", i+1, ts).Error
		}
		if err != nil {
			t.Fatalf("insert monitor %d: %v", i+1, err)
		}
	}

	t.Run("round trip", func(t *testing.T) {
		for i, ts := range times {
			var got time.Time
			if err := db.Raw("SELECT next_run_at FROM monitor_schedule WHERE monitor_id = ?", i+1).Row().Scan(&got); err != nil {
				t.Fatalf("read monitor %d: %v", i+1, err)
			}
			if want := ts.Truncate(time.Microsecond); !got.Equal(want) {
				t.Errorf("monitor %d next_run_at = %s, want %s", i+1, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
			}
		}
	})

	t.Run("ordering", func(t *testing.T) {
		wantOrder := make([]int64, len(times))
		for i := range times {
			wantOrder[i] = int64(i + 1)
		}
		sort.Slice(wantOrder, func(i, j int) bool { return times[wantOrder[i]-1].Before(times[wantOrder[j]-1]) })
		for _, cut := range []time.Time{
			base,
			base.Add(time.Microsecond),
			base.Add(time.Second),
			time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			var want []int64
			for i, ts := range times {
				if !ts.Truncate(time.Microsecond).After(cut) {
					want = append(want, int64(i+1))
				}
			}
			var got []int64
			if err := db.Raw("SELECT monitor_id FROM monitor_schedule WHERE next_run_at <= ? ORDER BY monitor_id", cut).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if !equalIDs(got, want) {
				t.Errorf("next_run_at <= %s: got %v, want %v", cut.Format(time.RFC3339Nano), got, want)
			}
			var order []int64
			if err := db.Raw("SELECT monitor_id FROM monitor_schedule ORDER BY next_run_at, monitor_id").Scan(&order).Error; err != nil {
				t.Fatal(err)
			}
			if !equalIDs(order, wantOrder) {
				t.Errorf("ORDER BY next_run_at = %v, want %v", order, wantOrder)
			}
		}
	})

	t.Run("column defaults read back", func(t *testing.T) {
		if err := db.Exec("INSERT INTO users (id, email, password_hash) VALUES (2, 'b@example.com', 'x')").Error; err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := db.Raw("SELECT created_at FROM users WHERE id = 2").Row().Scan(&got); err != nil {
			t.Fatalf("read defaulted created_at: %v", err)
		}
		if time.Since(got) > time.Minute || time.Since(got) < -time.Minute {
			t.Errorf("created_at = %s, want about now", got)
		}
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
