package pusher

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
)

// slowFull is a database under load: every claim returns a full batch and
// takes `each`; it records whether a claim's context ended before its
// commit.
type slowFull struct {
	each      time.Duration
	claims    int
	cutOff    int
	committed int
}

func (s *slowFull) ClaimDue(ctx context.Context, now time.Time, limit int, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	s.claims++
	next := now
	ms := make([]monitor.Monitor, limit)
	for i := range ms {
		ms[i] = monitor.Monitor{ID: int64(s.claims*limit + i), IntervalSeconds: 60, Regions: []string{"eu"}, NextRunAt: &next}
	}
	if _, err := fn(ms); err != nil {
		return 0, err
	}
	select {
	case <-time.After(s.each):
	case <-ctx.Done():
		s.cutOff++
		return 0, ctx.Err()
	}
	s.committed++
	return limit, nil
}

type okQueue struct{}

func (okQueue) PublishJobs(_ context.Context, jobs []queue.Job) (int, error) { return len(jobs), nil }
func (okQueue) Regions(context.Context, time.Duration) ([]queue.Region, error) {
	return []queue.Region{{Name: "eu", Live: true}}, nil
}

// TestTick_OverloadFinishesClaimsAndLeavesTheRest: with more due than a
// tick's claim budget allows, every claim begun is committed (none is cut
// off after its jobs were published), the tick ends without an error and
// without asking whether the database is down, and the shortfall is
// counted and logged once.
func TestTick_OverloadFinishesClaimsAndLeavesTheRest(t *testing.T) {
	var logs bytes.Buffer
	db := &slowFull{each: 40 * time.Millisecond}
	p := New(db, okQueue{}, Config{Batch: 10, ClaimTimeout: 150 * time.Millisecond}, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	for range 2 {
		if err := p.Tick(context.Background()); err != nil {
			t.Fatalf("Tick() = %v, want nil: the database is slow, not down", err)
		}
	}
	if db.cutOff != 0 || db.committed != db.claims {
		t.Fatalf("%d claims, %d committed, %d cut off: a claim begun must be finished", db.claims, db.committed, db.cutOff)
	}
	if db.claims < 2 || db.claims > 10 {
		t.Fatalf("%d claims in two ticks of a 150 ms budget at 40 ms each, want at most 5 a tick (the budget stops new claims)", db.claims)
	}
	if got := testutil.ToFloat64(p.behind); got != 2 {
		t.Fatalf("ticks behind = %v, want 2", got)
	}
	if got := testutil.ToFloat64(p.slow); got != 0 {
		t.Fatalf("claims slow = %v, want 0: every claim finished within its own bound", got)
	}
	if n := strings.Count(logs.String(), "the pusher cannot keep up"); n != 1 {
		t.Fatalf("logged %d times, want once a minute:\n%s", n, logs.String())
	}
	if p.outage {
		t.Fatal("the pusher took overload for an outage")
	}
}

// TestTick_OneClaimPastItsBoundIsSlowOrDown: a single claim that does not
// finish within ClaimTimeout is still the slow-or-down question (a
// database that holds a lock, or one that is gone).
func TestTick_OneClaimPastItsBoundIsSlowOrDown(t *testing.T) {
	db := &slowFull{each: time.Second}
	p := New(db, okQueue{}, Config{Batch: 10, ClaimTimeout: 50 * time.Millisecond}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	_ = p.Tick(context.Background())
	if db.cutOff != 1 {
		t.Fatalf("cut off %d claims, want the one past its bound", db.cutOff)
	}
	if !p.outage {
		t.Fatal("a claimer that cannot be pinged and does not answer must be taken for down")
	}
}
