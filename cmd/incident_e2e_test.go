package cmd

import (
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

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/testenv"
)

// receiver is a webhook endpoint that checks signatures and keeps what it got.
type receiver struct {
	t        *testing.T
	secret   string
	failNext atomic.Int64 // answer 503 to this many requests first
	mu       sync.Mutex
	events   []string // event types with a valid signature, in order
	keys     map[string]int
	bad      int // requests with an invalid signature
	srv      *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, keys: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		if r.failNext.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := notify.VerifySignature(r.secret, req.Header.Get("BetterStack-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			r.bad++
			w.WriteHeader(401)
			return
		}
		var ev struct {
			Event string `json:"event"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(400)
			return
		}
		r.events = append(r.events, ev.Event)
		r.keys[req.Header.Get("Idempotency-Key")]++
		w.WriteHeader(200)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count(event string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e == event {
			n++
		}
	}
	return n
}

// flaky is a target whose health the test switches.
type flaky struct {
	healthy atomic.Bool
	srv     *httptest.Server
}

func newFlaky(t *testing.T) *flaky {
	f := &flaky{}
	f.healthy.Store(true)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !f.healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "database connection refused")
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(f.srv.Close)
	return f
}

type incidentView struct {
	ID     int64
	Kind   string
	Status string
	Cause  struct {
		ErrorClass string `json:"error_class"`
		StatusCode int    `json:"status_code"`
	}
	Regions  []string
	Events   []struct{ Type, Actor, Region, Message string }
	Evidence []struct {
		Region     string
		StatusCode int `json:"status_code"`
		Body       string
	}
}

func (c client) incidents(monitorID int64) []incidentView {
	c.t.Helper()
	st, body := c.call("GET", fmt.Sprintf("/api/v1/incidents?monitor_id=%d", monitorID), "")
	if st != 200 {
		c.t.Fatalf("incidents: %d %s", st, body)
	}
	var page struct{ Data []incidentView }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatal(err)
	}
	return page.Data
}

func (c client) incident(id int64) incidentView {
	c.t.Helper()
	st, body := c.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), "")
	if st != 200 {
		c.t.Fatalf("incident: %d %s", st, body)
	}
	var v incidentView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

// TestIncidentLifecycleTwoAlerters: PostgreSQL + Redis, two alerters, one
// worker. The target goes down: exactly one incident and one signed
// incident.opened webhook (the receiver fails the first attempt, so it
// arrives by retry). Acknowledge appears on the timeline and as a
// notification. Recovery resolves it and sends one incident.resolved.
func TestIncidentLifecycleTwoAlerters(t *testing.T) {
	dbURL := testenv.MustPostgres(t)
	redisURL, _, prefix := testenv.MustRedis(t)
	base := func(roles ...string) config.Config {
		cfg := testDefaults()
		cfg.DataDir = t.TempDir()
		cfg.DatabaseURL, cfg.RedisURL, cfg.RedisPrefix = dbURL, redisURL, prefix
		cfg.JWTSecret, cfg.MinInterval, cfg.AllowPrivateWebhooks = testSecret, time.Second, true
		on := true
		cfg.AutoMigrate = &on
		cfg.Roles = roles
		cfg.Region = "eu"
		return cfg
	}
	opts := Options{PasswordMemoryKiB: 64, NotifyBackoff: 200 * time.Millisecond}
	central := mustAppWith(t, "central", base("api", "pusher", "alerter"), opts)
	second := mustAppWith(t, "alerter-2", func() config.Config { c := base("alerter"); c.WorkerID = "alerter-2"; return c }(), opts)
	worker := mustAppWith(t, "worker-eu-1", func() config.Config { c := base("worker"); c.WorkerID = "worker-eu-1"; return c }(), opts)
	apiBase, _ := startApp(t, central)
	startApp(t, second)
	startApp(t, worker)

	anon := client{t: t, base: apiBase}
	_, body := anon.call("POST", "/api/v1/auth/signup", `{"email":"oncall@example.com","password":"correct horse"}`)
	var session struct{ Token string }
	if err := json.Unmarshal([]byte(body), &session); err != nil {
		t.Fatal(err)
	}
	c := client{t: t, base: apiBase, token: session.Token}

	rcv := newReceiver(t, "whsec-0123456789abcdef")
	rcv.failNext.Store(1)
	st, body := c.call("POST", "/api/v1/channels", `{"name":"ops hook","type":"webhook","config":{"url":"`+rcv.srv.URL+`","secret":"whsec-0123456789abcdef"}}`)
	if st != 201 {
		t.Fatalf("create channel: %d %s", st, body)
	}
	if strings.Contains(body, "whsec-0123456789abcdef") {
		t.Fatalf("channel secret returned by the API: %s", body)
	}
	var ch struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &ch); err != nil {
		t.Fatal(err)
	}
	target := newFlaky(t)
	st, body = c.call("POST", "/api/v1/monitors", fmt.Sprintf(`{"name":"checkout","url":"%s","interval_seconds":1,"timeout_ms":500,
		"failure_threshold":2,"recovery_threshold":2,"channel_ids":[%d]}`, target.srv.URL, ch.ID))
	if st != 201 {
		t.Fatalf("create monitor: %d %s", st, body)
	}
	var m struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "monitor up", func() bool { return c.monitorStatus(m.ID) == "up" })
	if n := len(c.incidents(m.ID)); n != 0 {
		t.Fatalf("%d incidents while healthy", n)
	}

	target.healthy.Store(false)
	eventually(t, 20*time.Second, "an open incident", func() bool { return len(c.incidents(m.ID)) > 0 })
	eventually(t, 20*time.Second, "incident.opened delivered after a retry", func() bool { return rcv.count("incident.opened") == 1 })
	incs := c.incidents(m.ID)
	if len(incs) != 1 || incs[0].Kind != "down" || incs[0].Status != "open" || incs[0].Cause.ErrorClass != "http_status" ||
		incs[0].Cause.StatusCode != 500 || strings.Join(incs[0].Regions, ",") != "eu" {
		t.Fatalf("incident = %+v", incs)
	}
	detail := c.incident(incs[0].ID)
	if len(detail.Evidence) != 1 || detail.Evidence[0].StatusCode != 500 || !strings.Contains(detail.Evidence[0].Body, "database connection refused") {
		t.Fatalf("evidence = %+v", detail.Evidence)
	}

	st, body = c.call("POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", incs[0].ID), "")
	if st != 200 || !strings.Contains(body, `"status":"acknowledged"`) || !strings.Contains(body, "oncall@example.com") {
		t.Fatalf("acknowledge: %d %s", st, body)
	}
	eventually(t, 10*time.Second, "incident.acknowledged delivered", func() bool { return rcv.count("incident.acknowledged") == 1 })

	target.healthy.Store(true)
	eventually(t, 20*time.Second, "incident resolved", func() bool { return c.incident(incs[0].ID).Status == "resolved" })
	eventually(t, 10*time.Second, "incident.resolved delivered", func() bool { return rcv.count("incident.resolved") == 1 })

	// Let both alerters run on for a while: nothing is opened or sent twice.
	time.Sleep(3 * time.Second)
	if n := len(c.incidents(m.ID)); n != 1 {
		t.Fatalf("%d incidents, want exactly 1", n)
	}
	for _, ev := range []string{"incident.opened", "incident.acknowledged", "incident.resolved"} {
		if n := rcv.count(ev); n != 1 {
			t.Errorf("%s received %d times, want 1", ev, n)
		}
	}
	rcv.mu.Lock()
	if rcv.bad != 0 {
		t.Errorf("%d webhook requests with an invalid signature", rcv.bad)
	}
	rcv.mu.Unlock()
	types := map[string]bool{}
	for _, e := range c.incident(incs[0].ID).Events {
		types[e.Type] = true
	}
	for _, want := range []string{"opened", "region_failed", "acknowledged", "resolved", "notification_delivered"} {
		if !types[want] {
			t.Errorf("timeline lacks %q: %+v", want, c.incident(incs[0].ID).Events)
		}
	}
	st, body = c.call("GET", fmt.Sprintf("/api/v1/channels/%d/deliveries", ch.ID), "")
	if st != 200 || !strings.Contains(body, `"status":"delivered"`) || !strings.Contains(body, "503") {
		t.Fatalf("deliveries must show the failed first attempt and the delivery: %d %s", st, body)
	}
}
