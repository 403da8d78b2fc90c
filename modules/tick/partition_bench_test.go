package tick_test

import (
	"context"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

// benchDayRows is how many ticks the retention benchmark removes: one day
// of 1,000 monitors in one region at one check every 86.4 s.
const benchDayRows = 1_000_000

// seedDay inserts benchDayRows ticks scheduled within the UTC day of day
// and vacuums, so each way of removing them starts from settled pages.
func seedDay(b *testing.B, db *database.DB, day time.Time) {
	b.Helper()
	if err := db.Exec(`INSERT INTO ticks (monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code, latency_ms)
		SELECT g % 1000 + 1, 'eu', 'w-eu', CAST(? AS timestamptz) + (g / 1000) * interval '86.4 seconds',
			CAST(? AS timestamptz) + (g / 1000) * interval '86.4 seconds', 'up', 200, 12
		FROM generate_series(0, ? - 1) g`, day, day, benchDayRows).Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Exec("VACUUM ANALYZE ticks").Error; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRetentionDay compares removing one day of ticks (1M rows) on
// PostgreSQL: dropping its partition (Prune now), deleting it in batches of
// 5,000 as Prune did before migration 00010 (the 00009 schema and
// statement; without the 50 ms pauses between batches), and Prune's batches
// over the same rows in ticks_default. vacuum_ms is the VACUUM the deletes
// leave behind. Run it with
//
//	BETTERSTACK_TEST_STRICT=1 go test ./modules/tick/ -run '^$' -bench RetentionDay -benchtime 1x
func BenchmarkRetentionDay(b *testing.B) {
	ctx := context.Background()
	now := time.Now().UTC()
	old := day(now, -40)
	vacuum := func(b *testing.B, db *database.DB) {
		start := time.Now()
		if err := db.Exec("VACUUM ticks").Error; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "vacuum_ms")
	}
	b.Run("drop_partition", func(b *testing.B) {
		db := testenv.MustDatabase(b, "postgres")
		svc := tick.New(db, nil, tick.Config{}, discard, nil)
		keep := tick.Retention{Ticks: 24 * time.Hour, Rollups: 400 * 24 * time.Hour}
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			if _, err := svc.EnsurePartitions(ctx, old.AddDate(0, 0, -tick.PartitionDaysAhead)); err != nil {
				b.Fatal(err)
			}
			// Drop the empty days before old first: the timed prune drops old alone.
			if _, err := svc.Prune(ctx, keep, old.Add(keep.Ticks)); err != nil {
				b.Fatal(err)
			}
			seedDay(b, db, old)
			b.StartTimer()
			if _, err := svc.Prune(ctx, keep, old.Add(24*time.Hour+keep.Ticks)); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if n := countTicks(b, db, "ticks"); n != 0 {
				b.Fatalf("%d ticks left", n)
			}
		}
	})
	b.Run("batched_delete_before_00010", func(b *testing.B) {
		db, err := database.Open(ctx, database.Config{URL: testenv.MustPostgres(b)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		if err := db.MigrateTo(ctx, 9); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			seedDay(b, db, old)
			b.StartTimer()
			for {
				res := db.Exec("DELETE FROM ticks WHERE id IN (SELECT id FROM ticks WHERE scheduled_at < ? LIMIT ?)", old.AddDate(0, 0, 1), 5000)
				if res.Error != nil {
					b.Fatal(res.Error)
				}
				if res.RowsAffected < 5000 {
					break
				}
			}
			b.StopTimer()
			vacuum(b, db)
		}
	})
	b.Run("batched_delete_default_partition", func(b *testing.B) {
		db := testenv.MustDatabase(b, "postgres")
		svc := tick.New(db, nil, tick.Config{}, discard, nil)
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			seedDay(b, db, old) // no partition for that day: all in ticks_default
			if n := countTicks(b, db, "ticks_default"); n != benchDayRows {
				b.Fatalf("%d ticks in ticks_default, want %d", n, benchDayRows)
			}
			b.StartTimer()
			n, err := svc.Prune(ctx, tick.Retention{Ticks: 24 * time.Hour, Rollups: 400 * 24 * time.Hour, Pause: time.Nanosecond}, old.AddDate(0, 0, 2))
			if err != nil || n != benchDayRows {
				b.Fatalf("pruned %d, %v", n, err)
			}
			b.StopTimer()
			vacuum(b, db)
		}
	})
}
