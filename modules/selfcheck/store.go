package selfcheck

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/probe"
)

// store reads the pipeline's tables; it writes nothing. It reads monitors
// (owned by package monitor) and ticks (package tick) directly rather than
// through new methods there: these are a handful of read-only aggregates
// on existing indexes, and the observer should not need a change in every
// module it watches (tick is also kept stable while this lands).
type store struct {
	db *database.DB
}

// due is the pusher stage: monitors whose slot has passed.
type due struct {
	Overdue int64     // due more than PusherGrace ago
	Oldest  time.Time // the oldest next_run_at that has passed (zero: none)
}

// overdueCap bounds the count: beyond it the number no longer matters and
// the lag tells the story.
const overdueCap = 100000

// pusherDue reads the schedule's due index (monitor_schedule.next_run_at,
// NULL for a monitor the pusher does not schedule).
func (s *store) pusherDue(ctx context.Context, now time.Time) (due, error) {
	var d due
	db := s.db.WithContext(ctx)
	var first []struct{ NextRunAt time.Time }
	if err := db.Raw("SELECT next_run_at FROM monitor_schedule WHERE next_run_at <= ? ORDER BY next_run_at LIMIT 1", now.UTC()).
		Scan(&first).Error; err != nil {
		return d, err
	}
	if len(first) == 0 {
		return d, nil
	}
	d.Oldest = first[0].NextRunAt
	err := db.Raw("SELECT COUNT(*) FROM (SELECT 1 FROM monitor_schedule WHERE next_run_at <= ? LIMIT ?) AS overdue",
		now.Add(-PusherGrace).UTC(), overdueCap).Scan(&d.Overdue).Error
	return d, err
}

// scheduled describes the monitors workers run.
type scheduled struct {
	Count    int64
	Shortest time.Duration
	// Regions are the regions named by monitors; AnyRegion is true when a
	// monitor names none (it runs in every live region).
	Regions   map[string]bool
	AnyRegion bool
}

// scheduledMonitors scans the unpaused scheduled monitors' interval and
// regions (one pass over the table, every sample; a few ms at 100k).
func (s *store) scheduledMonitors(ctx context.Context) (scheduled, error) {
	out := scheduled{Regions: map[string]bool{}}
	skip := unscheduledKinds()
	q := func() *gorm.DB {
		q := s.db.WithContext(ctx).Table("monitors").Where("NOT paused")
		if len(skip) > 0 {
			q = q.Where("kind NOT IN ?", skip)
		}
		return q
	}
	var agg struct {
		N        int64
		Shortest *int64
	}
	if err := q().Select("COUNT(*) AS n, MIN(interval_seconds) AS shortest").Scan(&agg).Error; err != nil {
		return out, err
	}
	out.Count = agg.N
	if agg.Shortest != nil {
		out.Shortest = time.Duration(*agg.Shortest) * time.Second
	}
	if out.Count == 0 {
		return out, nil
	}
	var lists []string
	if err := q().Distinct("regions").Pluck("regions", &lists).Error; err != nil {
		return out, err
	}
	for _, raw := range lists {
		var names []string
		if err := json.Unmarshal([]byte(raw), &names); err != nil || len(names) == 0 {
			out.AnyRegion = true
			continue
		}
		for _, n := range names {
			out.Regions[n] = true
		}
	}
	return out, nil
}

// newestTick is when the newest stored result was checked, from the
// monitors' states (ingest writes a monitor's last check there with every
// batch): one pass over a row per monitor. Ticks are not sorted by insertion
// any more (partitioned by day on PostgreSQL, without an id), and the
// newest of a day's ticks would mean sorting millions of rows.
func (s *store) newestTick(ctx context.Context) (time.Time, error) {
	var rows []struct{ LastCheckedAt time.Time }
	err := s.db.WithContext(ctx).Raw("SELECT last_checked_at FROM monitor_state WHERE last_checked_at IS NOT NULL ORDER BY last_checked_at DESC LIMIT 1").
		Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return time.Time{}, err
	}
	return rows[0].LastCheckedAt.UTC(), nil
}

// unscheduledKinds names the registered kinds workers never run
// (heartbeats): their monitors have no due slot the pusher owes.
func unscheduledKinds() []string {
	var out []string
	for _, k := range probe.Kinds() {
		if !k.Scheduled {
			out = append(out, k.Name)
		}
	}
	return out
}
