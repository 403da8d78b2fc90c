package queue

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/testenv"
)

// Benchmarks report per-item rates (jobs/s, results/s) next to ns/op; an op
// is one call, whose batch size is in the benchmark's name.

const benchBatch = 500

func benchRedis(b *testing.B) queueUnderTest {
	_, client, prefix := testenv.MustRedis(b)
	return NewRedis(client, benchConfig(prefix))
}

func benchMemory(b *testing.B) queueUnderTest {
	m := NewMemory(benchConfig(""))
	b.Cleanup(func() { _ = m.Close() })
	return m
}

// benchConfig keeps dedupe markers short-lived. The stream cap stays at its
// default: the completion benchmarks hold hundreds of thousands of jobs
// pending, and a lower cap would trim them.
func benchConfig(prefix string) Config {
	return Config{Prefix: prefix, JobDedupeTTL: time.Minute}
}

// benchJob is a job of typical size.
func benchJob(n int) Job {
	return Job{
		ID:              fmt.Sprintf("%d:%d", n%10_000, 1_750_000_000_000+int64(n/10_000)*60_000),
		MonitorID:       int64(n % 10_000),
		Region:          "eu",
		ScheduledAt:     time.UnixMilli(1_750_000_000_000).UTC(),
		IntervalSeconds: 60,
		Request:         probe.HTTPRequest(probe.HTTP{URL: "https://service.example.com/api/health", Method: "GET", Headers: map[string]string{"User-Agent": "BetterStack/1.0", "Accept": "application/json"}, ExpectedStatus: []string{"2xx"}, FollowRedirects: true}, 10_000, 0),
	}
}

// benchResult is a result of typical size: an up check with a few response
// headers and 1 KiB of body excerpt.
func benchResult(j Job) Result {
	checked := j.ScheduledAt.Add(3 * time.Millisecond)
	expiry := checked.Add(60 * 24 * time.Hour)
	return Result{
		JobID: j.ID, MonitorID: j.MonitorID, Region: j.Region, WorkerID: "eu-worker-1", ScheduledAt: j.ScheduledAt,
		Result: probe.Result{
			Status: probe.StatusUp, StatusCode: 200, LatencyMS: 84.2,
			Phases:     probe.Phases{DNSMS: 2.1, ConnectMS: 11.4, TLSMS: 23.9, TTFBMS: 40.3, TransferMS: 6.5},
			CertExpiry: &expiry, ResolvedIP: "203.0.113.7", CheckedAt: checked,
			ResponseHeaders: map[string]string{
				"Content-Type": "application/json", "Server": "nginx", "Cache-Control": "no-store",
				"Date": "Sun, 15 Jun 2025 12:00:00 GMT", "Content-Length": "1024",
			},
			BodyExcerpt: strings.Repeat("x", 1024),
		},
	}
}

// fillPending publishes n jobs and reads them, leaving them pending.
func fillPending(b *testing.B, q queueUnderTest, n int) []JobDelivery {
	b.Helper()
	ctx := b.Context()
	for start := 0; start < n; start += benchBatch {
		jobs := make([]Job, min(benchBatch, n-start))
		for i := range jobs {
			jobs[i] = benchJob(start + i)
		}
		if _, err := q.PublishJobs(ctx, jobs); err != nil {
			b.Fatal(err)
		}
	}
	var out []JobDelivery
	for len(out) < n {
		ds, err := q.ReadJobs(ctx, "eu", "w", 1000, 0)
		if err != nil || len(ds) == 0 {
			b.Fatalf("fill: read %d of %d: %v", len(out), n, err)
		}
		out = append(out, ds...)
	}
	return out
}

// fillResults leaves n results in the results stream.
func fillResults(b *testing.B, q queueUnderTest, n int) {
	b.Helper()
	ds := fillPending(b, q, n)
	for start := 0; start < len(ds); start += benchBatch {
		batch := ds[start:min(start+benchBatch, len(ds))]
		cs := make([]Completion, len(batch))
		for i, d := range batch {
			cs[i] = Completion{DeliveryID: d.ID, Result: benchResult(d.Job)}
		}
		if _, err := q.CompleteJobs(b.Context(), "eu", cs); err != nil {
			b.Fatal(err)
		}
	}
}

func perSecond(b *testing.B, items int, unit string) {
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), unit)
}

func benchPublishJobs(b *testing.B, q queueUnderTest) {
	n := 0
	for b.Loop() {
		jobs := make([]Job, benchBatch)
		for i := range jobs {
			jobs[i] = benchJob(n)
			n++
		}
		if _, err := q.PublishJobs(b.Context(), jobs); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, n, "jobs/s")
}

func benchCompleteJob(b *testing.B, q queueUnderTest) {
	ds := fillPending(b, q, b.N)
	res := benchResult(ds[0].Job)
	b.ResetTimer()
	for i := range b.N {
		if err := q.CompleteJob(b.Context(), "eu", ds[i].ID, res); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, b.N, "jobs/s")
}

// benchCompleteJobs completes in batches of 100, as a worker does with the
// probes that finished since its last flush.
func benchCompleteJobs(b *testing.B, q queueUnderTest) {
	const batch = 100
	ds := fillPending(b, q, b.N*batch)
	res := benchResult(ds[0].Job)
	b.ResetTimer()
	for i := range b.N {
		cs := make([]Completion, batch)
		for k := range cs {
			cs[k] = Completion{DeliveryID: ds[i*batch+k].ID, Result: res}
		}
		if _, err := q.CompleteJobs(b.Context(), "eu", cs); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, b.N*batch, "jobs/s")
}

// benchReadAckResults reads and acks 100 results per op, as an alerter does.
func benchReadAckResults(b *testing.B, q queueUnderTest) {
	const batch = 100
	fillResults(b, q, b.N*batch)
	b.ResetTimer()
	for range b.N {
		rs, err := q.ReadResults(b.Context(), "a", batch, 0)
		if err != nil || len(rs) != batch {
			b.Fatalf("ReadResults = %d, %v", len(rs), err)
		}
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		if err := q.AckResults(b.Context(), ids...); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, b.N*batch, "results/s")
}

// benchEndToEnd moves 500 jobs per op through the whole path in one
// goroutine: publish, read and complete in batches of 100, read and ack the
// results in batches of 100.
func benchEndToEnd(b *testing.B, q queueUnderTest) {
	ctx := b.Context()
	n := 0
	for b.Loop() {
		jobs := make([]Job, benchBatch)
		for i := range jobs {
			jobs[i] = benchJob(n)
			n++
		}
		if _, err := q.PublishJobs(ctx, jobs); err != nil {
			b.Fatal(err)
		}
		for done := 0; done < benchBatch; {
			ds, err := q.ReadJobs(ctx, "eu", "w", 100, 0)
			if err != nil || len(ds) == 0 {
				b.Fatalf("ReadJobs = %d, %v", len(ds), err)
			}
			cs := make([]Completion, len(ds))
			for i, d := range ds {
				cs[i] = Completion{DeliveryID: d.ID, Result: benchResult(d.Job)}
			}
			if _, err := q.CompleteJobs(ctx, "eu", cs); err != nil {
				b.Fatal(err)
			}
			done += len(ds)
		}
		for done := 0; done < benchBatch; {
			rs, err := q.ReadResults(ctx, "a", 100, 0)
			if err != nil || len(rs) == 0 {
				b.Fatalf("ReadResults = %d, %v", len(rs), err)
			}
			ids := make([]string, len(rs))
			for i, r := range rs {
				ids[i] = r.ID
			}
			if err := q.AckResults(ctx, ids...); err != nil {
				b.Fatal(err)
			}
			done += len(rs)
		}
	}
	perSecond(b, n, "jobs/s")
}

func BenchmarkRedisPublishJobs(b *testing.B)     { benchPublishJobs(b, benchRedis(b)) }
func BenchmarkRedisCompleteJob(b *testing.B)     { benchCompleteJob(b, benchRedis(b)) }
func BenchmarkRedisCompleteJobs100(b *testing.B) { benchCompleteJobs(b, benchRedis(b)) }
func BenchmarkRedisReadAckResults100(b *testing.B) {
	benchReadAckResults(b, benchRedis(b))
}
func BenchmarkRedisEndToEnd(b *testing.B) { benchEndToEnd(b, benchRedis(b)) }

func BenchmarkMemoryPublishJobs(b *testing.B)     { benchPublishJobs(b, benchMemory(b)) }
func BenchmarkMemoryCompleteJob(b *testing.B)     { benchCompleteJob(b, benchMemory(b)) }
func BenchmarkMemoryCompleteJobs100(b *testing.B) { benchCompleteJobs(b, benchMemory(b)) }
func BenchmarkMemoryReadAckResults100(b *testing.B) {
	benchReadAckResults(b, benchMemory(b))
}
func BenchmarkMemoryEndToEnd(b *testing.B) { benchEndToEnd(b, benchMemory(b)) }
