package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/worker"
)

// hookReceiver is the fallback webhook's receiver: it records what it got.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []hookRequest
	seen atomic.Int32
}

type hookRequest struct {
	at     time.Time
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, hookRequest{time.Now(), r.Header.Clone(), b})
		rc.mu.Unlock()
		rc.seen.Add(1)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.got...)
}

// fallbackBody is the part of a notice the test reads.
type fallbackBody struct {
	Event    string `json:"event"`
	ID       string `json:"id"`
	Fallback bool   `json:"fallback"`
	Message  string `json:"message"`
	Worker   struct {
		ID          string    `json:"id"`
		Region      string    `json:"region"`
		LastContact time.Time `json:"control_plane_last_contact_at"`
	} `json:"worker"`
	Monitor *struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Target string `json:"target"`
	} `json:"monitor"`
	Failure *struct {
		FirstFailureAt      time.Time `json:"first_failure_at"`
		ConsecutiveFailures int       `json:"consecutive_failures"`
		FailureThreshold    int       `json:"failure_threshold"`
		ErrorClass          string    `json:"error_class"`
		Error               string    `json:"error"`
		StatusCode          int       `json:"status_code"`
	} `json:"failure"`
	RecoveredAt *time.Time `json:"recovered_at"`
}

// TestFallbackWebhookWhileRedisIsDown runs a worker against a real
// redis-server with a fallback webhook on a real receiver. A monitor that
// fails while Redis answers gets no notice (the alerter tells); with Redis
// killed, the same monitor failing gets one signed down notice once its
// failure threshold is reached however long it fails, and one recovered
// notice once it passes its recovery threshold; a monitor that stays up
// gets none; with Redis back, failing again tells the webhook nothing.
func TestFallbackWebhookWhileRedisIsDown(t *testing.T) {
	const secret = "fallback-secret-0123456789"
	srv := testenv.NewRedisServer(t)
	var failing atomic.Bool
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer flaky.Close()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer healthy.Close()
	rc := newHookReceiver(t)

	q := redisQueue(t, srv, "bstest:"+testenv.Suffix()+":")
	_, reg, stopWorker := startWithConfig(t, q, worker.Config{Region: region, ID: "w1", ClaimIdle: 3 * time.Second, RetryDelay: -1,
		Spool: mustSpool(t, t.TempDir(), 10_000), OfflineFor: time.Minute, DownAfter: time.Second,
		Fallback: notify.FallbackHook{URL: rc.URL + "/hook?token=abc", Secret: secret, Transport: notify.NewTransport(true, 10*time.Second)}})

	const interval = time.Second
	const failure, recovery = 3, 2
	base := time.Now().Truncate(time.Second).Add(time.Second)
	pctx, stopPusher := context.WithCancel(context.Background())
	defer stopPusher()
	runPusherOf(pctx, q, []int64{1, 2}, base, interval, func(id int64, slot time.Time) queue.Job {
		target, name := flaky.URL+"/health", "checkout"
		if id == 2 {
			target, name = healthy.URL, "steady"
		}
		return queue.Job{ID: fmt.Sprintf("%d:%d", id, slot.UnixMilli()), MonitorID: id, Region: region, ScheduledAt: slot,
			IntervalSeconds: 1, Name: name, FailureThreshold: failure, RecoveryThreshold: recovery,
			Request: probe.HTTPRequest(probe.HTTP{URL: target, Method: "GET"}, 2000, 0)}
	})
	time.Sleep(time.Until(base.Add(2 * time.Second)))

	// Online: a failure well past the threshold, then a recovery.
	failing.Store(true)
	time.Sleep(time.Duration(failure+2) * interval)
	failing.Store(false)
	time.Sleep(time.Duration(recovery+2) * interval)
	if n := rc.seen.Load(); n != 0 {
		t.Fatalf("%d fallback notices while Redis answered; want none", n)
	}

	srv.Kill()
	killedAt := time.Now()
	waitUntil(t, 5*time.Second, "worker goes offline", func() bool { return metric(t, reg, "betterstack_worker_offline") == 1 })
	failing.Store(true)
	failedAt := time.Now()
	waitUntil(t, 15*time.Second, "a down notice", func() bool { return rc.seen.Load() >= 1 })
	t.Logf("down notice %v after the monitor began failing (Redis killed %v before)", time.Since(failedAt).Round(time.Millisecond), failedAt.Sub(killedAt).Round(time.Millisecond))
	time.Sleep(time.Duration(failure+1) * interval) // more failures: still one notice
	if n := rc.seen.Load(); n != 1 {
		t.Fatalf("%d notices after more failures; want the one down notice", n)
	}
	failing.Store(false)
	waitUntil(t, 15*time.Second, "a recovered notice", func() bool { return rc.seen.Load() >= 2 })
	time.Sleep(time.Duration(recovery+1) * interval)

	srv.Start()
	waitUntil(t, 10*time.Second, "worker back online", func() bool { return metric(t, reg, "betterstack_worker_offline") == 0 })
	failing.Store(true)
	time.Sleep(time.Duration(failure+2) * interval)
	stopPusher()
	stopWorker()

	got := rc.requests()
	if len(got) != 2 {
		for _, r := range got {
			t.Logf("notice: %s", r.body)
		}
		t.Fatalf("%d notices; want one down and one recovered, none while Redis answered", len(got))
	}
	var down, up fallbackBody
	for i, dst := range []*fallbackBody{&down, &up} {
		r := got[i]
		if err := notify.VerifySignature(secret, r.header.Get("BetterStack-Signature"), r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("notice %d: %v", i, err)
		}
		if err := json.Unmarshal(r.body, dst); err != nil {
			t.Fatalf("notice %d: %v\n%s", i, err, r.body)
		}
		if r.header.Get("BetterStack-Event") != dst.Event || r.header.Get("Idempotency-Key") != dst.ID {
			t.Errorf("notice %d headers %v; want the event and its id", i, r.header)
		}
	}
	t.Logf("down: %s", got[0].body)
	if down.Event != notify.FallbackDown || !down.Fallback || down.Worker.ID != "w1" || down.Worker.Region != region ||
		down.Worker.LastContact.After(killedAt) || down.Worker.LastContact.Before(killedAt.Add(-5*time.Second)) {
		t.Errorf("down notice: %+v", down)
	}
	if m := down.Monitor; m == nil || m.ID != 1 || m.Name != "checkout" || m.Kind != "http" || !strings.Contains(m.Target, strings.TrimPrefix(flaky.URL, "http://")) {
		t.Errorf("down notice monitor: %+v", m)
	}
	if f := down.Failure; f == nil || f.ConsecutiveFailures != failure || f.FailureThreshold != failure || f.StatusCode != http.StatusServiceUnavailable ||
		f.ErrorClass != string(probe.ClassHTTPStatus) || f.FirstFailureAt.Before(failedAt.Add(-interval)) || f.FirstFailureAt.After(failedAt.Add(2*interval)) {
		t.Errorf("down notice failure: %+v (the monitor began failing at %v)", f, failedAt)
	}
	for _, s := range []string{"FALLBACK NOTICE", "cannot reach its control plane", `Monitor 1 "checkout"`, "DOWN"} {
		if !strings.Contains(down.Message, s) {
			t.Errorf("message %q does not say %q", down.Message, s)
		}
	}
	if up.Event != notify.FallbackRecovered || up.Monitor == nil || up.Monitor.ID != 1 || up.RecoveredAt == nil ||
		!up.Failure.FirstFailureAt.Equal(down.Failure.FirstFailureAt) || !strings.Contains(up.Message, "UP again") {
		t.Errorf("recovered notice: %s", got[1].body)
	}
	if got := metric(t, reg, "betterstack_worker_fallback_notices_total", "type", notify.FallbackDown, "outcome", "sent"); got != 1 {
		t.Errorf("down notices sent (metric) = %v", got)
	}
}
