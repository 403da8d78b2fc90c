package selfcheck

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"github.com/betterstack/betterstack/modules/database"
)

// leaderLock is the advisory lock key of the self-check's leader ("sc" "ld").
const leaderLock = 0x7363006c

// leader decides which alerter calls the dead-man's switch and sends
// operator alerts. On PostgreSQL it holds a session advisory lock on a
// connection of its own; on SQLite the one process leads.
type leader struct {
	db *database.DB

	mu   sync.Mutex
	conn *sql.Conn // holds the lock; nil when not leading
}

// lead reports whether this process leads, taking the lock if it is free.
func (l *leader) lead(ctx context.Context, log *slog.Logger) bool {
	if l.db.Dialect != database.Postgres {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.PingContext(ctx); err == nil {
			return true
		}
		// The connection is gone, and the lock with it.
		l.dropLocked()
		log.Warn("self-check leadership lost: its database connection failed")
	}
	sqlDB, err := l.db.DB.DB()
	if err != nil {
		return false
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return false
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", leaderLock).Scan(&ok); err != nil || !ok {
		_ = conn.Close()
		return false
	}
	l.conn = conn
	log.Info("self-check leader: this alerter calls the dead-man's switch and sends operator alerts")
	return true
}

// dropLocked unlocks (in case the connection still lives, so it does not
// go back to the pool holding the lock) and closes. Callers hold l.mu.
func (l *leader) dropLocked() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", leaderLock)
	_ = l.conn.Close()
	l.conn = nil
}

// release gives up leadership (at shutdown).
func (l *leader) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		l.dropLocked()
	}
}
