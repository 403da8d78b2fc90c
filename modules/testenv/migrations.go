package testenv

import (
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
