package testenv

import (
	"database/sql"
	"io/fs"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/betterstack/betterstack/migrations"
	"github.com/betterstack/betterstack/modules/database"
)

// PostgresMigrations is a goose provider over db's PostgreSQL migrations,
// for tests that go down to an older schema and up again.
func PostgresMigrations(t *testing.T, db *database.DB) *goose.Provider {
	t.Helper()
	sub, err := fs.Sub(migrations.FS, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Migrations is a goose provider over db's migrations of its dialect, for
// tests that go down to an older schema and up again. On SQLite it uses a
// connection of its own with the driver's default time decoding, as
// database.DB's migrations do (goose stamps its version rows with
// datetime('now')).
func Migrations(t *testing.T, db *database.DB) *goose.Provider {
	t.Helper()
	if db.Dialect == database.Postgres {
		return PostgresMigrations(t, db)
	}
	sub, err := fs.Sub(migrations.FS, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	own, err := sql.Open("sqlite3", "file:"+db.Path+"?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=foreign_keys(on)")
	if err != nil {
		t.Fatal(err)
	}
	own.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = own.Close() })
	p, err := goose.NewProvider(goose.DialectSQLite3, own, sub)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
