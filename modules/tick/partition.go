package tick

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
)

// On PostgreSQL ticks is partitioned by UTC day (migration 00010): one
// partition ticks_pYYYYMMDD per day, [midnight, next midnight), and
// ticks_default for a tick whose day has none. This file decides which
// partitions to create and drop (PlanPartitions, pure) and does it. Its
// queries live here rather than in store.go because they touch the catalog,
// not rows the rest of the package reads.

// PartitionDaysAhead is how many days after today the alerter keeps
// partitions for, so a day's ticks never wait for its partition.
const PartitionDaysAhead = 7

// partitionLock is the advisory lock key that serialises partition upkeep
// between alerters ("ticks" in ASCII).
const partitionLock = int64(0x7469636b73)

// upkeepLockTimeout bounds how long creating or dropping a partition waits
// for its table locks: ingest and readers queue behind a waiting lock, so
// giving up (and trying again an hour later) beats stalling them.
const upkeepLockTimeout = "5s"

// Partition is one day's partition of ticks: rows with From <= scheduled_at
// < To, From a UTC midnight and To the next.
type Partition struct {
	Name     string
	From, To time.Time
}

// DayPartition returns the partition that holds ticks scheduled at t.
func DayPartition(t time.Time) Partition {
	t = t.UTC()
	from := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return Partition{Name: "ticks_p" + from.Format("20060102"), From: from, To: from.AddDate(0, 0, 1)}
}

// parsePartition reads a day partition's name; ok is false for any other
// table (ticks_default, or one an operator made by hand).
func parsePartition(name string) (Partition, bool) {
	day, ok := strings.CutPrefix(name, "ticks_p")
	if !ok || len(day) != len("20060102") {
		return Partition{}, false
	}
	t, err := time.Parse("20060102", day)
	if err != nil {
		return Partition{}, false
	}
	return DayPartition(t), true
}

// PartitionPlan is the upkeep one run does.
type PartitionPlan struct {
	Create []Partition // oldest first
	Drop   []Partition // oldest first
}

// PlanPartitions decides partition upkeep at now for ticks kept for keep:
// create the partitions of today's UTC day and the ahead days after it that
// are not among existing, and drop each existing day partition whose every
// row is older than the cutoff now-keep (its To is at or before the
// cutoff), the same "older than" the batched delete applies to single rows.
// A partition that straddles the cutoff is kept whole until its day has
// passed, so a tick may outlive the setting by up to a day. Names that are
// not day partitions are left alone.
func PlanPartitions(existing []string, now time.Time, keep time.Duration, ahead int) PartitionPlan {
	var plan PartitionPlan
	have := map[string]bool{}
	cutoff := now.Add(-keep)
	for _, name := range existing {
		p, ok := parsePartition(name)
		if !ok {
			continue
		}
		have[p.Name] = true
		if !p.To.After(cutoff) {
			plan.Drop = append(plan.Drop, p)
		}
	}
	today := DayPartition(now)
	for d := 0; d <= ahead; d++ {
		p := DayPartition(today.From.AddDate(0, 0, d))
		if !have[p.Name] {
			plan.Create = append(plan.Create, p)
		}
	}
	slices.SortFunc(plan.Drop, func(a, b Partition) int { return a.From.Compare(b.From) })
	return plan
}

// EnsurePartitions creates the partitions PlanPartitions asks for at now
// (today and PartitionDaysAhead days after it) and returns the ones it
// created. Ticks already in ticks_default for a created day move into it.
// It does nothing on SQLite.
func (s *Service) EnsurePartitions(ctx context.Context, now time.Time) ([]Partition, error) {
	if s.store.db.Dialect != database.Postgres {
		return nil, nil
	}
	existing, err := s.store.partitions(ctx)
	if err != nil {
		return nil, err
	}
	var created []Partition
	// keep 0: creating never depends on retention (a kept partition is
	// never older than today).
	for _, p := range PlanPartitions(existing, now, 0, PartitionDaysAhead).Create {
		moved, ok, err := s.store.createPartition(ctx, p)
		if err != nil {
			return created, fmt.Errorf("create partition %s: %w", p.Name, err)
		}
		if ok {
			created = append(created, p)
			if moved > 0 {
				s.log.Info("moved ticks out of the default partition", "partition", p.Name, "rows", moved)
			}
		}
	}
	return created, nil
}

// dropOldPartitions drops the day partitions whose ticks are all older
// than now-keep and returns their names.
func (s *Service) dropOldPartitions(ctx context.Context, now time.Time, keep time.Duration) ([]string, error) {
	existing, err := s.store.partitions(ctx)
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, p := range PlanPartitions(existing, now, keep, 0).Drop {
		if err := s.store.dropPartition(ctx, p); err != nil {
			return dropped, fmt.Errorf("drop partition %s: %w", p.Name, err)
		}
		dropped = append(dropped, p.Name)
	}
	return dropped, nil
}

// RunPartitions keeps partitions ahead of the data: at once, then every
// `every`, until ctx is done. On SQLite it returns at once.
func (s *Service) RunPartitions(ctx context.Context, every time.Duration) error {
	if s.store.db.Dialect != database.Postgres {
		return nil
	}
	for {
		created, err := s.EnsurePartitions(ctx, s.cfg.Now().UTC())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("create tick partitions", "err", err)
		case len(created) > 0:
			s.log.Info("created tick partitions", "first", created[0].Name, "last", created[len(created)-1].Name)
		}
		sleep(ctx, every)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// partitions lists the tables attached to ticks.
func (s *store) partitions(ctx context.Context) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Raw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'ticks'::regclass ORDER BY c.relname`).Scan(&names).Error
	return names, err
}

// upkeep runs fn in a transaction holding the upkeep lock, with a bounded
// wait for table locks.
func (s *store) upkeep(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL lock_timeout = '" + upkeepLockTimeout + "'").Error; err != nil {
			return err
		}
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", partitionLock).Error; err != nil {
			return err
		}
		return fn(tx)
	})
}

// createPartition creates p unless it exists, moving the ticks of its day
// out of ticks_default: PostgreSQL refuses a new partition while the
// default holds rows of its range. So the day is built as a plain table,
// filled from the default, and attached, with ticks_default locked
// throughout so no tick of that day can land there in between. Attaching
// takes only a SHARE UPDATE EXCLUSIVE lock on ticks (CREATE TABLE ...
// PARTITION OF would take ACCESS EXCLUSIVE), so ingest into other days goes
// on. It reports the rows moved and whether it created p.
func (s *store) createPartition(ctx context.Context, p Partition) (int64, bool, error) {
	var moved int64
	created := false
	err := s.upkeep(ctx, func(tx *gorm.DB) error {
		var exists bool
		if err := tx.Raw("SELECT to_regclass(?) IS NOT NULL", p.Name).Scan(&exists).Error; err != nil {
			return err
		}
		if exists {
			return nil
		}
		from, to := partitionBound(p.From), partitionBound(p.To)
		steps := []string{
			"LOCK TABLE ticks_default IN ACCESS EXCLUSIVE MODE",
			"CREATE TABLE " + p.Name + " (LIKE ticks INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
		}
		for _, q := range steps {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		res := tx.Exec("INSERT INTO "+p.Name+" SELECT * FROM ticks_default WHERE scheduled_at >= ? AND scheduled_at < ?", p.From, p.To)
		if res.Error != nil {
			return res.Error
		}
		moved = res.RowsAffected
		if moved > 0 {
			if err := tx.Exec("DELETE FROM ticks_default WHERE scheduled_at >= ? AND scheduled_at < ?", p.From, p.To).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec("ALTER TABLE ticks ATTACH PARTITION " + p.Name + " FOR VALUES FROM ('" + from + "') TO ('" + to + "')").Error; err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return moved, created, nil
}

// dropPartition drops p: its day's ticks go at once, with no dead rows
// left for vacuum.
func (s *store) dropPartition(ctx context.Context, p Partition) error {
	return s.upkeep(ctx, func(tx *gorm.DB) error {
		return tx.Exec("DROP TABLE IF EXISTS " + p.Name).Error
	})
}

// partitionBound writes a partition bound: UTC, so the bound does not depend on the
// session's TimeZone.
func partitionBound(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05+00") }
