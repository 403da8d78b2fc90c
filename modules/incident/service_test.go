package incident

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/testenv"
)

// recordingOutbox keeps the notices the service queues. It stands in for
// the channel module; the database underneath is real.
type recordingOutbox struct {
	mu      sync.Mutex
	notices []Notice
}

func (o *recordingOutbox) Enqueue(_ *gorm.DB, _ int64, n Notice) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notices = append(o.notices, n)
	return nil
}

func (o *recordingOutbox) events() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, n := range o.notices {
		out = append(out, n.Event)
	}
	return out
}

// TestReconcileAndReminders runs the incident rules on both backends: a
// down change opens one incident with its evidence and queues one notice;
// reminders follow the monitor's remind_every, not more often; recovery
// resolves it.
func TestReconcileAndReminders(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			now := t0
			if err := db.Exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'oncall@example.com', 'x', ?, ?)", t0, t0).Error; err != nil {
				t.Fatal(err)
			}
			testenv.Workspace(t, db, 1)
			if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, remind_every_seconds, created_at, updated_at)
				VALUES (1, 1, 'shop', 'shop', 'http', '{}', 'https://shop.example', 60, 1000, 600, ?, ?)`, t0, t0).Error; err != nil {
				t.Fatal(err)
			}
			out := &recordingOutbox{}
			svc := New(db, out, Config{Now: func() time.Time { return now }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			reconcile := func(status string, regions ...RegionSnapshot) {
				t.Helper()
				err := db.Transaction(func(tx *gorm.DB) error {
					return svc.Reconcile(tx, []Change{{MonitorID: 1, Status: status, StatusSince: now, Regions: regions, At: now}})
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			evidence := `{"region":"eu","status_code":503,"error_class":"http_status","body":"maintenance page","headers":{"Server":"nginx"}}`
			reconcile("down",
				RegionSnapshot{Region: "eu", Failing: true, Status: "down", StatusCode: 503, ErrorClass: "http_status", Error: "status 503", CheckedAt: now, Evidence: evidence},
				RegionSnapshot{Region: "us", Failing: true, Status: "down", StatusCode: 503, ErrorClass: "http_status", CheckedAt: now},
				RegionSnapshot{Region: "ap", Failing: false, Status: "up", CheckedAt: now})
			reconcile("down") // still down: nothing new
			page, err := svc.List(ctx, 1, Filter{Limit: 10})
			if err != nil || len(page.Data) != 1 {
				t.Fatalf("incidents = %+v, %v", page, err)
			}
			inc := page.Data[0]
			if inc.Kind != KindDown || inc.Cause.ErrorClass != "http_status" || inc.Cause.StatusCode != 503 || len(inc.Regions) != 2 {
				t.Fatalf("incident = %+v", inc)
			}
			d, err := svc.Get(ctx, 1, inc.ID)
			if err != nil || len(d.Evidence) != 1 || d.Evidence[0].Body != "maintenance page" || d.Evidence[0].Headers["Server"] != "nginx" {
				t.Fatalf("evidence = %+v, %v", d.Evidence, err)
			}
			if _, err := svc.Get(ctx, 2, inc.ID); err != ErrNotFound {
				t.Fatalf("another user's incident: %v, want ErrNotFound", err)
			}

			for _, step := range []struct {
				after time.Duration
				want  int // reminders so far
			}{{5 * time.Minute, 0}, {6 * time.Minute, 1}, {time.Minute, 1}, {10 * time.Minute, 2}} {
				now = now.Add(step.after)
				if err := svc.remind(ctx); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, e := range out.events() {
					if e == NoticeReminder {
						n++
					}
				}
				if n != step.want {
					t.Fatalf("at +%s: %d reminders, want %d", now.Sub(t0), n, step.want)
				}
			}
			now = now.Add(time.Minute)
			reconcile("up", RegionSnapshot{Region: "eu", WasFailing: true, Status: "up", CheckedAt: now})
			want := []string{NoticeOpened, NoticeReminder, NoticeReminder, NoticeResolved}
			if got := out.events(); len(got) != len(want) || got[0] != want[0] || got[3] != want[3] {
				t.Fatalf("notices = %v, want %v", got, want)
			}
			d, err = svc.Get(ctx, 1, inc.ID)
			if err != nil || d.Status != StatusResolved || d.ResolvedAt == nil {
				t.Fatalf("after recovery: %+v, %v", d.Incident, err)
			}
			types := map[string]int{}
			for _, e := range d.Events {
				types[e.Type]++
			}
			if types[EventOpened] != 1 || types[EventRegionFailed] != 2 || types[EventReminder] != 2 || types[EventRegionRecovered] != 1 || types[EventResolved] != 1 {
				t.Fatalf("timeline = %v", types)
			}
			if err := svc.remind(ctx); err != nil || len(out.events()) != 4 {
				t.Fatalf("a resolved incident was reminded: %v %v", out.events(), err)
			}
		})
	}
}
