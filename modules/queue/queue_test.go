package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/testenv"
)

// The small interfaces the roles will declare, checked against both
// implementations.
type (
	jobPublisher interface {
		PublishJobs(ctx context.Context, jobs []Job) (int, error)
	}
	jobConsumer interface {
		ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]JobDelivery, error)
		ClaimJobs(ctx context.Context, region, consumer string, minIdle time.Duration, count int) ([]JobDelivery, error)
		CompleteJobs(ctx context.Context, region string, cs []Completion) (int, error)
	}
	resultConsumer interface {
		ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]ResultDelivery, error)
		ClaimResults(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]ResultDelivery, error)
		AckResults(ctx context.Context, ids ...string) error
	}
	regionRegistry interface {
		Heartbeat(ctx context.Context, region, workerID string) error
		Leave(ctx context.Context, region, workerID string) error
		Regions(ctx context.Context, liveWithin time.Duration) ([]Region, error)
	}
)

var (
	_ jobPublisher   = (*Redis)(nil)
	_ jobPublisher   = (*Memory)(nil)
	_ jobConsumer    = (*Redis)(nil)
	_ jobConsumer    = (*Memory)(nil)
	_ resultConsumer = (*Redis)(nil)
	_ resultConsumer = (*Memory)(nil)
	_ regionRegistry = (*Redis)(nil)
	_ regionRegistry = (*Memory)(nil)
	_ queueUnderTest = (*Redis)(nil)
	_ queueUnderTest = (*Memory)(nil)
)

// queueUnderTest is everything the conformance suite exercises.
type queueUnderTest interface {
	jobPublisher
	jobConsumer
	resultConsumer
	regionRegistry
	CompleteJob(ctx context.Context, region, deliveryID string, res Result) error
	PublishResults(ctx context.Context, region string, rs []Result) (int, error)
	DropJob(ctx context.Context, region, deliveryID string) error
	Backlog(ctx context.Context, region string) (int64, error)
	ResultBacklog(ctx context.Context) (int64, error)
	Malformed() int64
	TouchJobs(ctx context.Context, region, consumer string, ids []string) error
	Ping(ctx context.Context) error
	Close() error
}

// harness is one queue under test on a store of its own.
type harness struct {
	q queueUnderTest
	// peer opens another queue on the same store, as a second process
	// would (for Memory, a second user in the same process).
	peer func() queueUnderTest
}

// opener opens a queue with cfg on a fresh store.
type opener func(t *testing.T, cfg Config) harness

func openMemory(t *testing.T, cfg Config) harness {
	m := NewMemory(cfg)
	t.Cleanup(func() { _ = m.Close() })
	return harness{q: m, peer: func() queueUnderTest { return m }}
}

func openRedis(t *testing.T, cfg Config) harness {
	t.Helper()
	url, client, prefix := testenv.MustRedis(t)
	cfg.Prefix = prefix
	q := NewRedis(client, cfg)
	peer := func() queueUnderTest {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		return NewRedis(c, cfg)
	}
	return harness{q: q, peer: peer}
}

func TestMemoryConformance(t *testing.T) { runConformance(t, openMemory) }

func TestRedisConformance(t *testing.T) { runConformance(t, openRedis) }

// runConformance runs the behaviour both implementations must share.
func runConformance(t *testing.T, open opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, open opener)
	}{
		{"round trip keeps every field", testRoundTrip},
		{"dedupe", testDedupe},
		{"dedupe expires", testDedupeExpires},
		{"invalid arguments", testInvalid},
		{"consumers share a region's jobs", testSharedConsumers},
		{"regions are separate", testRegionsSeparate},
		{"abandoned job is claimed", testClaimAbandoned},
		{"touched job is not claimed", testTouch},
		{"claim follows the cursor", testClaimCount},
		{"results are re-claimable until acked", testResults},
		{"results of every region reach the alerters", testResultsAcrossRegions},
		{"a blocked result read wakes for any region", testWakeAnyRegion},
		{"results are never trimmed by length", testResultsNotTrimmed},
		{"results published without a job", testPublishResults},
		{"job trimmed while pending is skipped", testTrimmedWhilePending},
		{"drop job", testDropJob},
		{"block timeout", testBlockTimeout},
		{"publish wakes a blocked reader", testWake},
		{"cancel unblocks a read", testCancel},
		{"cancel loses nothing", testCancelRace},
		{"close", testClose},
		{"heartbeats and regions", testRegions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.UnixMilli(1_750_000_000_000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testJob returns a small valid job.
func testJob(id, region string) Job {
	return Job{
		ID:              id,
		MonitorID:       7,
		Region:          region,
		ScheduledAt:     time.UnixMilli(1_750_000_000_000).UTC(),
		IntervalSeconds: 60,
	}
}

// mustPublish publishes jobs and fails unless want were published.
func mustPublish(t *testing.T, q jobPublisher, want int, jobs ...Job) {
	t.Helper()
	n, err := q.PublishJobs(t.Context(), jobs)
	if err != nil {
		t.Fatalf("PublishJobs: %v", err)
	}
	if n != want {
		t.Fatalf("PublishJobs published %d, want %d", n, want)
	}
}

// mustRead reads without blocking and fails unless want jobs came back.
func mustRead(t *testing.T, q jobConsumer, region, consumer string, want int) []JobDelivery {
	t.Helper()
	ds, err := q.ReadJobs(t.Context(), region, consumer, 0, 0)
	if err != nil {
		t.Fatalf("ReadJobs: %v", err)
	}
	if len(ds) != want {
		t.Fatalf("ReadJobs got %d jobs, want %d", len(ds), want)
	}
	return ds
}

// wantBacklog fails unless region's job backlog is want.
func wantBacklog(t *testing.T, q queueUnderTest, region string, want int64) {
	t.Helper()
	n, err := q.Backlog(t.Context(), region)
	if err != nil {
		t.Fatalf("Backlog: %v", err)
	}
	if n != want {
		t.Fatalf("Backlog(%s) = %d, want %d", region, n, want)
	}
}

// wantResultBacklog fails unless the result backlog is want.
func wantResultBacklog(t *testing.T, q queueUnderTest, want int64) {
	t.Helper()
	n, err := q.ResultBacklog(t.Context())
	if err != nil {
		t.Fatalf("ResultBacklog: %v", err)
	}
	if n != want {
		t.Fatalf("ResultBacklog = %d, want %d", n, want)
	}
}
