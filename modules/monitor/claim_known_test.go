package monitor_test

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/testenv"
)

// TestClaimReusesOnlyUnchangedMonitors: a claim given the caller's copies
// of monitors it handed out before (Known) hands a copy back, with the
// schedule's slot, only while the monitor's row is unchanged. An edit
// through the service, a write behind its back that leaves updated_at
// alone, and a pause behind its back are all seen at the next claim. On
// SQLite, which has no row version, every monitor is read.
func TestClaimReusesOnlyUnchangedMonitors(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx, db, svc, ws, now := claimSetup(t, backend)
			same := mustMonitor(t, db, svc, ws, "same", "")
			edited := mustMonitor(t, db, svc, ws, "edited", "")
			raw := mustMonitor(t, db, svc, ws, "raw", "")
			paused := mustMonitor(t, db, svc, ws, "paused", "")
			all := map[int64]time.Time{same.ID: now, edited.ID: now, raw.ID: now, paused.ID: now}
			dueAt(t, db, all)
			asked := 0
			var first []monitor.Monitor
			if _, err := svc.ClaimDueWith(ctx, now, 10, monitor.Claim{Known: func(int64) (monitor.Monitor, bool) {
				asked++
				return monitor.Monitor{}, false
			}}, aMinuteOn(&first)); err != nil {
				t.Fatal(err)
			}
			if len(first) != 4 {
				t.Fatalf("first claim handed out %d monitors, want 4", len(first))
			}
			if (asked == 4) != (db.Dialect == database.Postgres) {
				t.Errorf("Known was asked %d times on %s, want 4 on PostgreSQL and none on SQLite (no row version)", asked, backend)
			}
			// The caller's copies, marked so a reused one shows, and with a
			// slot of their own that must not be the one handed out.
			mine := map[int64]monitor.Monitor{}
			stale := now.Add(-time.Hour)
			for _, m := range first {
				m.Name = "remembered " + m.Name
				m.NextRunAt = &stale
				mine[m.ID] = m
			}
			fromMine := func(id int64) (monitor.Monitor, bool) {
				m, ok := mine[id]
				return m, ok
			}
			newName := "edited again"
			if _, err := svc.Update(ctx, ws, edited.ID, monitor.Input{Name: &newName}); err != nil {
				t.Fatal(err)
			}
			behindTheServicesBack(t, db, "UPDATE monitors SET name = 'raw behind the back' WHERE id = ?", raw.ID)
			behindTheServicesBack(t, db, "UPDATE monitors SET paused = ? WHERE id = ?", true, paused.ID)
			slot := now.Add(time.Second)
			for id := range all {
				all[id] = slot
			}
			dueAt(t, db, all)
			var second []monitor.Monitor
			n, err := svc.ClaimDueWith(ctx, slot, 10, monitor.Claim{Known: fromMine}, aMinuteOn(&second))
			if err != nil {
				t.Fatal(err)
			}
			if n != 4 {
				t.Errorf("claimed %d rows, want 4", n)
			}
			got := map[int64]monitor.Monitor{}
			for _, m := range second {
				got[m.ID] = m
			}
			wantSame := "same"
			if db.Dialect == database.Postgres {
				wantSame = "remembered same"
			}
			for id, want := range map[int64]string{same.ID: wantSame, edited.ID: "edited again", raw.ID: "raw behind the back"} {
				m, ok := got[id]
				switch {
				case !ok:
					t.Errorf("monitor %d not handed out", id)
				case m.Name != want:
					t.Errorf("monitor %d handed out as %q, want %q", id, m.Name, want)
				case m.NextRunAt == nil || !m.NextRunAt.Equal(slot):
					t.Errorf("monitor %d handed out for slot %v, want the schedule's %v", id, m.NextRunAt, slot)
				case m.Target == "" || m.IntervalSeconds != 60:
					t.Errorf("monitor %d handed out without its settings: %+v", id, m)
				}
			}
			if _, ok := got[paused.ID]; ok {
				t.Errorf("a monitor paused behind the service's back was handed out from the caller's copy")
			}
			wantNextRun(t, db, "paused behind the service's back", paused.ID, nil)
			// Handed out again, the reused copy is still the caller's to reuse.
			if m, ok := got[same.ID]; ok {
				mine[same.ID] = m
				all = map[int64]time.Time{same.ID: slot.Add(time.Second)}
				dueAt(t, db, all)
				var third []monitor.Monitor
				if _, err := svc.ClaimDueWith(ctx, slot.Add(time.Second), 10, monitor.Claim{Known: fromMine}, aMinuteOn(&third)); err != nil {
					t.Fatal(err)
				}
				if len(third) != 1 || third[0].Name != wantSame {
					t.Errorf("third claim handed out %+v, want %q", third, wantSame)
				}
			}
		})
	}
}
