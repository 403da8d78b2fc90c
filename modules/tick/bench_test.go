package tick

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// BenchmarkStore measures ingest: batches of 500 results (500 monitors, one
// region) stored in one transaction with their state, as the alerter does.
// b.N counts results; ns/op is per stored tick.
func BenchmarkStore(b *testing.B) {
	for _, backend := range []string{"postgres", "sqlite"} {
		for _, parallel := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/batches_at_once=%d", backend, parallel), func(b *testing.B) { benchStore(b, backend, parallel) })
		}
	}
}

// benchStore stores b.N results in batches of 500, `parallel` batches at a
// time on disjoint monitors (as several alerter consumers would).
func benchStore(b *testing.B, backend string, parallel int) {
	{
		{
			ctx := context.Background()
			db := testenv.MustDatabase(b, backend)
			monitors := 500 * parallel
			now := time.Now().UTC().Truncate(time.Microsecond)
			if err := db.Exec("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('b@example.com', 'x', ?, ?)", now, now).Error; err != nil {
				b.Fatal(err)
			}
			testenv.Workspace(b, db, 1)
			for id := 1; id <= monitors; id++ {
				if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
					VALUES (?, 1, ?, 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, id, fmt.Sprint("m", id), now, now).Error; err != nil {
					b.Fatal(err)
				}
			}
			svc := New(db, nil, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
			b.ResetTimer()
			var g errgroup.Group
			for p := 0; p < parallel; p++ {
				g.Go(func() error {
					batch := make([]queue.Result, 500)
					slot := now
					for done := 0; done < b.N/parallel; done += 500 {
						slot = slot.Add(time.Second)
						for i := range batch {
							batch[i] = queue.Result{JobID: fmt.Sprint(i), MonitorID: int64(p*500 + i + 1), Region: "eu", WorkerID: "w", ScheduledAt: slot,
								Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 1.5, CheckedAt: slot}}
						}
						if err := svc.Store(ctx, batch); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		}
	}
}
