package checkin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// results keeps what the service reports, as the tick ingest would store it.
type results struct{ got []queue.Result }

func (r *results) Store(_ context.Context, rs []queue.Result) error {
	r.got = append(r.got, rs...)
	return nil
}

func newTestService(t *testing.T, db *database.DB, clk func() time.Time) (*Service, *results, int64) {
	s, res, m, _, _ := newTestRig(t, db, clk)
	return s, res, m
}

func newTestRig(t *testing.T, db *database.DB, clk func() time.Time) (*Service, *results, int64, *monitor.Service, int64) {
	t.Helper()
	var user int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('hb@example.com', 'x') RETURNING id").Scan(&user).Error; err != nil {
		t.Fatal(err)
	}
	ws := testenv.Workspace(t, db, user)
	log := slog.New(slog.DiscardHandler)
	mons := monitor.New(db, monitor.Config{Now: clk}, log)
	name, sec := "backup", 60
	m, err := mons.Create(t.Context(), ws, monitor.Input{Name: &name, IntervalSeconds: &sec,
		Check: &probe.Spec{Kind: "heartbeat", Config: json.RawMessage(`{"period":"1h","grace":"5m"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	res := &results{}
	s := New(db, queue.NewMemory(queue.Config{}), res, Config{Key: KeyFrom([]byte("k")), Now: clk}, log, nil)
	return s, res, m.ID, mons, ws
}

// deliverTwice delivers m twice under stream id streamID (as when an
// alerter died before its ack), judging its monitor after each delivery
// as the ingest does.
func deliverTwice(t *testing.T, s *Service, streamID string, m message) {
	t.Helper()
	b, _ := json.Marshal(m)
	d := []queue.PingDelivery{{ID: streamID, Data: b}}
	for range 2 {
		ids, err := s.Ingest(t.Context(), d)
		if err != nil || len(ids) != 1 || ids[0] != m.MonitorID {
			t.Fatalf("Ingest = %v, %v; want monitor %d", ids, err, m.MonitorID)
		}
		s.judgeAll(t.Context(), ids)
	}
}

// TestIngestIsIdempotentAndJudges: on both databases, a ping delivered
// twice (an alerter died before its ack) is stored once; the monitor is
// judged up once, dated by the ping, and late once at its deadline.
func TestIngestIsIdempotentAndJudges(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			t0 := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
			now := t0
			clk := func() time.Time { return now }
			s, res, id := newTestService(t, db, clk)
			ctx := t.Context()
			if _, err := s.DecideOnce(ctx); err != nil { // gives the monitor its row
				t.Fatal(err)
			}
			now = t0.Add(time.Minute)
			deliverTwice(t, s, "1-0", message{PingID: "p1", MonitorID: id, At: now, Signal: "success", Method: "GET", Source: "10.0.0.1"})
			page, err := s.List(ctx, id, PageFilter{Limit: 10})
			if err != nil || len(page.Data) != 1 {
				t.Fatalf("stored pings = %+v, %v; want one", page.Data, err)
			}
			if len(res.got) != 1 || res.got[0].Result.Status != probe.StatusUp || !res.got[0].ScheduledAt.Equal(now) || res.got[0].Region != Region {
				t.Fatalf("reported %+v, want one up result dated by the ping", res.got)
			}
			deadline := now.Add(time.Hour + 5*time.Minute)
			now = deadline.Add(-time.Second)
			if _, err := s.DecideOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if len(res.got) != 1 {
				t.Fatalf("reported before the deadline: %+v", res.got[1:])
			}
			now = deadline.Add(30 * time.Second)
			for range 2 {
				if _, err := s.DecideOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if len(res.got) != 2 || res.got[1].Result.ErrorClass != probe.ClassLate || !res.got[1].ScheduledAt.Equal(deadline) {
				t.Fatalf("reported %+v, want one late result dated at the deadline %v", res.got, deadline)
			}
		})
	}
}

// TestPausedTimeIsNotAMissedRun: a heartbeat paused past its deadline and
// resumed is not late at the resume; its schedule starts again then.
func TestPausedTimeIsNotAMissedRun(t *testing.T) {
	db := testenv.MustDatabase(t, "sqlite")
	t0 := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	now := t0
	clk := func() time.Time { return now }
	s, res, id, mons, ws := newTestRig(t, db, clk)
	ctx := t.Context()
	decide := func() {
		t.Helper()
		if _, err := s.DecideOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	decide()
	now = t0.Add(10 * time.Minute)
	if _, err := mons.Pause(ctx, ws, id); err != nil {
		t.Fatal(err)
	}
	decide()
	now = t0.Add(5 * time.Hour) // four deadlines while paused
	decide()
	if _, err := mons.Resume(ctx, ws, id); err != nil {
		t.Fatal(err)
	}
	decide()
	if len(res.got) != 0 {
		t.Fatalf("reported %+v for the time paused", res.got)
	}
	resumed := now
	now = resumed.Add(time.Hour + 5*time.Minute + time.Second)
	decide()
	if len(res.got) != 1 || res.got[0].Result.ErrorClass != probe.ClassLate || !res.got[0].ScheduledAt.Equal(resumed.Add(time.Hour+5*time.Minute)) {
		t.Fatalf("reported %+v, want late one period and grace after the resume", res.got)
	}
}

// TestEveryRunIsACheck: each run that ends is reported, not only changes
// of the verdict, so uptime counts runs: five good runs, a failed one and
// a good one are seven results, one of them down (they used to be three:
// up, down, up, so a healthy job read 2 of 3 checks passed). A start or
// log ping is no run; a ping delivered again reports nothing again.
func TestEveryRunIsACheck(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			t0 := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
			now := t0
			clk := func() time.Time { return now }
			s, res, id := newTestService(t, db, clk)
			ctx := t.Context()
			if _, err := s.DecideOnce(ctx); err != nil {
				t.Fatal(err)
			}
			ping := func(n int, signal string) {
				t.Helper()
				now = now.Add(10 * time.Minute)
				deliverTwice(t, s, fmt.Sprint(n, "-0"), message{PingID: fmt.Sprint("p", n), MonitorID: id, At: now, Signal: signal, Method: "GET", Source: "10.0.0.1"})
			}
			signals := []string{"success", "success", "start", "success", "log", "success", "success", "fail", "success"}
			for i, sig := range signals {
				ping(i, sig)
			}
			var got []string
			for i, r := range res.got {
				got = append(got, string(r.Result.Status))
				if i > 0 && !r.ScheduledAt.After(res.got[i-1].ScheduledAt) {
					t.Errorf("result %d at %v, not after the one before (%v): the ingest would drop it", i, r.ScheduledAt, res.got[i-1].ScheduledAt)
				}
			}
			want := []string{"up", "up", "up", "up", "up", "down", "up"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("reported %v, want %v: one a run", got, want)
			}
		})
	}
}
