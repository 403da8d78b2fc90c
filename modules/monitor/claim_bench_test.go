package monitor_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/testenv"
)

// BenchmarkClaimDue measures the pusher's claim on PostgreSQL with a large
// install: BENCH_MONITORS (default 200,000) HTTP monitors at 60 s, every
// one due, claimed in batches of 1,000 and moved a minute on, as the
// pusher does. b.N counts monitors claimed; the dead index entries each
// claim leaves behind are part of what the next one pays.
func BenchmarkClaimDue(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_MONITORS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db := testenv.MustDatabase(b, "postgres")
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('claim@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		b.Fatal(err)
	}
	ws := testenv.Workspace(b, db, uid)
	svc := monitor.New(db, monitor.Config{MinInterval: time.Second}, discard)
	start := time.Now().UTC().Add(-time.Hour)
	for lo := 1; lo <= n; lo += 5000 {
		ms := make([]monitor.Monitor, 0, 5000)
		for id := lo; id < lo+5000 && id <= n; id++ {
			h := probe.NewHTTP()
			h.URL = fmt.Sprintf("http://127.0.0.1:9/m/%d", id)
			spec, err := probe.SpecOf("http", h)
			if err != nil {
				b.Fatal(err)
			}
			due := start.Add(time.Duration(id%60000) * time.Millisecond)
			ms = append(ms, monitor.Monitor{ID: int64(id), Name: fmt.Sprint("m", id), Check: spec, Target: h.URL, IntervalSeconds: 60,
				TimeoutMS: 5000, FailureThreshold: 2, RecoveryThreshold: 2, NextRunAt: &due})
		}
		if err := svc.Seed(ctx, ws, ms); err != nil {
			b.Fatal(err)
		}
	}
	at := start.Add(time.Hour)
	// read: every claimed monitor read and decoded (SQLite's way, and the
	// first claim of each); known: the caller's copies reused, as the
	// pusher's memory is once it has claimed each monitor once.
	for _, mode := range []string{"read", "known"} {
		b.Run(mode, func(b *testing.B) {
			mine := map[int64]monitor.Monitor{}
			c := monitor.Claim{}
			if mode == "known" {
				c.Known = func(id int64) (monitor.Monitor, bool) { m, ok := mine[id]; return m, ok }
			}
			claimed := 0
			for claimed < b.N {
				got, err := svc.ClaimDueWith(ctx, at, 1000, c, func(ms []monitor.Monitor) (map[int64]time.Time, error) {
					next := make(map[int64]time.Time, len(ms))
					for _, m := range ms {
						next[m.ID] = m.NextRunAt.Add(time.Hour)
						mine[m.ID] = m
					}
					return next, nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if got == 0 {
					at = at.Add(time.Hour) // everything moved on: the next round is due
					continue
				}
				claimed += got
			}
			b.ReportMetric(float64(claimed)/b.Elapsed().Seconds(), "claims/s")
		})
	}
}
