package tick

import (
	"context"
	"time"

	"gorm.io/gorm"

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
// their days first (Fold), so no hour is deleted before its day has it,
// and clears region rows' open hours (RegionState.Hour) older than the
// rollups' cutoff, counting each as a row.
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
	// Open hours of regions no longer checked (removed, paused, their
	// monitor deleted) stay in their state rows; those older than the
	// rollups' cutoff go as their hour rows do.
	for ctx.Err() == nil {
		n, err := s.store.clearOpenHours(ctx, now.Add(-r.Rollups).UTC(), r.Batch)
		total += n
		if err != nil {
			return total, err
		}
		if n < int64(r.Batch) {
			break
		}
		sleep(ctx, r.Pause)
	}
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

// clearOpenHours clears the open hours (RegionState.Hour) that started
// before cutoff, of at most limit monitors, and returns how many it
// cleared. It takes the monitors' state rows' locks in id order, as the
// ingest does, and adds one to their versions, so an alerter's cached
// region states (stateCache) are read again rather than write the hour
// back. A region row whose open hour moved on meanwhile is left alone.
func (s *store) clearOpenHours(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	var cleared int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Raw(`SELECT DISTINCT monitor_id FROM monitor_region_state WHERE hour_checks > 0 AND hour_bucket < ?
			ORDER BY monitor_id LIMIT ?`, cutoff, limit).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		in, inArgs := s.inList(ids)
		if s.db.Dialect == database.Postgres {
			if err := s.exec(tx, "SELECT FROM monitor_state WHERE monitor_id "+in+" ORDER BY monitor_id FOR UPDATE", inArgs...); err != nil {
				return err
			}
		}
		if err := s.exec(tx, "UPDATE monitor_state SET version = version + 1 WHERE monitor_id "+in, inArgs...); err != nil {
			return err
		}
		res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, s.rebind(`UPDATE monitor_region_state SET hour_bucket = NULL,
			hour_checks = 0, hour_failures = 0, hour_degraded = 0, hour_latency_sum = 0, hour_latency_min = 0, hour_latency_max = 0,
			hour_hist = NULL WHERE hour_checks > 0 AND hour_bucket < ? AND monitor_id `+in), append([]any{cutoff}, inArgs...)...)
		if err != nil {
			return err
		}
		cleared, err = res.RowsAffected()
		return err
	})
	return cleared, err
}
