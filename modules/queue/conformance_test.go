package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

func testRoundTrip(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	scheduled := time.Date(2025, 6, 1, 12, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
	job := Job{
		ID:              "42:1748773815123",
		MonitorID:       42,
		Region:          "frankfurt",
		ScheduledAt:     scheduled,
		IntervalSeconds: 30,
		Request:         probe.HTTPRequest(probe.HTTP{URL: "https://example.test/health?x=1", Method: "POST", Headers: map[string]string{"Authorization": "Bearer t", "X-Trace": "a b"}, Body: `{"ping":true}`, ExpectedStatus: []string{"200", "3xx"}, Keyword: "ok", KeywordAbsent: true, FollowRedirects: true}, 7500, 1200),
	}
	mustPublish(t, h.q, 1, job)
	// The caller's spec is its own once published.
	wantJob := job
	wantJob.Request.Check.Config = roundTrip(t, job.Request.Check).Config
	job.Request.Check.Config[2] = 'X'

	ds := mustRead(t, h.q, "frankfurt", "w1", 1)
	got := ds[0].Job
	if !got.ScheduledAt.Equal(scheduled) {
		t.Errorf("ScheduledAt = %v, want %v", got.ScheduledAt, scheduled)
	}
	got.ScheduledAt = wantJob.ScheduledAt
	if !reflect.DeepEqual(got, wantJob) {
		t.Errorf("job changed in transit:\n got %+v\nwant %+v", got, wantJob)
	}
	if ds[0].ID == "" {
		t.Error("delivery has no ID")
	}

	expiry := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	checked := time.Date(2025, 6, 1, 12, 30, 15, 200000000, time.UTC)
	res := Result{
		JobID:       job.ID,
		MonitorID:   job.MonitorID,
		Region:      job.Region,
		WorkerID:    "w1",
		ScheduledAt: scheduled,
		Result: probe.Result{
			Status:          probe.StatusDown,
			StatusCode:      503,
			ErrorClass:      probe.ClassHTTPStatus,
			Error:           "503 Service Unavailable",
			LatencyMS:       123.5,
			Phases:          probe.Phases{DNSMS: 1.5, ConnectMS: 2, TLSMS: 3.25, TTFBMS: 100, TransferMS: 16.75},
			CertExpiry:      &expiry,
			ResolvedIP:      "192.0.2.1",
			CheckedAt:       checked,
			ResponseHeaders: map[string]string{"Retry-After": "30"},
			BodyExcerpt:     "down for maintenance",
		},
	}
	if err := h.q.CompleteJob(ctx, "frankfurt", ds[0].ID, res); err != nil {
		t.Fatalf("CompleteJob: %v", err)
	}
	res.Result.ResponseHeaders["Retry-After"] = "changed"
	wantBacklog(t, h.q, "frankfurt", 0)
	wantResultBacklog(t, h.q, 1)

	rs, err := h.q.ReadResults(ctx, "a1", 10, 0)
	if err != nil {
		t.Fatalf("ReadResults: %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("ReadResults got %d, want 1", len(rs))
	}
	gotRes := rs[0].Result
	if !gotRes.ScheduledAt.Equal(scheduled) || !gotRes.Result.CheckedAt.Equal(checked) ||
		gotRes.Result.CertExpiry == nil || !gotRes.Result.CertExpiry.Equal(expiry) {
		t.Errorf("result times changed: %+v", gotRes)
	}
	res.Result.ResponseHeaders["Retry-After"] = "30"
	gotRes.ScheduledAt, gotRes.Result.CheckedAt, gotRes.Result.CertExpiry = res.ScheduledAt, res.Result.CheckedAt, res.Result.CertExpiry
	if !reflect.DeepEqual(gotRes, res) {
		t.Errorf("result changed in transit:\n got %+v\nwant %+v", gotRes, res)
	}
	if err := h.q.AckResults(ctx, rs[0].ID); err != nil {
		t.Fatalf("AckResults: %v", err)
	}
	wantResultBacklog(t, h.q, 0)
	if err := h.q.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if n := h.q.Malformed(); n != 0 {
		t.Errorf("Malformed = %d, want 0", n)
	}
}

func testDedupe(t *testing.T, open opener) {
	h := open(t, Config{})
	a, b := testJob("1:1000", "eu"), testJob("2:1000", "eu")
	steps := []struct {
		name string
		q    func() jobPublisher
		jobs []Job
		want int
	}{
		{"first publish", func() jobPublisher { return h.q }, []Job{a}, 1},
		{"same id again", func() jobPublisher { return h.q }, []Job{a}, 0},
		{"same id from a second pusher", func() jobPublisher { return h.peer() }, []Job{a}, 0},
		{"twice in one batch with a new one", func() jobPublisher { return h.q }, []Job{b, b, a}, 1},
		{"same id in another region", func() jobPublisher { return h.q }, []Job{testJob("1:1000", "us")}, 1},
	}
	for _, s := range steps {
		n, err := s.q().PublishJobs(t.Context(), s.jobs)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if n != s.want {
			t.Errorf("%s: published %d, want %d", s.name, n, s.want)
		}
	}
	wantBacklog(t, h.q, "eu", 2)
	wantBacklog(t, h.q, "us", 1)

	// Two pushers racing over the same slots enqueue each slot once.
	jobs := make([]Job, 300)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("race:%d", i), "race")
	}
	pushers := []jobPublisher{h.q, h.peer(), h.peer()}
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for i, p := range pushers {
		wg.Go(func() {
			// Each pusher publishes all slots, in batches, in its own order.
			for start := 0; start < len(jobs); start += 50 {
				batch := jobs[start : start+50]
				if i%2 == 1 {
					batch = jobs[len(jobs)-start-50 : len(jobs)-start]
				}
				n, err := p.PublishJobs(t.Context(), batch)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if total != len(jobs) {
		t.Errorf("pushers published %d in all, want %d", total, len(jobs))
	}
	wantBacklog(t, h.q, "race", int64(len(jobs)))
}

func testDedupeExpires(t *testing.T, open opener) {
	h := open(t, Config{JobDedupeTTL: 100 * time.Millisecond})
	j := testJob("1:1000", "eu")
	mustPublish(t, h.q, 1, j)
	mustPublish(t, h.q, 0, j)
	time.Sleep(200 * time.Millisecond)
	mustPublish(t, h.q, 1, j)
	wantBacklog(t, h.q, "eu", 2)
}

func testInvalid(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
	}{
		{"job without id", func() error {
			_, err := h.q.PublishJobs(ctx, []Job{testJob("ok:1", "eu"), testJob("", "eu")})
			return err
		}},
		{"job without region", func() error { _, err := h.q.PublishJobs(ctx, []Job{testJob("1:1", "")}); return err }},
		{"read without consumer", func() error { _, err := h.q.ReadJobs(ctx, "eu", "", 1, 0); return err }},
		{"read without region", func() error { _, err := h.q.ReadJobs(ctx, "", "w", 1, 0); return err }},
		{"complete with bad id", func() error { return h.q.CompleteJob(ctx, "eu", "nope", Result{JobID: "x"}) }},
		{"drop with bad id", func() error { return h.q.DropJob(ctx, "eu", "1-x") }},
		{"ack with bad id", func() error { return h.q.AckResults(ctx, "1-1", "") }},
		{"heartbeat without worker", func() error { return h.q.Heartbeat(ctx, "eu", "") }},
		{"region with a brace", func() error { _, err := h.q.PublishJobs(ctx, []Job{testJob("1:1", "e{u}")}); return err }},
		{"read of a region with a brace", func() error { _, err := h.q.ReadJobs(ctx, "}eu", "w", 1, 0); return err }},
		{"ack of a result with a bad region", func() error { return h.q.AckResults(ctx, "1-1@") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	// A rejected batch publishes nothing, not even its valid jobs.
	wantBacklog(t, h.q, "eu", 0)
}

func testSharedConsumers(t *testing.T, open opener) {
	h := open(t, Config{})
	const total = 200
	jobs := make([]Job, total)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("%d:1000", i), "eu")
	}
	consumers := []string{"w1", "w2", "w3"}
	var mu sync.Mutex
	seen := make(map[string]string) // job id -> consumer
	perConsumer := make(map[string]int)
	var wg sync.WaitGroup
	for _, c := range consumers {
		q := h.peer()
		wg.Go(func() {
			idle := 0
			for idle < 3 {
				ds, err := q.ReadJobs(t.Context(), "eu", c, 7, 100*time.Millisecond)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					idle++
					continue
				}
				idle = 0
				cs := make([]Completion, len(ds))
				mu.Lock()
				for i, d := range ds {
					if prev, dup := seen[d.Job.ID]; dup {
						t.Errorf("job %s delivered to %s and %s", d.Job.ID, prev, c)
					}
					seen[d.Job.ID] = c
					perConsumer[c]++
					cs[i] = Completion{DeliveryID: d.ID, Result: Result{JobID: d.Job.ID, WorkerID: c}}
				}
				mu.Unlock()
				if n, err := q.CompleteJobs(t.Context(), "eu", cs); err != nil || n != len(cs) {
					t.Errorf("CompleteJobs = %d, %v; want %d", n, err, len(cs))
				}
			}
		})
	}
	// Publish while the consumers wait, in batches.
	for start := 0; start < total; start += 25 {
		mustPublish(t, h.q, 25, jobs[start:start+25]...)
	}
	wg.Wait()
	if len(seen) != total {
		t.Errorf("%d distinct jobs delivered, want %d", len(seen), total)
	}
	for _, j := range jobs {
		if _, ok := seen[j.ID]; !ok {
			t.Errorf("job %s never delivered", j.ID)
		}
	}
	t.Logf("jobs per consumer: %v", perConsumer)
	wantBacklog(t, h.q, "eu", 0)
	wantResultBacklog(t, h.q, total)
}

func testRegionsSeparate(t *testing.T, open opener) {
	h := open(t, Config{})
	mustPublish(t, h.q, 4, testJob("1:1", "eu"), testJob("2:1", "us"), testJob("3:1", "eu"), testJob("1:1", "us"))
	for _, tt := range []struct {
		region string
		want   []string
	}{
		{"eu", []string{"1:1", "3:1"}},
		{"us", []string{"1:1", "2:1"}},
		{"ap", nil},
	} {
		ds, err := h.q.ReadJobs(t.Context(), tt.region, "w", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			if d.Job.Region != tt.region {
				t.Errorf("%s got a job of %s", tt.region, d.Job.Region)
			}
			got = append(got, d.Job.ID)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s got %v, want %v", tt.region, got, tt.want)
		}
	}
}

func testClaimAbandoned(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	mustPublish(t, h.q, 1, testJob("1:1000", "eu"))
	dead := mustRead(t, h.q, "eu", "dead-worker", 1)[0]

	peer := h.peer()
	if ds, err := peer.ClaimJobs(ctx, "eu", "w2", 300*time.Millisecond, 10); err != nil || len(ds) != 0 {
		t.Fatalf("claim before minIdle = %v, %v; want nothing", ds, err)
	}
	time.Sleep(400 * time.Millisecond)
	ds, err := peer.ClaimJobs(ctx, "eu", "w2", 300*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ID != dead.ID || ds[0].Job.ID != "1:1000" {
		t.Fatalf("claimed %+v, want the abandoned delivery %s", ds, dead.ID)
	}
	// Claimed deliveries are fresh again: nobody else takes them at once.
	if again, err := h.q.ClaimJobs(ctx, "eu", "w3", 300*time.Millisecond, 10); err != nil || len(again) != 0 {
		t.Fatalf("second claim = %v, %v; want nothing", again, err)
	}
	n, err := peer.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: ds[0].ID, Result: Result{JobID: "1:1000", WorkerID: "w2"}}})
	if err != nil || n != 1 {
		t.Fatalf("CompleteJobs = %d, %v; want 1", n, err)
	}
	// The first worker wakes up and completes too: no second result.
	n, err = h.q.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: dead.ID, Result: Result{JobID: "1:1000", WorkerID: "dead-worker"}}})
	if err != nil || n != 0 {
		t.Fatalf("late CompleteJobs = %d, %v; want 0", n, err)
	}
	wantBacklog(t, h.q, "eu", 0)
	rs, err := h.q.ReadResults(ctx, "a", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Result.WorkerID != "w2" {
		t.Fatalf("results = %+v, want one from w2", rs)
	}
}

func testClaimCount(t *testing.T, open opener) {
	h := open(t, Config{})
	const total = 250
	jobs := make([]Job, total)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("%d:1", i), "eu")
	}
	mustPublish(t, h.q, total, jobs...)
	mustRead(t, h.q, "eu", "dead", total)
	first, err := h.q.ClaimJobs(t.Context(), "eu", "w", 0, 120)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := h.q.ClaimJobs(t.Context(), "eu", "w", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 120 || len(rest) != total {
		// The second claim takes everything pending, the first 120 included.
		t.Fatalf("claimed %d then %d, want 120 then %d", len(first), len(rest), total)
	}
	for i, d := range rest {
		if want := fmt.Sprintf("%d:1", i); d.Job.ID != want {
			t.Fatalf("claim %d is %s, want %s (oldest first)", i, d.Job.ID, want)
		}
	}
}

// roundTrip is spec as it reads back from JSON: the same settings, in the
// canonical (sorted) order.
func roundTrip(t *testing.T, spec probe.Spec) probe.Spec {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var out probe.Spec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
