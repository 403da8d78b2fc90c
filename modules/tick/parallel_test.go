package tick_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/tick"
)

// TestParallelBatchesOnSharedMonitors stores batches at once that share
// monitors (two regions of each, in shuffled order, redeliveries mixed in),
// as the alerter's parallel loops and several alerters do. Every batch must
// commit (no deadlock between them), every slot be stored once, and each
// region's run of failures count every failed slot exactly once.
func TestParallelBatchesOnSharedMonitors(t *testing.T) {
	db, _ := MustDB(t)
	ids := MustMonitors(t, db, 40)
	svc := tick.New(db, nil, tick.Config{}, discard, nil)
	start := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	const slots = 6
	var all []queue.Result
	for s := range slots {
		for _, id := range ids {
			for _, region := range []string{"eu", "us"} {
				at := start.Add(time.Duration(s) * time.Minute)
				all = append(all, queue.Result{MonitorID: id, Region: region, WorkerID: "w", ScheduledAt: at,
					Result: probe.Result{Status: probe.StatusDown, ErrorClass: probe.ErrorClass("timeout"), CheckedAt: at}})
			}
		}
	}
	// Batches of one slot each, stored slot after slot but eight at once
	// within a slot (regions split, shuffled, a quarter redelivered).
	for s := range slots {
		part := all[s*len(ids)*2 : (s+1)*len(ids)*2]
		rand.Shuffle(len(part), func(i, j int) { part[i], part[j] = part[j], part[i] })
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			lo, hi := w*len(part)/8, (w+1)*len(part)/8
			batch := append([]queue.Result{}, part[lo:hi]...)
			batch = append(batch, part[(hi)%len(part):(hi)%len(part)+len(part)/32]...) // redelivered from a neighbour
			wg.Go(func() { errs <- svc.Store(context.Background(), batch) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("slot %d: %v", s, err)
			}
		}
	}
	var ticks int64
	if err := db.Raw("SELECT count(*) FROM ticks").Scan(&ticks).Error; err != nil {
		t.Fatal(err)
	}
	if want := int64(slots * len(ids) * 2); ticks != want {
		t.Fatalf("stored %d ticks, want %d (each slot once)", ticks, want)
	}
	var wrong int64
	if err := db.Raw("SELECT count(*) FROM monitor_region_state WHERE consecutive_failures <> ?", slots).Scan(&wrong).Error; err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Fatalf("%d region states do not count %d failures", wrong, slots)
	}
	var checks int64
	if err := db.Raw("SELECT (SELECT coalesce(sum(checks), 0) FROM rollups_hourly) + (SELECT coalesce(sum(hour_checks), 0) FROM monitor_region_state)").
		Scan(&checks).Error; err != nil {
		t.Fatal(err)
	}
	if checks != ticks {
		t.Fatalf("hourly rollups and open hours count %d checks for %d ticks", checks, ticks)
	}
}
