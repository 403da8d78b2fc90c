package tick

import (
	"context"
	"time"
)

// Daily rollups are folded from closed hours.
//
// The ingest adds each check to its hour's rollup row only. Once an hour
// has been closed for FoldGrace, the alerter adds its row to its day's row
// and flags it folded, in one transaction (Fold). A day's figures are its
// daily row plus its hours not folded yet; every reader of days adds the
// two in one snapshot (store.days, sumsQuery, and the status pages'
// dailyUptime), so a fold changes no figure anyone reads.
//
// Why: adding every check to its day's row as well was the most expensive
// of a batch's five writes (15 of 62 ms a batch of 1,000, two batches at
// once), and a day's row was rewritten 1,440 times a day per monitor and
// region at 60 s. Folding writes it 24 times.
//
// A check that arrives after its hour was folded (a result that waited
// out a database outage, a worker's spool) is added to its hour's row and,
// by the same batch, to its day's row: the batch's upsert of the hour row
// says whether the row was folded, and the fold flags a row under the
// row's lock, which that upsert takes too. So either the fold sees the
// batch's checks in the row, or the batch sees the row folded; a check is
// in its day's row exactly once.

// FoldGrace is how long after an hour closes its rollup is folded into its
// day's: results arrive seconds after their slot, and a check arriving
// later still is added to both by the ingest.
const FoldGrace = 5 * time.Minute

// foldChunk is how many hour rows one fold transaction takes (a variable
// for tests).
var foldChunk = 5000

// foldBefore is the first hour bucket not yet foldable at now: hours that
// closed more than FoldGrace ago are.
func foldBefore(now time.Time) time.Time {
	return now.UTC().Add(-time.Hour - FoldGrace)
}

// Fold folds every hour row that closed more than FoldGrace before now
// into its day's row, foldChunk rows a transaction, and
// returns how many it folded. Several alerters may fold at once: each
// takes rows the others do not hold.
func (s *Service) Fold(ctx context.Context, now time.Time) (int, error) {
	before := foldBefore(now)
	total := 0
	for ctx.Err() == nil {
		n, err := s.store.foldHours(ctx, before, foldChunk)
		total += n
		if err != nil || n < foldChunk {
			return total, err
		}
	}
	return total, ctx.Err()
}

// RunFold folds closed hours into their days every `every` until ctx is
// done.
func (s *Service) RunFold(ctx context.Context, every time.Duration) error {
	for {
		start := time.Now()
		n, err := s.Fold(ctx, s.cfg.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("fold hourly rollups into days", "err", err, "folded", n)
		case n > 0:
			s.log.Info("folded hourly rollups into days", "rows", n, "took", time.Since(start).Round(time.Millisecond))
		}
		sleep(ctx, every)
		if ctx.Err() != nil {
			return nil
		}
	}
}
