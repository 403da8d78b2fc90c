package queue

import "time"

// Config holds the settings shared by both queue implementations. The zero
// value is usable: every empty field takes its default.
type Config struct {
	// Prefix starts every Redis key ("bs:" by default). It must not contain
	// '{' or '}': the region's hash tag must be the first one in each key.
	// Memory ignores it.
	Prefix string
	// JobDedupeTTL is how long a published job ID (per region) is
	// remembered, so a second publish of the same slot is skipped.
	// Default 10m.
	JobDedupeTTL time.Duration
	// JobStreamMaxLen caps each region's job stream as a safety net against
	// a region without workers; the oldest jobs are trimmed first (Redis
	// trims approximately, never below the cap). Default 1,000,000. The
	// results streams are never trimmed by length.
	JobStreamMaxLen int64
	// WaitReplicas, when above 0, makes PublishJobs wait (WAIT) until that
	// many replicas hold the jobs it appended, and fail with
	// ErrNotReplicated when they do not within WaitTimeout: a published job
	// then survives a failover. 0 (the default) does not wait. Memory
	// ignores it.
	WaitReplicas int
	// WaitTimeout bounds that wait. Default 1s.
	WaitTimeout time.Duration
	// Now is the clock used for heartbeats and, in Memory, for idle times
	// and dedupe expiry. Default time.Now.
	Now func() time.Time
}

// Defaults for the empty fields of Config.
const (
	DefaultPrefix          = "bs:"
	DefaultJobDedupeTTL    = 10 * time.Minute
	DefaultJobStreamMaxLen = 1_000_000
	DefaultWaitTimeout     = time.Second
)

// withDefaults returns cfg with every empty field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.JobDedupeTTL <= 0 {
		cfg.JobDedupeTTL = DefaultJobDedupeTTL
	}
	// Redis expiries have millisecond resolution; PX 0 is an error.
	cfg.JobDedupeTTL = max(cfg.JobDedupeTTL, time.Millisecond)
	if cfg.JobStreamMaxLen <= 0 {
		cfg.JobStreamMaxLen = DefaultJobStreamMaxLen
	}
	cfg.WaitReplicas = max(cfg.WaitReplicas, 0)
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	// WAIT counts whole milliseconds, and 0 would wait forever.
	cfg.WaitTimeout = max(cfg.WaitTimeout, time.Millisecond)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}
