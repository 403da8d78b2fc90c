package tick

import (
	"context"
	"time"

	"github.com/betterstack/betterstack/modules/database"
)

// Retention says how long ticks and rollups are kept.
type Retention struct {
	Ticks   time.Duration
	Rollups time.Duration
	Batch   int           // rows per DELETE (default 5,000)
	Pause   time.Duration // between batches, so ingest keeps the database (default 50ms)
}

// Prune removes ticks and rollups older than the retention and returns the
// rows it deleted one by one.
//
// On PostgreSQL a day's ticks go with their partition once the whole day is
// older than the cutoff (see PlanPartitions; dropped partitions are logged,
// not counted); ticks in ticks_default (late or skewed slots) and rollups
// are deleted in batches. On SQLite every table is pruned in batches.
// A batch is Batch rows, each its own short statement: no long lock, and an
// interrupted prune loses nothing but time. It folds closed hours into
// their days first (Fold), so no hour is deleted before its day has it.
func (s *Service) Prune(ctx context.Context, r Retention, now time.Time) (int64, error) {
	if r.Batch <= 0 {
		r.Batch = 5000
	}
	if r.Pause <= 0 {
		r.Pause = 50 * time.Millisecond
	}
	if _, err := s.Fold(ctx, now); err != nil {
		return 0, err
	}
	if s.store.db.Dialect == database.Postgres {
		start := time.Now()
		dropped, err := s.dropOldPartitions(ctx, now, r.Ticks)
		if len(dropped) > 0 {
			s.log.Info("dropped tick partitions", "partitions", dropped, "took", time.Since(start).Round(time.Millisecond))
		}
		if err != nil {
			return 0, err
		}
	}
	steps := []struct {
		table  string
		cutoff time.Time
	}{
		{"ticks", now.Add(-r.Ticks)},
		{hourlyTable, now.Add(-r.Rollups)},
		{dailyTable, now.Add(-r.Rollups)},
	}
	var total int64
	for _, st := range steps {
		for ctx.Err() == nil {
			n, err := s.store.pruneBatch(ctx, st.table, st.cutoff.UTC(), r.Batch)
			total += n
			if err != nil {
				return total, err
			}
			if n < int64(r.Batch) {
				break
			}
			sleep(ctx, r.Pause)
		}
	}
	return total, ctx.Err()
}

// RunRetention prunes every `every` (first a minute after start) until ctx
// is done.
func (s *Service) RunRetention(ctx context.Context, r Retention, every time.Duration) error {
	wait := time.Minute
	for {
		sleep(ctx, wait)
		if ctx.Err() != nil {
			return nil
		}
		wait = every
		start := time.Now()
		n, err := s.Prune(ctx, r, s.cfg.Now().UTC())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("prune old ticks and rollups", "err", err, "deleted", n)
		case n > 0:
			s.log.Info("pruned old ticks and rollups", "deleted", n, "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

// pruneBatch deletes up to limit rows of table older than cutoff. On
// PostgreSQL ticks are deleted only from ticks_default, by ctid (the
// partitioned table has no id): day partitions go whole, and deleting the
// early hours of the day at the cutoff would bring back the dead rows that
// dropping partitions avoids.
func (s *store) pruneBatch(ctx context.Context, table string, cutoff time.Time, limit int) (int64, error) {
	q := "DELETE FROM ticks WHERE id IN (SELECT id FROM ticks WHERE scheduled_at < ? LIMIT ?)"
	switch {
	case table != "ticks":
		q = "DELETE FROM " + table + " WHERE (monitor_id, bucket, region) IN (SELECT monitor_id, bucket, region FROM " +
			table + " WHERE bucket < ? LIMIT ?)"
	case s.db.Dialect == database.Postgres:
		q = "DELETE FROM ticks_default WHERE ctid = ANY(ARRAY(SELECT ctid FROM ticks_default WHERE scheduled_at < ? LIMIT ?))"
	}
	res := s.db.WithContext(ctx).Exec(q, cutoff, limit)
	return res.RowsAffected, res.Error
}
