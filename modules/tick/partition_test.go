package tick_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

func utc(y int, m time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, m, d, h, mi, s, ns, time.UTC)
}

func names(ps []tick.Partition) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// TestDayPartition: a tick belongs to the partition of its UTC day, named
// after it, [midnight, next midnight), whatever zone its time is in.
func TestDayPartition(t *testing.T) {
	newYork := time.FixedZone("UTC-5", -5*3600)
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"midnight starts its day", utc(2026, 12, 4, 0, 0, 0, 0), "ticks_p20261204"},
		{"last microsecond ends its day", utc(2026, 12, 4, 23, 59, 59, 999999000), "ticks_p20261204"},
		{"evening in New York is the next UTC day", time.Date(2026, 12, 4, 21, 0, 0, 0, newYork), "ticks_p20261205"},
		{"year end", utc(2026, 12, 31, 12, 0, 0, 0), "ticks_p20261231"},
		{"leap day", utc(2028, 2, 29, 12, 0, 0, 0), "ticks_p20280229"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tick.DayPartition(tc.at)
			if p.Name != tc.want {
				t.Fatalf("partition of %v = %s, want %s", tc.at, p.Name, tc.want)
			}
			if p.From.Location() != time.UTC || p.From.Hour() != 0 || p.From.Minute() != 0 || p.From.Nanosecond() != 0 ||
				p.To.Sub(p.From) != 24*time.Hour {
				t.Errorf("range = [%v, %v), want a UTC day", p.From, p.To)
			}
			if tc.at.Before(p.From) || !tc.at.Before(p.To) {
				t.Errorf("%v is outside its partition [%v, %v)", tc.at, p.From, p.To)
			}
		})
	}
}

// TestPlanPartitions: which partitions upkeep creates and drops, at the
// boundaries: a partition whose last instant is exactly the cutoff goes, one
// a microsecond past it stays; days are UTC days.
func TestPlanPartitions(t *testing.T) {
	days := func(first, last int) []string { // ticks_p202612DD for DD in first..last
		var out []string
		for d := first; d <= last; d++ {
			out = append(out, fmt.Sprintf("ticks_p202612%02d", d))
		}
		return out
	}
	threeDays := 3 * 24 * time.Hour
	for _, tc := range []struct {
		name       string
		existing   []string
		now        time.Time
		keep       time.Duration
		ahead      int
		create     []string
		drop       []string
		firstRange [2]time.Time // of the first created, when set
	}{
		{name: "empty: today and the days ahead", now: utc(2026, 12, 4, 5, 0, 0, 0), keep: threeDays, ahead: 2,
			create: days(4, 6), drop: []string{},
			firstRange: [2]time.Time{utc(2026, 12, 4, 0, 0, 0, 0), utc(2026, 12, 5, 0, 0, 0, 0)}},
		{name: "last microsecond of a UTC day is still that day", now: utc(2026, 12, 4, 23, 59, 59, 999999000), keep: threeDays, ahead: 1,
			create: days(4, 5), drop: []string{}},
		{name: "midnight UTC is the next day", now: utc(2026, 12, 5, 0, 0, 0, 0), keep: threeDays, ahead: 1,
			create: days(5, 6), drop: []string{}},
		{name: "evening west of UTC is the next UTC day", now: time.Date(2026, 12, 4, 21, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)),
			keep: threeDays, ahead: 0, create: days(5, 5), drop: []string{}},
		{name: "existing days and foreign tables are left alone", now: utc(2026, 12, 4, 5, 0, 0, 0), keep: threeDays, ahead: 3,
			existing: []string{"ticks_default", "ticks_p20261205", "ticks_pold", "ticks_p2026120", "ticks_p20261340", "ticks_p20261207"},
			create:   []string{"ticks_p20261204", "ticks_p20261206"}, drop: []string{}},
		// keep 3 days at 12-04 00:00: the cutoff is 12-01 00:00. The day
		// 11-30 ends exactly there: every row of it is older, so it goes.
		{name: "a day ending exactly at the cutoff is dropped", now: utc(2026, 12, 4, 0, 0, 0, 0), keep: threeDays,
			existing: append([]string{"ticks_p20261129", "ticks_p20261130"}, days(1, 4)...),
			create:   []string{}, drop: []string{"ticks_p20261129", "ticks_p20261130"}},
		{name: "a day ending a microsecond after the cutoff is kept", now: utc(2026, 12, 3, 23, 59, 59, 999999000), keep: threeDays,
			existing: append([]string{"ticks_p20261129", "ticks_p20261130"}, days(1, 3)...),
			create:   []string{}, drop: []string{"ticks_p20261129"}},
		{name: "a day straddling the cutoff is kept whole", now: utc(2026, 12, 4, 18, 0, 0, 0), keep: threeDays,
			existing: days(1, 4), create: []string{}, drop: []string{}},
		{name: "drops come oldest first", now: utc(2026, 12, 20, 0, 0, 0, 0), keep: threeDays,
			existing: append([]string{"ticks_p20261210", "ticks_p20261130"}, days(17, 20)...),
			create:   []string{}, drop: []string{"ticks_p20261130", "ticks_p20261210"}},
		{name: "a retention under a day never drops today", now: utc(2026, 12, 4, 23, 0, 0, 0), keep: time.Hour,
			existing: days(3, 4), create: []string{}, drop: []string{"ticks_p20261203"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := tick.PlanPartitions(tc.existing, tc.now, tc.keep, tc.ahead)
			if got := names(plan.Create); !reflect.DeepEqual(got, tc.create) {
				t.Errorf("create = %v, want %v", got, tc.create)
			}
			if got := names(plan.Drop); !reflect.DeepEqual(got, tc.drop) {
				t.Errorf("drop = %v, want %v", got, tc.drop)
			}
			if !tc.firstRange[0].IsZero() && (len(plan.Create) == 0 ||
				!plan.Create[0].From.Equal(tc.firstRange[0]) || !plan.Create[0].To.Equal(tc.firstRange[1])) {
				t.Errorf("first created = %+v, want [%v, %v)", plan.Create, tc.firstRange[0], tc.firstRange[1])
			}
		})
	}
}

// partitionOf returns the table each of a monitor's ticks is stored in,
// by slot ("region@unix_ms").
func partitionOf(t *testing.T, db *database.DB, monitorID int64) map[string]string {
	t.Helper()
	var rows []struct {
		Region      string
		ScheduledAt time.Time
		Part        string
	}
	if err := db.Raw("SELECT region, scheduled_at, tableoid::regclass::text AS part FROM ticks WHERE monitor_id = ?", monitorID).
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[fmt.Sprintf("%s@%d", r.Region, r.ScheduledAt.UnixMilli())] = r.Part
	}
	return out
}

// attached lists the partitions of ticks, from the catalog.
func attached(t *testing.T, db *database.DB) map[string]bool {
	t.Helper()
	var names []string
	if err := db.Raw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'ticks'::regclass`).Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// tableExists reports whether a table of that name is in the catalog at all
// (attached or not).
func tableExists(t testing.TB, db *database.DB, name string) bool {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT count(*) FROM pg_class WHERE relname = ? AND relkind IN ('r', 'p')", name).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func countTicks(t testing.TB, db *database.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func day(t time.Time, d int) time.Time { return tick.DayPartition(t).From.AddDate(0, 0, d) }

// TestMigrationPartitionsExistingTicks: ticks stored before 00010 come out
// of it in their day's partition, all of them, at their UTC day's edges
// too; partitions exist from the oldest tick to 7 days ahead; ingest still
// stores each slot once. Down and up again keeps every tick.
func TestMigrationPartitionsExistingTicks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := database.Config{URL: testenv.MustPostgres(t), MaxConns: 4}
	db, err := database.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.MigrateTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	// A monitor as the 00009 schema holds it (the service writes today's).
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('old@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		t.Fatal(err)
	}
	ws := testenv.Workspace(t, db, uid)
	ids := []int64{1}
	if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms)
		VALUES (1, ?, 'm0', 'm0', 'http', '{"url":"http://127.0.0.1:9/m/0"}', 'http://127.0.0.1:9/m/0', 60, 1000)`, ws).Error; err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var old []time.Time
	for d := -5; d <= 0; d++ {
		old = append(old, day(now, d), day(now, d).Add(12*time.Hour), day(now, d).Add(24*time.Hour-time.Millisecond))
	}
	old = old[:len(old)-2] // today: its midnight only (later slots are in the future)
	for _, at := range old {
		if err := db.Exec(`INSERT INTO ticks (monitor_id, region, worker_id, scheduled_at, checked_at, status, status_code)
			VALUES (?, 'eu', 'w-eu', ?, ?, 'up', 200)`, ids[0], at, at).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}

	parts := attached(t, db)
	for d := -5; d <= tick.PartitionDaysAhead; d++ {
		if name := tick.DayPartition(day(now, d)).Name; !parts[name] {
			t.Errorf("no partition %s (day %+d) after the migration; have %v", name, d, parts)
		}
	}
	if !parts["ticks_default"] || len(parts) != 6+tick.PartitionDaysAhead+1 {
		t.Errorf("partitions = %v, want days -5..+%d and ticks_default", parts, tick.PartitionDaysAhead)
	}
	if tableExists(t, db, "ticks_unpartitioned") {
		t.Error("the old table is still there")
	}
	where := partitionOf(t, db, ids[0])
	if len(where) != len(old) {
		t.Fatalf("%d ticks after the migration, want %d", len(where), len(old))
	}
	for _, at := range old {
		k := fmt.Sprintf("eu@%d", at.UnixMilli())
		if want := tick.DayPartition(at).Name; where[k] != want {
			t.Errorf("tick at %v is in %q, want %s", at, where[k], want)
		}
	}
	if n := countTicks(t, db, "ticks_default"); n != 0 {
		t.Errorf("%d ticks in ticks_default, want 0", n)
	}
	var idCols int64
	if err := db.Raw("SELECT count(*) FROM information_schema.columns WHERE table_name = 'ticks' AND column_name = 'id'").Scan(&idCols).Error; err != nil || idCols != 0 {
		t.Errorf("ticks.id columns = %d (%v), want none", idCols, err)
	}

	// Ingest: a migrated slot again is a duplicate, a new one is stored;
	// the batch twice stores nothing more.
	svc := tick.New(db, nil, tick.Config{Consumer: "a"}, discard, nil)
	batch := []queue.Result{result(ids[0], "eu", old[len(old)-1]), result(ids[0], "eu", now.Add(-time.Second)), result(ids[0], "us", now.Add(-time.Second))}
	for range 2 {
		if err := svc.Store(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if got := slots(t, svc, ids[0]); len(got) != len(old)+2 {
		t.Errorf("%d ticks after ingest, want %d", len(got), len(old)+2)
	}

	// Down to 00009 and up again: every tick is kept each way.
	p := testenv.PostgresMigrations(t, db)
	if _, err := p.DownTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if n := countTicks(t, db, "ticks"); n != int64(len(old)+2) || len(attached(t, db)) != 0 {
		t.Errorf("after down: %d ticks (want %d), partitions %v (want none)", n, len(old)+2, attached(t, db))
	}
	if err := db.Exec("SELECT id FROM ticks LIMIT 1").Error; err != nil {
		t.Errorf("after down, ticks.id: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countTicks(t, db, "ticks"); n != int64(len(old)+2) || countTicks(t, db, "ticks_default") != 0 {
		t.Errorf("after up again: %d ticks, want %d, none in default", n, len(old)+2)
	}
}

// TestPruneDropsOldPartitions: retention drops the partitions of days that
// ended at or before the cutoff, keeps the rest whole (the cutoff's own day
// too), and deletes the old ticks of ticks_default row by row.
func TestPruneDropsOldPartitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.MustDatabase(t, "postgres")
	ids := MustMonitors(t, db, 1)
	noon := day(time.Now(), 0).Add(12 * time.Hour)
	svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return noon }}, discard, nil)
	if _, err := svc.EnsurePartitions(ctx, day(noon, -10)); err != nil { // days -10..-3; the migration made 0..+7
		t.Fatal(err)
	}
	if _, err := svc.EnsurePartitions(ctx, day(noon, -2)); err != nil { // -2 and -1
		t.Fatal(err)
	}
	var batch []queue.Result
	for d := -10; d <= 0; d++ {
		batch = append(batch, result(ids[0], "eu", day(noon, d).Add(30*time.Minute)), result(ids[0], "eu", day(noon, d).Add(12*time.Hour)))
	}
	oldDefault, newDefault := result(ids[0], "eu", day(noon, -20)), result(ids[0], "eu", day(noon, 9))
	batch = append(batch, oldDefault, newDefault)
	if err := svc.Store(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := countTicks(t, db, "ticks_default"); n != 2 {
		t.Fatalf("%d ticks in ticks_default, want 2 (days -20 and +9)", n)
	}

	// Cutoff: day -5 at 11:00. Day -6 ends before it: dropped with the
	// days before; day -5 straddles it: kept whole.
	n, err := svc.Prune(ctx, tick.Retention{Ticks: 5*24*time.Hour + time.Hour, Rollups: 400 * 24 * time.Hour, Batch: 1, Pause: time.Millisecond}, noon)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("deleted row by row = %d, want 1 (day -20, in ticks_default)", n)
	}
	parts := attached(t, db)
	for d := -10; d <= 0; d++ {
		name := tick.DayPartition(day(noon, d)).Name
		if want := d >= -5; parts[name] != want || tableExists(t, db, name) != want {
			t.Errorf("day %+d (%s): attached %v, exists %v, want %v", d, name, parts[name], tableExists(t, db, name), want)
		}
	}
	where := partitionOf(t, db, ids[0])
	for _, r := range batch {
		_, kept := where[key(r)]
		want := !r.ScheduledAt.Before(day(noon, -5)) // day -5 from its 00:30 tick on, and the future default one
		if kept != want {
			t.Errorf("tick at %v kept = %v, want %v", r.ScheduledAt, kept, want)
		}
	}
	if where[key(newDefault)] != "ticks_default" {
		t.Errorf("the day +9 tick is in %q, want ticks_default", where[key(newDefault)])
	}
	// Prune again: nothing left to do.
	if n, err := svc.Prune(ctx, tick.Retention{Ticks: 5*24*time.Hour + time.Hour, Rollups: 400 * 24 * time.Hour}, noon); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v; want 0, nil", n, err)
	}
}

// TestLateTickMovesOutOfDefault: a tick for a day without a partition lands
// in ticks_default; creating that day's partition later moves it there
// (PostgreSQL would refuse the partition otherwise), the next day's tick
// stays in default, and ingest still sees the moved slot as stored.
func TestLateTickMovesOutOfDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.MustDatabase(t, "postgres")
	ids := MustMonitors(t, db, 1)
	now := time.Now().UTC()
	svc := tick.New(db, nil, tick.Config{}, discard, nil)
	first, last, next := result(ids[0], "eu", day(now, 9)), result(ids[0], "eu", day(now, 10).Add(-time.Millisecond)), result(ids[0], "eu", day(now, 10))
	if err := svc.Store(ctx, []queue.Result{first, last, next}); err != nil {
		t.Fatal(err)
	}
	for k, part := range partitionOf(t, db, ids[0]) {
		if part != "ticks_default" {
			t.Errorf("tick %s is in %s before its day has a partition", k, part)
		}
	}
	created, err := svc.EnsurePartitions(ctx, day(now, 2))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(created), []string{tick.DayPartition(day(now, 8)).Name, tick.DayPartition(day(now, 9)).Name}; !reflect.DeepEqual(got, want) {
		t.Errorf("created %v, want %v", got, want)
	}
	where := partitionOf(t, db, ids[0])
	day9 := tick.DayPartition(day(now, 9)).Name
	if where[key(first)] != day9 || where[key(last)] != day9 || where[key(next)] != "ticks_default" {
		t.Errorf("after creating %s: %v", day9, where)
	}
	if err := svc.Store(ctx, []queue.Result{first, last}); err != nil {
		t.Fatal(err)
	}
	if got := slots(t, svc, ids[0]); len(got) != 3 {
		t.Errorf("%d ticks after storing the moved ones again, want 3", len(got))
	}
}

// TestEnsurePartitionsConcurrently: alerters doing upkeep at once neither
// fail nor create a partition twice, also while moving rows from the
// default partition.
func TestEnsurePartitionsConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.MustDatabase(t, "postgres")
	ids := MustMonitors(t, db, 1)
	now := time.Now().UTC()
	late := result(ids[0], "eu", day(now, 33).Add(time.Hour))
	svc := tick.New(db, nil, tick.Config{}, discard, nil)
	if err := svc.Store(ctx, []queue.Result{late}); err != nil {
		t.Fatal(err)
	}
	const alerters = 6
	var wg sync.WaitGroup
	made := make([][]tick.Partition, alerters)
	errs := make([]error, alerters)
	for i := range alerters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			made[i], errs[i] = tick.New(db, nil, tick.Config{}, discard, nil).EnsurePartitions(ctx, day(now, 30))
		}()
	}
	wg.Wait()
	total := 0
	for i := range alerters {
		if errs[i] != nil {
			t.Errorf("alerter %d: %v", i, errs[i])
		}
		total += len(made[i])
	}
	if total != tick.PartitionDaysAhead+1 {
		t.Errorf("%d partitions created in all, want %d", total, tick.PartitionDaysAhead+1)
	}
	if got, want := partitionOf(t, db, ids[0])[key(late)], tick.DayPartition(late.ScheduledAt).Name; got != want {
		t.Errorf("late tick is in %q, want %s", got, want)
	}
}
