package statuspage

import (
	"context"
	"time"
)

// Limiter counts failed password attempts per key in fixed windows; the
// auth module's RedisLimiter fits, and shares the counts between processes,
// and its NewMemoryLimiter counts in this process when there is no Redis.
type Limiter interface {
	Blocked(ctx context.Context, key string, limit int) (bool, time.Duration, error)
	Hit(ctx context.Context, key string) error
	Reset(ctx context.Context, key string) error
	Take(ctx context.Context, key string, limit int) (bool, time.Duration, error)
	Undo(ctx context.Context, key string) error
}
