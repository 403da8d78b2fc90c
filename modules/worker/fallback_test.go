package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

func TestFallbackThresholds(t *testing.T) {
	for _, tc := range []struct {
		name              string
		job               queue.Job
		failure, recovery int
	}{
		{"the monitor's own", queue.Job{FailureThreshold: 5, RecoveryThreshold: 4}, 5, 4},
		{"one and one", queue.Job{FailureThreshold: 1, RecoveryThreshold: 1}, 1, 1},
		{"a job without them (older pusher)", queue.Job{}, DefaultFallbackFailures, DefaultFallbackRecoveries},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, r := FallbackThresholds(tc.job)
			if f != tc.failure || r != tc.recovery {
				t.Errorf("FallbackThresholds = %d, %d; want %d, %d", f, r, tc.failure, tc.recovery)
			}
		})
	}
	if DefaultFallbackFailures != 3 || DefaultFallbackRecoveries != 1 {
		t.Error("the documented defaults (3 failed checks, 1 passing) changed")
	}
}

// TestObserve folds sequences of results into a Watch. A step is F (failed)
// or P (passed), in upper case offline (the result could not be
// published), lower case online; the verdicts read "." for Quiet, "D" for
// NoticeDown, "R" for NoticeRecovered.
func TestObserve(t *testing.T) {
	for _, tc := range []struct {
		name              string
		failure, recovery int
		steps             string
		want              string
	}{
		{"threshold-1 failures offline: nothing", 3, 2, "FF", ".."},
		{"threshold failures offline: one down", 3, 2, "FFF", "..D"},
		{"more failures: still one down", 3, 2, "FFFFFFF", "..D...."},
		{"recovery-1 passes: nothing yet", 3, 2, "FFFP", "..D."},
		{"recovery passes: one recovered", 3, 2, "FFFPP", "..D.R"},
		{"more passes: still one recovered", 3, 2, "FFFPPPP", "..D.R.."},
		{"a pass resets the count", 3, 2, "FFPFF", "....."},
		{"threshold 1", 1, 1, "FPF", "DRD"},
		{"online: none", 3, 2, "ffffpp", "......"},
		{"confirmed online, then offline: the alerter told it", 3, 2, "fffFFFPP", "........"},
		{"failures online, confirmed offline: down", 3, 2, "ffF", "..D"},
		{"passes online after a down notice: the alerter tells the rest", 3, 2, "FFFpp", "..D.."},
		{"down, online, offline again, recovered offline", 3, 2, "FFFfffFFPP", "..D......R"},
		{"recovered online, a new failure offline: a new down", 3, 2, "FFFppFFF", "..D....D"},
		{"flapping: each confirmed failure once", 2, 1, "FFPFFPFF", ".DR.DR.D"},
		{"recovery confirmed online before the notice: no recovered", 3, 1, "FFFpP", "..D.."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Watch
			var got strings.Builder
			for i, c := range tc.steps {
				slot := t0.Add(time.Duration(i) * time.Minute)
				var v Verdict
				s, v = Observe(s, slot, c == 'F' || c == 'f', c == 'F' || c == 'P', tc.failure, tc.recovery)
				got.WriteByte(".DR"[v])
			}
			if got.String() != tc.want {
				t.Errorf("steps %s: verdicts %s, want %s", tc.steps, got.String(), tc.want)
			}
		})
	}
}

func TestObserveFirstFailureAndOrder(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	var s Watch
	s, _ = Observe(s, at(0), false, true, 2, 1)
	s, _ = Observe(s, at(1), true, true, 2, 1)
	// A result older than the newest one (out of order) changes nothing.
	if s2, v := Observe(s, at(1), true, true, 2, 1); v != Quiet || s2 != s {
		t.Errorf("the same slot again: %v, %+v", v, s2)
	}
	if s2, v := Observe(s, at(0), true, true, 2, 1); v != Quiet || s2 != s {
		t.Errorf("an older slot: %v, %+v", v, s2)
	}
	s, v := Observe(s, at(2), true, true, 2, 1)
	if v != NoticeDown || !s.FirstFailure.Equal(at(1)) || s.Failures != 2 {
		t.Errorf("verdict %v, first failure %v, failures %d; want down since the slot of minute 1, 2 failures", v, s.FirstFailure, s.Failures)
	}
	if got := fallbackKey("eu", 7, s.FirstFailure, notify.FallbackDown); got != fmt.Sprintf("fallback:eu:7:%d:down", at(1).UnixMilli()) {
		t.Errorf("key %s", got)
	}
	if got := fallbackKey("eu", 7, s.FirstFailure, notify.FallbackRecovered); !strings.HasSuffix(got, ":recovered") {
		t.Errorf("key %s", got)
	}
}

func TestGate(t *testing.T) {
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	g := Gate{PerMinute: 3}
	for i := range 3 {
		if !g.Admit(sec(float64(i)), notify.FallbackDown, int64(i)) {
			t.Fatalf("notice %d of 3 held back", i+1)
		}
	}
	if g.Admit(sec(3), notify.FallbackDown, 10) {
		t.Fatal("the cap+1th notice in a minute was sent")
	}
	if _, ok := g.Summary(sec(59.999)); ok {
		t.Fatal("summary sent before the cap had room")
	}
	// Room at sec(60) (the first send is a minute old), but the held
	// notice is not overtaken: the new one joins the summary.
	if g.Admit(sec(60), notify.FallbackRecovered, 11) {
		t.Fatal("a notice overtook the held-back ones")
	}
	h, ok := g.Summary(sec(60))
	if !ok || h.Count() != 2 || h.Down != 1 || h.Recovered != 1 || fmt.Sprint(h.IDs) != "[10 11]" || !h.Since.Equal(sec(3)) {
		t.Fatalf("summary %+v, %v; want 1 down and 1 recovered held since 3 s", h, ok)
	}
	if _, ok := g.Summary(sec(60)); ok {
		t.Fatal("a second summary with nothing held back")
	}
	// The summary counted: sends at 1 s, 2 s and 60 s fill the cap.
	if g.Admit(sec(60.5), notify.FallbackDown, 12) {
		t.Fatal("sent past the cap: the summary must count")
	}
	if _, ok := g.Summary(sec(60.999)); ok {
		t.Fatal("summary before room")
	}
	if h, ok := g.Summary(sec(61)); !ok || h.Count() != 1 {
		t.Fatalf("summary at 61 s: %+v %v", h, ok)
	}
	if !g.Admit(sec(62), notify.FallbackDown, 13) {
		t.Fatal("nothing held back and room: the notice must go")
	}
}

func TestGateListsAtMostMaxHeldIDs(t *testing.T) {
	g := Gate{PerMinute: 1}
	g.Admit(t0, notify.FallbackDown, 0)
	for i := range notify.MaxHeldIDs + 50 {
		g.Admit(t0, notify.FallbackDown, int64(i+1))
	}
	h, ok := g.Summary(t0.Add(time.Minute))
	if !ok || h.Count() != notify.MaxHeldIDs+50 || len(h.IDs) != notify.MaxHeldIDs {
		t.Fatalf("summary of %d with %d ids; want %d with %d", h.Count(), len(h.IDs), notify.MaxHeldIDs+50, notify.MaxHeldIDs)
	}
}

// TestDeliver sends through notify.FallbackHook to a receiver that answers
// a sequence of statuses.
func TestDeliver(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		wantErr  bool
		attempts int32
	}{
		{"accepted at once", []int{200}, false, 1},
		{"a 500, then accepted", []int{500, 204}, false, 2},
		{"failing every time: gives up after the retries", []int{503, 502, 500, 500}, true, 3},
		{"refused for good: no retry", []int{403, 200}, true, 1},
		{"429 is worth a retry", []int{429, 200}, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := n.Add(1) - 1
				w.WriteHeader(tc.statuses[min(int(i), len(tc.statuses)-1)])
			}))
			defer rc.Close()
			hook := notify.FallbackHook{URL: rc.URL, Transport: notify.NewTransport(true, time.Second)}
			err := deliver(context.Background(), hook, notify.FallbackNotice{Type: notify.FallbackDown}, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond})
			if (err != nil) != tc.wantErr || n.Load() != tc.attempts {
				t.Errorf("err %v after %d attempts; want error %v after %d", err, n.Load(), tc.wantErr, tc.attempts)
			}
		})
	}
}

// TestObserveBuildsNotices runs observe on a worker (no Redis: the link
// and the monitors are set by hand) and checks what reaches the gate.
func TestObserveBuildsNotices(t *testing.T) {
	w := newTestWorker(t)
	j := queue.Job{ID: "7:0", MonitorID: 7, Region: "eu", ScheduledAt: t0, IntervalSeconds: 60, Name: "shop",
		FailureThreshold: 2, RecoveryThreshold: 1,
		Request: probe.HTTPRequest(probe.HTTP{URL: "https://user:pw@shop.example/health?key=s3cr3t", Method: "GET"}, 2000, 0)}
	w.noteJob(j)
	w.link.ok(t0)
	res := func(m int, st probe.Status) queue.Result {
		return queue.Result{MonitorID: 7, ScheduledAt: t0.Add(time.Duration(m) * time.Minute),
			Result: probe.Result{Status: st, ErrorClass: probe.ClassConnect, Error: "connection refused"}}
	}
	w.observe(res(1, probe.StatusDown), true)
	w.observe(res(2, probe.StatusDown), true)
	w.observe(res(3, probe.StatusDown), true)
	w.observe(res(4, probe.StatusDegraded), true) // slow but answering: a pass
	if got := len(w.fbObserved); got != 2 {
		t.Fatalf("%d notices; want a down and a recovered", got)
	}
	down, up := <-w.fbObserved, <-w.fbObserved
	if down.Type != notify.FallbackDown || down.MonitorID != 7 || down.MonitorName != "shop" || down.Kind != "http" ||
		!down.FirstFailureAt.Equal(t0.Add(time.Minute)) || down.Failures != 2 || down.Threshold != 2 ||
		down.ErrorClass != "connect" || down.Error != "connection refused" || down.WorkerID != "w1" || down.Region != "eu" || !down.LastContact.Equal(t0) {
		t.Errorf("down notice %+v", down)
	}
	if strings.Contains(down.Target, "s3cr3t") || strings.Contains(down.Target, "pw") || !strings.Contains(down.Target, "shop.example") {
		t.Errorf("target %q: want the host without credentials", down.Target)
	}
	if up.Type != notify.FallbackRecovered || !up.RecoveredAt.Equal(t0.Add(4*time.Minute)) || !up.FirstFailureAt.Equal(down.FirstFailureAt) ||
		up.Error != down.Error || up.Key == down.Key {
		t.Errorf("recovered notice %+v", up)
	}
	// Online: nothing.
	w.observe(res(5, probe.StatusDown), false)
	w.observe(res(6, probe.StatusDown), false)
	if got := len(w.fbObserved); got != 0 {
		t.Errorf("%d notices online", got)
	}
}

// newTestWorker is a worker that is never run, with a fallback webhook set
// (observe does nothing without one).
func newTestWorker(t *testing.T) *Worker {
	t.Helper()
	return New(nil, nil, nil, Config{Region: "eu", ID: "w1", Now: func() time.Time { return t0.Add(time.Hour) },
		Fallback: notify.FallbackHook{URL: "http://127.0.0.1:9/"}}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
}

// TestFallbackLoopCapsAndSummarizes runs the gate and delivery loops of a
// worker capped at 2 notices a minute, on a clock the test moves, against
// a real receiver: 5 notices at once send 2; a minute later one summary
// says the other 3 were held back.
func TestFallbackLoopCapsAndSummarizes(t *testing.T) {
	var mu sync.Mutex
	var got []string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer rc.Close()
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	var now atomic.Int64
	now.Store(t0.UnixNano())
	w := New(nil, nil, nil, Config{Region: "eu", ID: "w1", FallbackPerMinute: 2, Now: func() time.Time { return time.Unix(0, now.Load()) },
		Fallback: notify.FallbackHook{URL: rc.URL, Transport: notify.NewTransport(true, time.Second)}}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	defer loops.Wait()
	defer cancel()
	loops.Go(func() { w.fallbackLoop(ctx) })
	loops.Go(func() { w.deliverLoop(ctx) })

	for id := range int64(5) {
		w.fbObserved <- notify.FallbackNotice{Type: notify.FallbackDown, MonitorID: id + 1, WorkerID: "w1", Region: "eu"}
	}
	waitFor(t, "2 notices", func() bool { return len(received()) >= 2 })
	time.Sleep(1200 * time.Millisecond) // a tick of the loop: no summary before the minute is over
	if n := len(received()); n != 2 {
		t.Fatalf("%d notices within the minute; want the cap, 2", n)
	}
	now.Add(int64(time.Minute))
	waitFor(t, "the summary", func() bool { return len(received()) >= 3 })
	time.Sleep(1200 * time.Millisecond)
	rs := received()
	if len(rs) != 3 || !strings.Contains(rs[2], `"event":"worker.fallback.summary"`) || !strings.Contains(rs[2], `"held_back":3`) ||
		!strings.Contains(rs[2], `"monitor_ids":[3,4,5]`) {
		t.Fatalf("notices %v; want 2 and then one summary of the 3 held back", rs)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
