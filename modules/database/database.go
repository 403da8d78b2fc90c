// Package database opens BetterStack's database and keeps its schema.
//
// Two backends share one code path: PostgreSQL (gorm.io/driver/postgres, pgx
// v5) when a postgres:// URL is configured, and an embedded SQLite file
// (github.com/ncruces/go-sqlite3, pure Go, no cgo) otherwise. Modules get the
// *gorm.DB and the Dialect and write portable SQL; where the dialects differ
// (upserts, row locks) they branch on Dialect in their store.go.
//
// The schema is the numbered SQL files in migrations/<dialect>, applied by
// goose, one transaction each. On PostgreSQL goose holds an advisory session
// lock while migrating, so several processes starting at once apply each
// migration exactly once. On SQLite (one machine) an exclusive file lock
// beside the database file does the same, as goose has no SQLite lock.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ncruces/go-sqlite3/gormlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/betterstack/betterstack/migrations"
)

// Dialect names a database backend.
type Dialect string

// Dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// SQLiteTimeFormat is how times are written to SQLite: fixed width,
// microseconds, so text comparison in SQL orders them like time does. The
// driver writes a time in its own zone, so every store passes UTC times
// (gorm's NowFunc is UTC); a time with another offset would still be read
// back correctly but would not sort right against the others.
const SQLiteTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Config selects and tunes the database.
type Config struct {
	URL      string // postgres://...; empty = SQLite in DataDir
	DataDir  string
	MaxConns int
	Logger   *slog.Logger
}

// DB is an open database and the dialect its SQL must speak.
type DB struct {
	*gorm.DB
	Dialect Dialect
	Path    string // the SQLite file, empty on PostgreSQL
}

// Open connects to the configured database. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	gcfg := &gorm.Config{
		Logger:                                   logger.Discard,
		NowFunc:                                  func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		DisableForeignKeyConstraintWhenMigrating: true,
		TranslateError:                           true,
	}
	var (
		db   *DB
		gdb  *gorm.DB
		err  error
		path string
	)
	if cfg.URL != "" {
		gdb, err = gorm.Open(postgres.Open(cfg.URL), gcfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db = &DB{DB: gdb, Dialect: Postgres}
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data_dir %s: %w", cfg.DataDir, err)
		}
		path = filepath.Join(cfg.DataDir, "betterstack.db")
		dsn := "file:" + path + "?_timefmt=" + SQLiteTimeFormat +
			"&_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)" +
			"&_pragma=foreign_keys(on)&_pragma=synchronous(normal)"
		gdb, err = gorm.Open(gormlite.Open(dsn), gcfg)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		db = &DB{DB: gdb, Dialect: SQLite, Path: path}
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	maxConns := cfg.MaxConns
	if maxConns < 1 {
		maxConns = 10
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	return db, nil
}

// Close closes the connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// provider returns a goose provider and what to close after it. On SQLite
// goose gets its own connection with the driver's default time decoding:
// its version table stamps rows with datetime('now'), which the fixed
// format of our own connections cannot read back.
func (db *DB) provider() (*goose.Provider, func(), error) {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return nil, nil, err
	}
	done := func() {}
	if db.Dialect == SQLite {
		// goose has no lock for SQLite: take an exclusive file lock beside
		// the database, so processes starting together migrate one at a time.
		lockFile, err := os.OpenFile(db.Path+".migrate.lock", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("migration lock: %w", err)
		}
		if err := syscall.Flock(int(lockFile.Fd()), syscall.LOCK_EX); err != nil {
			lockFile.Close()
			return nil, nil, fmt.Errorf("migration lock: %w", err)
		}
		unlock := func() {
			_ = syscall.Flock(int(lockFile.Fd()), syscall.LOCK_UN)
			_ = lockFile.Close()
		}
		own, err := sql.Open("sqlite3", "file:"+db.Path+"?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=foreign_keys(on)")
		if err != nil {
			unlock()
			return nil, nil, err
		}
		own.SetMaxOpenConns(1)
		sqlDB, done = own, func() { _ = own.Close(); unlock() }
	}
	sub, err := fs.Sub(migrations.FS, string(db.Dialect))
	if err != nil {
		done()
		return nil, nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return p, done, nil
}

// Migration is one migration's state.
type Migration struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// MigrateUp applies every pending migration and returns the ones it applied.
func (db *DB) MigrateUp(ctx context.Context) ([]Migration, error) {
	p, done, err := db.provider()
	if err != nil {
		return nil, err
	}
	defer done()
	results, err := p.Up(ctx)
	var out []Migration
	for _, r := range results {
		if r.Error == nil {
			out = append(out, Migration{Version: r.Source.Version, Name: filepath.Base(r.Source.Path), Applied: true})
		}
	}
	if err != nil {
		return out, fmt.Errorf("migrate: %w", err)
	}
	return out, nil
}

// MigrateTo applies the pending migrations up to and including version;
// tests use it to build a database as an older release left it.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, done, err := db.provider()
	if err != nil {
		return err
	}
	defer done()
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}

// Status lists every known migration and whether it is applied.
func (db *DB) Status(ctx context.Context) ([]Migration, error) {
	p, done, err := db.provider()
	if err != nil {
		return nil, err
	}
	defer done()
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Migration, 0, len(st))
	for _, s := range st {
		out = append(out, Migration{
			Version:   s.Source.Version,
			Name:      filepath.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// ErrSchemaBehind means the database lacks migrations this binary needs.
var ErrSchemaBehind = errors.New("database schema is behind")

// EnsureSchema migrates when auto is true; otherwise it fails with
// ErrSchemaBehind when migrations are pending, naming the fix.
func (db *DB) EnsureSchema(ctx context.Context, auto bool, log *slog.Logger) error {
	if auto {
		applied, err := db.MigrateUp(ctx)
		for _, m := range applied {
			log.Info("migration applied", "version", m.Version, "name", m.Name)
		}
		return err
	}
	p, done, err := db.provider()
	if err != nil {
		return err
	}
	defer done()
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current < target {
		return fmt.Errorf("%w: it is at version %d, this binary needs %d; run `betterstack migrate up` or set BETTERSTACK_AUTO_MIGRATE=true", ErrSchemaBehind, current, target)
	}
	return nil
}

// SQLDB returns the underlying pool, for code that speaks database/sql.
func (db *DB) SQLDB() (*sql.DB, error) { return db.DB.DB() }
