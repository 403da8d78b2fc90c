package tick

import (
	"context"
	"time"
)

// Retention says how long ticks and rollups are kept.
type Retention struct {
	Ticks   time.Duration
	Rollups time.Duration
	Batch   int           // rows per DELETE (default 5,000)
	Pause   time.Duration // between batches, so ingest keeps the database (default 50ms)
}

// Prune deletes ticks and rollups older than the retention, in batches of
// Batch rows, each its own short statement: no long lock, and an
// interrupted prune loses nothing but time. It returns the rows deleted.
//
// PostgreSQL partitioning (dropping a day's partition at once) would be
// cheaper per row, but it needs partitions created ahead of the data and a
// default partition for late or skewed slots; at the pipeline's rate
// (1,667 ticks/s at 100k monitors) batched deletes over a BRIN index keep up
// with room to spare, on both backends with one code path.
func (s *Service) Prune(ctx context.Context, r Retention, now time.Time) (int64, error) {
	if r.Batch <= 0 {
		r.Batch = 5000
	}
	if r.Pause <= 0 {
		r.Pause = 50 * time.Millisecond
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
