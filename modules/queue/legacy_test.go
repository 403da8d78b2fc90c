package queue

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisLegacyLayout: what the previous release left in Redis (jobs in
// "<prefix>jobs:<region>", results in "<prefix>results", some of each
// pending with a process that is gone) is delivered by the new layout, and
// the old keys disappear once empty.
func TestRedisLegacyLayout(t *testing.T) {
	q, c := newRedis(t, Config{})
	ctx := t.Context()
	p := q.cfg.Prefix
	oldJobs, oldResults := p+"jobs:eu", p+"results"
	add := func(stream, field string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: map[string]any{field: b}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// As the previous release wrote them: groups at 0, one entry of each
	// stream delivered to a consumer that died.
	for _, g := range [][2]string{{oldJobs, groupWorkers}, {oldResults, groupAlerters}} {
		if err := c.XGroupCreateMkStream(ctx, g[0], g[1], "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	add(oldJobs, fieldJob, testJob("1:1", "eu"))
	add(oldResults, fieldResult, Result{JobID: "old:1", Region: "eu"})
	for _, g := range [][3]string{{oldJobs, groupWorkers, "old-worker"}, {oldResults, groupAlerters, "old-alerter"}} {
		if err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: g[1], Consumer: g[2], Streams: []string{g[0], ">"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	add(oldJobs, fieldJob, testJob("2:1", "eu"))
	add(oldJobs, fieldJob, testJob("3:1", "eu"))
	add(oldResults, fieldResult, Result{JobID: "old:2", Region: "eu"})

	// Jobs: moved on the region's first read, pending one included.
	ds, err := q.ReadJobs(ctx, "eu", "w", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	cs := make([]Completion, len(ds))
	for i, d := range ds {
		ids = append(ids, d.Job.ID)
		cs[i] = Completion{DeliveryID: d.ID, Result: Result{JobID: d.Job.ID, Region: "eu"}}
	}
	sort.Strings(ids)
	if fmt.Sprint(ids) != "[1:1 2:1 3:1]" {
		t.Fatalf("jobs read after the upgrade = %v, want all three old ones", ids)
	}
	if typ := c.Type(ctx, oldJobs).Val(); typ != "none" {
		t.Errorf("old job stream still there (%s)", typ)
	}
	if n, err := q.CompleteJobs(ctx, "eu", cs); err != nil || n != 3 {
		t.Fatalf("CompleteJobs = %d, %v", n, err)
	}

	// Results: the old stream is one more source until it is empty.
	wantResultBacklog(t, q, 2+3)
	rs, err := q.ReadResults(ctx, "a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := q.ClaimResults(ctx, "a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]string) // job id -> delivery id
	for _, r := range append(rs, claimed...) {
		got[r.Result.JobID] = r.ID
	}
	if len(got) != 5 || got["old:1"] == "" || got["old:2"] == "" {
		t.Fatalf("results after the upgrade = %v; want old:1 (pending with a dead alerter), old:2 and the three new ones", got)
	}
	var acks []string
	for _, id := range got {
		acks = append(acks, id)
	}
	if err := q.AckResults(ctx, acks...); err != nil {
		t.Fatal(err)
	}
	wantResultBacklog(t, q, 0)
	if typ := c.Type(ctx, oldResults).Val(); typ != "none" {
		t.Errorf("old results stream still there once drained (%s)", typ)
	}
}
