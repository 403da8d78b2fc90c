package tick

import (
	"context"
	"time"
)

// Where a check is counted: its region's open hour, its hour's row, or its
// day's row, and exactly one of them.
//
// The open hour. The ingest counts a check in its region's state row
// (RegionState.Hour, migration 00015), which the batch writes for every
// check anyway. When the region's first check of a later hour arrives, the
// open hour goes into rollups_hourly (one row written once per region and
// hour) and the new check opens the next; a check for an hour before the
// open one (late: a worker's spool, a batch redelivered after an outage)
// is added to its hour's row directly (countHour). A region no longer
// checked keeps its last open hour in its state row. Readers add the open
// hours to the rows (rowsOf, and the status pages' dailyUptime) in the
// same snapshot, so a check is counted once whichever place holds it.
//
// Why: the upsert of a check's hour row (a probe, a row lock and a new
// version of a 25-column row, for every check) was half of the ticks'
// statement, and the largest single cost of ingest (BenchmarkStore at
// 200,000 monitors, two batches at once, five runs each in turns: 41,700
// to 50,200 ticks/s with it, 52,300 to 57,500 with the open hour). The
// state row grew by eight columns for it, the latency histogram one array
// column (hour_hist) because fifteen more array parameters a batch cost a
// tenth of the rate. The price is the first minute of each hour, when
// every region's first check writes its closed hour's row: 37,800 to
// 40,300 ticks/s while every check closes one (BENCH_HOUR_TURN=1).
//
// Daily rollups are folded from closed hours. Once an hour has been
// closed for FoldGrace, the alerter adds its row to its day's row and
// flags it folded, in one transaction (Fold). A day's figures are its
// daily row plus its hours not folded yet plus its open hours; every
// reader of days adds them in one snapshot (store.days, sumsQuery, and the
// status pages' dailyUptime), so a fold changes no figure anyone reads.
//
// Why: adding every check to its day's row as well was the most expensive
// of a batch's five writes (15 of 62 ms a batch of 1,000, two batches at
// once), and a day's row was rewritten 1,440 times a day per monitor and
// region at 60 s. Folding writes it 24 times.
//
// A check that arrives after its hour was folded (a result that waited
// out a database outage, a worker's spool), and an open hour that closes
// after its hour's older row was folded (written before migration 00015),
// is added to its hour's row and, by the same batch, to its day's row: the
// batch's upsert of the hour row says whether the row was folded, and the
// fold flags a row under the row's lock, which that upsert takes too. So
// either the fold sees the batch's checks in the row, or the batch sees
// the row folded; a check is in its day's row exactly once.

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
