package pusher

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
)

// oneDue hands out one due monitor, as a database that answers would.
type oneDue struct{}

func (oneDue) ClaimDue(_ context.Context, now time.Time, _ int, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	next := now
	_, err := fn([]monitor.Monitor{{ID: 1, IntervalSeconds: 60, Regions: []string{"eu"}, NextRunAt: &next}})
	return 1, err
}

// deadQueue is a queue (Redis) that cannot be reached.
type deadQueue struct{}

var errDial = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (deadQueue) PublishJobs(context.Context, []queue.Job) (int, error) { return 0, errDial }
func (deadQueue) Regions(context.Context, time.Duration) ([]queue.Region, error) {
	return []queue.Region{{Name: "eu", Live: true}}, nil
}

// TestTick_QueueDownIsNotADatabaseOutage: when Redis cannot be reached but
// the database answers, the log says the queue is down (not the database)
// and the pusher does not switch to scheduling from memory.
func TestTick_QueueDownIsNotADatabaseOutage(t *testing.T) {
	var logs bytes.Buffer
	p := New(oneDue{}, deadQueue{}, Config{}, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	err := p.Tick(context.Background())
	if !errors.Is(err, errDial) {
		t.Fatalf("Tick() = %v, want the queue's error", err)
	}
	if p.outage {
		t.Error("the pusher took a queue failure for a database outage")
	}
	out := logs.String()
	if !strings.Contains(out, "cannot reach the queue (Redis)") || strings.Contains(out, "until the database is back") {
		t.Errorf("log = %s", out)
	}
}
