package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/testenv"
)

// nextRun reads a monitor's row of monitor_schedule: ok is false when it
// has none, at is nil when the pusher does not schedule it.
func nextRun(t *testing.T, db *database.DB, id int64) (at *time.Time, ok bool) {
	t.Helper()
	var rows []struct{ NextRunAt *time.Time }
	if err := db.Raw("SELECT next_run_at FROM monitor_schedule WHERE monitor_id = ?", id).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return nil, false
	}
	return rows[0].NextRunAt, true
}

func wantNextRun(t *testing.T, db *database.DB, what string, id int64, want *time.Time) {
	t.Helper()
	got, ok := nextRun(t, db, id)
	switch {
	case !ok:
		t.Errorf("%s: monitor %d has no schedule row", what, id)
	case want == nil && got != nil:
		t.Errorf("%s: next run %v, want none (not scheduled)", what, got.UTC())
	case want != nil && (got == nil || !got.Equal(*want)):
		t.Errorf("%s: next run %v, want %v", what, got, want.UTC())
	}
}

// TestScheduleFollowsTheMonitor: the pusher's schedule (monitor_schedule)
// is kept in step with every write of a monitor: a new one is due at once,
// a heartbeat and a paused one are not scheduled, an edit that does not
// touch the check keeps the slot, one that does (or a resume, or check
// now) makes it due at once, and deleting the monitor deletes its row.
func TestScheduleFollowsTheMonitor(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			svc := monitor.New(db, monitor.Config{MinInterval: time.Second, Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
			ws := mustUser(t, db, "owner@example.com")

			site := mustMonitor(t, db, svc, ws, "site", "")
			wantNextRun(t, db, "created", site.ID, &now)

			hbName := "cron"
			hb, err := svc.Create(ctx, ws, monitor.Input{Name: &hbName,
				Check: &probe.Spec{Kind: "heartbeat", Config: json.RawMessage(`{"period":"1h","grace":"5m"}`)}})
			if err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "heartbeat created", hb.ID, nil)
			if err := svc.CheckNow(ctx, ws, hb.ID); err != nil {
				t.Errorf("check now of a heartbeat: %v", err)
			}
			wantNextRun(t, db, "heartbeat after check now", hb.ID, nil)

			// The pusher moved the slot on; a rename keeps it.
			later := now.Add(time.Minute)
			if err := db.Exec("UPDATE monitor_schedule SET next_run_at = ? WHERE monitor_id = ?", later, site.ID).Error; err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Second)
			renamed := "site renamed"
			if _, err := svc.Update(ctx, ws, site.ID, monitor.Input{Name: &renamed}); err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "renamed", site.ID, &later)
			interval := 30
			if _, err := svc.Update(ctx, ws, site.ID, monitor.Input{IntervalSeconds: &interval}); err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "interval changed", site.ID, &now)

			now = now.Add(time.Second)
			if _, err := svc.Pause(ctx, ws, site.ID); err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "paused", site.ID, nil)
			if err := svc.CheckNow(ctx, ws, site.ID); !errors.Is(err, monitor.ErrPaused) {
				t.Errorf("check now while paused = %v, want ErrPaused", err)
			}
			wantNextRun(t, db, "check now while paused", site.ID, nil)
			now = now.Add(time.Second)
			if _, err := svc.Update(ctx, ws, site.ID, monitor.Input{Name: &renamed}); err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "edited while paused", site.ID, nil)
			if _, err := svc.Resume(ctx, ws, site.ID); err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "resumed", site.ID, &now)

			if err := db.Exec("UPDATE monitor_schedule SET next_run_at = ? WHERE monitor_id = ?", now.Add(time.Hour), site.ID).Error; err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Second)
			if err := svc.CheckNow(ctx, ws, site.ID); err != nil {
				t.Fatal(err)
			}
			wantNextRun(t, db, "check now", site.ID, &now)

			if err := svc.Delete(ctx, ws, site.ID); err != nil {
				t.Fatal(err)
			}
			if _, ok := nextRun(t, db, site.ID); ok {
				t.Error("a deleted monitor keeps its schedule row")
			}
		})
	}
}

// claimSetup is a database of backend with one workspace and the monitor
// service on a fixed clock, for the claim tests.
func claimSetup(t *testing.T, backend string) (context.Context, *database.DB, *monitor.Service, int64, time.Time) {
	t.Helper()
	db := testenv.MustDatabase(t, backend)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	svc := monitor.New(db, monitor.Config{MinInterval: time.Second, Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
	return context.Background(), db, svc, mustUser(t, db, "owner@example.com"), now
}

// dueAt sets monitors' next runs in the schedule.
func dueAt(t *testing.T, db *database.DB, at map[int64]time.Time) {
	t.Helper()
	for id, t0 := range at {
		behindTheServicesBack(t, db, "UPDATE monitor_schedule SET next_run_at = ? WHERE monitor_id = ?", t0, id)
	}
}

// behindTheServicesBack runs a write the monitor service does not see.
func behindTheServicesBack(t *testing.T, db *database.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// aMinuteOn is a claim's fn that keeps the monitors handed to it in got
// and moves each a minute past the slot it was claimed at.
func aMinuteOn(got *[]monitor.Monitor) func([]monitor.Monitor) (map[int64]time.Time, error) {
	return func(ms []monitor.Monitor) (map[int64]time.Time, error) {
		*got = append(*got, ms...)
		next := map[int64]time.Time{}
		for _, m := range ms {
			next[m.ID] = m.NextRunAt.Add(time.Minute)
		}
		return next, nil
	}
}

// TestClaimDueBoundaries: a slot due exactly at the claim's horizon is
// claimed and one a microsecond later is not; the claim hands over the
// schedule's slot as the monitor's NextRunAt and stores the next one fn
// returns; a due row whose monitor was paused behind the service's back is
// taken off the schedule instead of being published or claimed again.
func TestClaimDueBoundaries(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx, db, svc, ws, now := claimSetup(t, backend)
			at := mustMonitor(t, db, svc, ws, "at", "")
			after := mustMonitor(t, db, svc, ws, "after", "")
			sneaky := mustMonitor(t, db, svc, ws, "sneaky", "")
			horizon := now.Add(time.Minute)
			dueAt(t, db, map[int64]time.Time{at.ID: horizon, after.ID: horizon.Add(time.Microsecond), sneaky.ID: now})
			behindTheServicesBack(t, db, "UPDATE monitors SET paused = ? WHERE id = ?", true, sneaky.ID)
			var got []monitor.Monitor
			n, err := svc.ClaimDue(ctx, horizon, 10, aMinuteOn(&got))
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Errorf("claimed %d rows, want 2 (the one due at the horizon and the paused one)", n)
			}
			if len(got) != 1 || got[0].ID != at.ID || got[0].NextRunAt == nil || !got[0].NextRunAt.Equal(horizon) {
				t.Fatalf("handed to the pusher: %+v, want only monitor %d due at %v", got, at.ID, horizon)
			}
			if got[0].Target == "" || got[0].IntervalSeconds != 60 {
				t.Errorf("the claimed monitor comes without its settings: %+v", got[0])
			}
			next := horizon.Add(time.Minute)
			wantNextRun(t, db, "claimed", at.ID, &next)
			due := horizon.Add(time.Microsecond)
			wantNextRun(t, db, "not yet due", after.ID, &due)
			wantNextRun(t, db, "paused behind the service's back", sneaky.ID, nil)
		})
	}
}

// TestMigrationMovesTheSchedule: migration 00012 moves next_run_at out of
// monitors: an unpaused monitor keeps its slot, one without a slot becomes
// due, paused monitors and heartbeats are not scheduled; down and up again
// keeps the slots.
func TestMigrationMovesTheSchedule(t *testing.T) {
	ctx := context.Background()
	db := testenv.MustDatabase(t, "postgres")
	p := testenv.PostgresMigrations(t, db)
	if _, err := p.DownTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	ws := mustUser(t, db, "old@example.com")
	slot := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, m := range []struct {
		id     int64
		kind   string
		paused bool
		next   *time.Time
	}{{1, "http", false, &slot}, {2, "http", true, &slot}, {3, "heartbeat", false, nil}, {4, "tcp", false, nil}} {
		if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, paused, next_run_at)
			VALUES (?, ?, ?, 'm', ?, '{}', 'x', 60, 1000, ?, ?)`, m.id, ws, m.kind+string(rune('0'+m.id)), m.kind, m.paused, m.next).Error; err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now().Add(-time.Minute)
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	wantNextRun(t, db, "unpaused with a slot", 1, &slot)
	wantNextRun(t, db, "paused", 2, nil)
	wantNextRun(t, db, "heartbeat", 3, nil)
	if got, ok := nextRun(t, db, 4); !ok || got == nil || got.Before(before) {
		t.Errorf("unpaused without a slot: next run %v (row %v), want about now", got, ok)
	}
	if err := db.Exec("SELECT next_run_at FROM monitors LIMIT 1").Error; err == nil {
		t.Error("monitors.next_run_at is still there after the migration")
	}

	if _, err := p.DownTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	var back *time.Time
	if err := db.Raw("SELECT next_run_at FROM monitors WHERE id = 1").Row().Scan(&back); err != nil || back == nil || !back.Equal(slot) {
		t.Errorf("after down: monitor 1 next_run_at %v (%v), want %v", back, err, slot)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	wantNextRun(t, db, "down and up again", 1, &slot)
}

// TestClaimDueSkipping: Claim.Skip is asked about every due slot the pusher runs,
// with the schedule's time, the monitor's interval and its own regions
// (none for "every live region"), before the monitor is read; a skipped
// slot moves to the time skip returns and its monitor is not handed to fn,
// but counts as claimed; a slot skip keeps goes to fn as ClaimDue would.
// Monitors the pusher does not run (paused or a heartbeat behind the
// service's back) are never put to skip: they are taken off the schedule.
func TestClaimDueSkipping(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx, db, svc, ws, now := claimSetup(t, backend)
			skipped := mustMonitor(t, db, svc, ws, "skipped", "")
			kept := mustMonitor(t, db, svc, ws, "kept", "")
			paused := mustMonitor(t, db, svc, ws, "paused", "")
			beat := mustMonitor(t, db, svc, ws, "beat", "")
			later := mustMonitor(t, db, svc, ws, "later", "")
			sec, regions := 30, []string{"eu", "us"}
			if _, err := svc.Update(ctx, ws, skipped.ID, monitor.Input{IntervalSeconds: &sec, Regions: &regions}); err != nil {
				t.Fatal(err)
			}
			horizon := now.Add(time.Minute)
			dueAt(t, db, map[int64]time.Time{skipped.ID: now.Add(-time.Second), kept.ID: horizon, paused.ID: now, beat.ID: now, later.ID: horizon.Add(time.Microsecond)})
			behindTheServicesBack(t, db, "UPDATE monitors SET paused = ? WHERE id = ?", true, paused.ID)
			behindTheServicesBack(t, db, "UPDATE monitors SET kind = 'heartbeat' WHERE id = ?", beat.ID)
			asked := map[int64]monitor.Due{}
			skipTo := now.Add(29 * time.Second)
			var got []monitor.Monitor
			n, err := svc.ClaimDueWith(ctx, horizon, 10, monitor.Claim{Skip: func(d monitor.Due) (time.Time, bool) {
				asked[d.MonitorID] = d
				return skipTo, d.MonitorID == skipped.ID
			}}, aMinuteOn(&got))
			if err != nil {
				t.Fatal(err)
			}
			if n != 4 {
				t.Errorf("claimed %d rows, want 4 (skipped, kept, paused, heartbeat)", n)
			}
			if len(asked) != 2 {
				t.Errorf("skip was asked about %d slots, want 2 (not the paused monitor, the heartbeat or the one due after the horizon): %v", len(asked), asked)
			}
			d := asked[skipped.ID]
			if !d.At.Equal(now.Add(-time.Second)) || d.Interval != 30*time.Second || len(d.Regions) != 2 || d.Regions[0] != "eu" || d.Regions[1] != "us" {
				t.Errorf("skip saw %+v, want the slot %v, 30s and [eu us]", d, now.Add(-time.Second))
			}
			if d := asked[kept.ID]; !d.At.Equal(horizon) || d.Interval != 60*time.Second || len(d.Regions) != 0 {
				t.Errorf("skip saw %+v, want the slot %v, 60s and no regions of its own", d, horizon)
			}
			if len(got) != 1 || got[0].ID != kept.ID || got[0].Target == "" {
				t.Fatalf("handed to the pusher: %+v, want only the kept monitor %d with its settings", got, kept.ID)
			}
			wantNextRun(t, db, "skipped", skipped.ID, &skipTo)
			next := horizon.Add(time.Minute)
			wantNextRun(t, db, "kept", kept.ID, &next)
			wantNextRun(t, db, "paused behind the service's back", paused.ID, nil)
			wantNextRun(t, db, "a heartbeat behind the service's back", beat.ID, nil)
			due := horizon.Add(time.Microsecond)
			wantNextRun(t, db, "not yet due", later.ID, &due)
		})
	}
}

// onlyADeadline has a deadline but is never cancelled: what the claim does
// with it is up to the server alone.
type onlyADeadline struct {
	context.Context
	at time.Time
}

func (c onlyADeadline) Deadline() (time.Time, bool) { return c.at, true }

// TestClaimGivesUpOnTheServer: the claim hands its deadline to PostgreSQL,
// so a claim waiting on a lock stops at the deadline even if nothing on the
// client's side cuts it off, reports that as the deadline passing (which
// the pusher reads as a slow database, not a down one), and leaves no due
// row locked: the next claim hands the slot out.
func TestClaimGivesUpOnTheServer(t *testing.T) {
	ctx, db, svc, ws, now := claimSetup(t, "postgres")
	m := mustMonitor(t, db, svc, ws, "late", "")
	dueAt(t, db, map[int64]time.Time{m.ID: now})

	locker := db.Begin()
	if err := locker.Exec("LOCK TABLE monitors IN ACCESS EXCLUSIVE MODE").Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var got []monitor.Monitor
		_, err := svc.ClaimDue(onlyADeadline{ctx, time.Now().Add(300 * time.Millisecond)}, now, 10, aMinuteOn(&got))
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = locker.Rollback()
		t.Fatalf("the claim still waits on the server 20 s after its deadline; err %v", <-done)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("claim past its deadline on the server: %v, want context.DeadlineExceeded", err)
	}
	if err := locker.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	var got []monitor.Monitor
	if n, err := svc.ClaimDue(ctx, now, 10, aMinuteOn(&got)); err != nil || n != 1 || len(got) != 1 {
		t.Fatalf("claim after the lock: %d claimed, %d handed out, %v; want the late slot", n, len(got), err)
	}
}
