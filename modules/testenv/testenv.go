// Package testenv gives tests their own real PostgreSQL database and Redis
// key prefix.
//
// Tests that need a service call MustPostgres or MustRedis. When the service
// is not reachable the test is skipped with the reason, unless
// BETTERSTACK_TEST_STRICT=1, which turns a missing service into a failure so
// CI can never pass by skipping. Addresses come from
// BETTERSTACK_TEST_DATABASE_URL and BETTERSTACK_TEST_REDIS_URL and default to
// the standard local ports.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/database"
)

// DefaultPostgresURL is used when BETTERSTACK_TEST_DATABASE_URL is empty.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DefaultRedisURL is used when BETTERSTACK_TEST_REDIS_URL is empty.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// Strict reports whether a missing service must fail the test.
func Strict() bool { return os.Getenv("BETTERSTACK_TEST_STRICT") == "1" }

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if Strict() {
		t.Fatalf("%s is required (BETTERSTACK_TEST_STRICT=1) but unreachable: %v", what, err)
	}
	t.Skipf("skipping: %s unreachable (%v); set BETTERSTACK_TEST_STRICT=1 to make this a failure", what, err)
}

// Suffix returns a short random name part for databases and key prefixes.
func Suffix() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// MustPostgres creates an empty database for this test and returns its URL.
// The database is dropped when the test ends.
func MustPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("BETTERSTACK_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		unavailable(t, "PostgreSQL", err)
		return ""
	}
	defer conn.Close(context.Background())
	name := "bstest_" + Suffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("BETTERSTACK_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustRedis returns the test Redis URL, a client on it and a key prefix that
// belongs to this test alone ("bstest:<random>:"). Keys under the prefix are
// deleted when the test ends.
func MustRedis(t testing.TB) (string, *redis.Client, string) {
	t.Helper()
	raw := os.Getenv("BETTERSTACK_TEST_REDIS_URL")
	if raw == "" {
		raw = DefaultRedisURL
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("BETTERSTACK_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		unavailable(t, "Redis", err)
		return "", nil, ""
	}
	prefix := "bstest:" + Suffix() + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
		_ = client.Close()
	})
	return raw, client, prefix
}

// AllowConnections makes the test database at dbURL reachable or not. Off,
// it refuses new connections and ends the open ones: a real outage, as the
// application sees it. A cleanup turns it back on before the database is
// dropped.
func AllowConnections(t testing.TB, dbURL string, allow bool) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := os.Getenv("BETTERSTACK_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("admin connection: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", pgx.Identifier{name}.Sanitize(), allow)); err != nil {
		t.Fatalf("alter database: %v", err)
	}
	if allow {
		return
	}
	t.Cleanup(func() { AllowConnections(t, dbURL, true) })
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		t.Fatalf("terminate connections: %v", err)
	}
}

// Backends are the storage backends tests run the same body against.
var Backends = []string{"sqlite", "postgres"}

// MustDatabase opens a migrated database of the given backend ("sqlite" in
// a temporary directory, "postgres" as a database of its own) and closes it
// when the test ends.
func MustDatabase(t testing.TB, backend string) *database.DB {
	t.Helper()
	cfg := database.Config{DataDir: t.TempDir()}
	if backend == "postgres" {
		cfg.URL = MustPostgres(t)
	}
	ctx := context.Background()
	db, err := database.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", backend, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("migrate %s: %v", backend, err)
	}
	return db
}

// Workspace gives the user userID (a row the test inserted) a workspace of
// its own, where it is the owner, and returns the workspace's id. Tests
// that write owned rows directly put them in it (the first one made in a
// fresh database has id 1).
func Workspace(t testing.TB, db *database.DB, userID int64) int64 {
	t.Helper()
	now := time.Now().UTC()
	var id int64
	if err := db.Raw("INSERT INTO workspaces (key, name, created_at) VALUES (?, ?, ?) RETURNING id",
		fmt.Sprintf("ws-%d", userID), fmt.Sprintf("workspace of user %d", userID), now).Scan(&id).Error; err != nil {
		t.Fatalf("insert workspace: %v", err)
	}
	if err := db.Exec("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)", id, userID, now).Error; err != nil {
		t.Fatalf("insert membership: %v", err)
	}
	return id
}
