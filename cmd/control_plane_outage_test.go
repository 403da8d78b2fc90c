package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// TestControlPlaneOutageLosesNoCheck runs the distributed wiring (an api +
// alerter process, a pusher, and a worker in region eu with a fallback
// webhook) on a redis-server of its own and a PostgreSQL database of its
// own, then takes both away at once for 10 s (BETTERSTACK_OUTAGE; monitors
// every BETTERSTACK_OUTAGE_INTERVAL, 2 s): Redis killed, the database
// refusing connections. The worker spools and keeps checking; the alerter's
// ingest fails and retries; the pusher cannot publish. After both are back,
// every slot of every monitor from its first check to the end has exactly
// one stored tick (see outageFigures). Meanwhile a monitor that starts
// failing during the outage reaches the fallback webhook, signed, once down
// and once recovered: the settings are wired.
//
//	BETTERSTACK_TEST_STRICT=1 BETTERSTACK_OUTAGE=10m BETTERSTACK_OUTAGE_INTERVAL=5s \
//	  go test ./cmd/ -run TestControlPlaneOutageLosesNoCheck -count=1 -v -timeout 25m
func TestControlPlaneOutageLosesNoCheck(t *testing.T) {
	const secret = "fallback-secret-0123456789"
	outage, interval := testenv.Outage(t, 10*time.Second, 2*time.Second)
	srv := testenv.NewRedisServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialTimeout: 300 * time.Millisecond, MaxRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	cl := cluster{dbURL: testenv.MustPostgres(t), redisURL: srv.URL(), prefix: "bstest:" + testenv.Suffix() + ":", rdb: rdb}
	cl.q = queue.NewRedis(rdb, queue.Config{Prefix: cl.prefix})

	hits := newPathCounter()
	var failing atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky" && failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		hits.ServeHTTP(w, r)
	}))
	t.Cleanup(target.Close)
	var hookMu sync.Mutex
	var notices []notify.FallbackNotice
	var hookBodies [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature(secret, r.Header.Get("BetterStack-Signature"), body, time.Now(), time.Minute); err != nil {
			t.Errorf("fallback notice: %v", err)
		}
		var n struct {
			Event   string `json:"event"`
			Monitor *struct {
				ID int64 `json:"id"`
			} `json:"monitor"`
		}
		if err := json.Unmarshal(body, &n); err != nil || n.Monitor == nil {
			t.Errorf("fallback notice %s: %v", body, err)
			return
		}
		hookMu.Lock()
		notices = append(notices, notify.FallbackNotice{Type: n.Event, MonitorID: n.Monitor.ID})
		hookBodies = append(hookBodies, body)
		hookMu.Unlock()
	}))
	t.Cleanup(hook.Close)
	told := func() []notify.FallbackNotice {
		hookMu.Lock()
		defer hookMu.Unlock()
		return append([]notify.FallbackNotice(nil), notices...)
	}

	api := mustAppWith(t, "api", cl.config(t, "local", "", "api", "alerter"), Options{})
	base, _ := startApp(t, api)
	c := signupClient(t, api, base, "outage@example.com")
	wcfg := cl.config(t, "eu", "eu-1", "worker")
	wcfg.WorkerOfflineChecksFor = outage + 2*time.Minute
	wcfg.WorkerFallbackWebhook, wcfg.WorkerFallbackSecret = hook.URL+"/fallback", secret
	w := mustAppWith(t, "eu-1", wcfg, Options{})
	startApp(t, w)
	eventually(t, 10*time.Second, "region eu live", func() bool { return c.regions()["eu"].Live })

	secs := int(interval / time.Second)
	var ids []int64
	for i := range 4 {
		ids = append(ids, c.createMonitor(fmt.Sprintf(`{"name":"m%d","url":"%s/m/%d","interval_seconds":%d,"regions":["eu"]}`, i, target.URL, i, secs)))
	}
	flaky := c.createMonitor(fmt.Sprintf(`{"name":"flaky","url":"%s/flaky","interval_seconds":%d,"regions":["eu"],"failure_threshold":2,"recovery_threshold":2}`, target.URL, secs))
	ids = append(ids, flaky)
	pusher := mustAppWith(t, "pusher", cl.config(t, "local", "", "pusher"), Options{})
	_, stopPusher := startApp(t, pusher)
	eventually(t, 10*time.Second+3*interval, "two checks of every monitor stored", func() bool {
		for _, id := range ids {
			if len(ticksOf(t, api, id)) < 2 {
				return false
			}
		}
		return true
	})

	killedAt := time.Now()
	srv.Kill()
	testenv.AllowConnections(t, cl.dbURL, false)
	t.Logf("Redis killed and PostgreSQL refusing connections for %v; monitors every %v", outage, interval)
	eventually(t, 10*time.Second, "worker offline", func() bool { return metricSum(t, w.Metrics, "betterstack_worker_offline") == 1 })
	failing.Store(true)
	eventually(t, 10*time.Second+5*interval, "a fallback down notice", func() bool { return len(told()) >= 1 })
	failing.Store(false)
	eventually(t, 10*time.Second+5*interval, "a fallback recovered notice", func() bool { return len(told()) >= 2 })
	time.Sleep(outage - time.Since(killedAt))
	backAt := time.Now() // Redis answers from within Start
	srv.Start()
	testenv.AllowConnections(t, cl.dbURL, true)
	t.Logf("back after %v", backAt.Sub(killedAt).Round(time.Millisecond))
	eventually(t, 20*time.Second, "worker online", func() bool { return metricSum(t, w.Metrics, "betterstack_worker_offline") == 0 })
	time.Sleep(max(5*time.Second, 3*interval))
	stopPusher()
	end := time.Now()
	eventually(t, 30*time.Second+outage/10, "spool replayed", func() bool { return metricSum(t, w.Metrics, "betterstack_worker_spool_results") == 0 })
	cl.waitQuiet(t, 30*time.Second+outage/10, "eu")

	var f outageFigures
	for _, id := range ids {
		f.add(t, id, ticksOf(t, api, id), interval, killedAt, backAt, end)
	}
	dupes := metricSum(t, api.Metrics, "betterstack_ingest_duplicates_total")
	t.Logf("outage %v (Redis and PostgreSQL), %d monitors every %v: %d slots expected (%d during the outage), %d stored, %d missing; "+
		"%d checked by the pusher's catch-up instead (%d checks off the slots, with the new monitors' first); "+
		"no slot stored twice (ticks are unique per slot; %v results delivered twice were stored once); worker: %v offline checks, %v spooled, %v replayed",
		backAt.Sub(killedAt).Round(time.Second), len(ids), interval, f.expected, f.inOutage, f.stored, f.missing, f.covered, f.offGrid, dupes,
		metricSum(t, w.Metrics, "betterstack_worker_offline_checks_total"), metricSum(t, w.Metrics, "betterstack_worker_results_spooled_total"),
		metricSum(t, w.Metrics, "betterstack_worker_results_replayed_total"))
	if f.missing > 0 || f.outageGaps > 0 {
		t.Errorf("%d slots missing, %d of the outage's slots without their own tick", f.missing, f.outageGaps)
	}
	if f.covered > len(ids) || f.offGrid > 2*len(ids) {
		t.Errorf("%d slots covered by an off-grid check and %d off-grid checks: want at most the catch-up's one, and the creation's check, per monitor",
			f.covered, f.offGrid)
	}
	if want := len(ids) * int(outage/interval) * 7 / 10; f.inOutage < want {
		t.Errorf("%d slots fell in the outage; want about %d: the test did not cover it", f.inOutage, len(ids)*int(outage/interval))
	}

	got := told()
	if len(got) != 2 || got[0].Type != notify.FallbackDown || got[1].Type != notify.FallbackRecovered || got[0].MonitorID != flaky || got[1].MonitorID != flaky {
		hookMu.Lock()
		for _, b := range hookBodies {
			t.Logf("notice: %s", b)
		}
		hookMu.Unlock()
		t.Errorf("fallback notices %+v; want one down and one recovered for monitor %d", got, flaky)
	}
}

// outageFigures counts the slots of monitors through an outage.
//
// A monitor's slots are its phase plus whole intervals: the pusher's grid,
// which offline checks keep. Two checks are off it by design: a new
// monitor's first, at its creation, and the pusher's catch-up once it can
// publish again (a slot missed by more than an interval is published
// "now", and the grid resumes at the next slot at least half an interval
// later, so the slot in between is checked by the catch-up: covered, one
// check within an interval of the slot covering one slot). Every other
// slot from the monitor's first on the grid must have its own tick; the
// worker goes on checking offline after Redis answers until the pusher's
// jobs arrive (worker.Handover), so the handover loses none.
type outageFigures struct {
	expected, stored, missing, covered, offGrid, inOutage, outageGaps int
}

// add counts the slots of monitor id, whose ticks (oldest first) are
// slots, from its first tick on its grid to the last slot an interval
// before end.
func (f *outageFigures) add(t *testing.T, id int64, slots []time.Time, interval time.Duration, killedAt, backAt, end time.Time) {
	t.Helper()
	// The grid's phase is the offset most ticks share (to the microsecond
	// the database keeps).
	iv := interval.Microseconds()
	offsets := map[int64]int{}
	for _, s := range slots {
		offsets[s.UnixMicro()%iv]++
	}
	phase, best := int64(0), 0
	for off, n := range offsets {
		if n > best {
			phase, best = off, n
		}
	}
	have := map[int64]bool{}
	var first time.Time
	var extra []time.Time
	for _, s := range slots {
		if s.UnixMicro()%iv != phase {
			extra = append(extra, s)
			f.offGrid++
			continue
		}
		if first.IsZero() {
			first = s
		}
		have[s.UnixMicro()] = true
	}
	if first.IsZero() {
		t.Fatalf("monitor %d has no tick on a slot", id)
	}
	var gaps []string
	for s := first; !s.After(end.Add(-interval)); s = s.Add(interval) {
		f.expected++
		during := !s.Before(killedAt) && s.Before(backAt)
		if during {
			f.inOutage++
		}
		if have[s.UnixMicro()] {
			f.stored++
			continue
		}
		if during {
			f.outageGaps++
		}
		covered := false
		for i, e := range extra {
			if d := e.Sub(s); d > -interval && d < interval {
				covered = true
				extra = append(extra[:i], extra[i+1:]...) // one check covers one slot
				break
			}
		}
		if covered {
			f.covered++
			continue
		}
		f.missing++
		gaps = append(gaps, fmt.Sprintf("+%v", s.Sub(killedAt).Round(time.Millisecond)))
	}
	if len(gaps) > 0 {
		t.Errorf("monitor %d: %d slots without a check (from the outage's start): %v", id, len(gaps), gaps)
	}
}

// ticksOf returns the scheduled times of a monitor's ticks in region eu,
// oldest first, read from the database.
func ticksOf(t *testing.T, app *App, id int64) []time.Time {
	t.Helper()
	var out []time.Time
	if err := app.DB.Raw("SELECT scheduled_at FROM ticks WHERE monitor_id = ? AND region = 'eu' ORDER BY scheduled_at", id).Scan(&out).Error; err != nil {
		t.Fatalf("ticks of monitor %d: %v", id, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
