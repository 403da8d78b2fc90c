package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// client talks to a running App over real HTTP.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) call(method, path, body string) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// startApp runs the App as `serve` does until the test ends, and checks it
// shut down cleanly.
func startApp(t *testing.T, app *App) (base string, stop func()) {
	t.Helper()
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- app.Run(ctx) }()
	var once atomic.Bool
	stop = func() {
		if !once.CompareAndSwap(false, true) {
			return
		}
		cancel()
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("app stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("app did not stop within 30s of cancel")
		}
	}
	t.Cleanup(stop)
	return "http://" + app.Addr(), stop
}

type tickView struct {
	Region     string
	Status     string
	StatusCode int    `json:"status_code"`
	ErrorClass string `json:"error_class"`
	WorkerID   string `json:"worker_id"`
	Phases     struct {
		ConnectMS float64 `json:"connect_ms"`
	}
}

func (c client) ticks(id int64) []tickView {
	c.t.Helper()
	st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d/ticks?limit=200", id), "")
	if st != 200 {
		c.t.Fatalf("ticks: %d %s", st, body)
	}
	var page struct{ Data []tickView }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatal(err)
	}
	return page.Data
}

func (c client) monitorStatus(id int64) string {
	c.t.Helper()
	_, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d", id), "")
	var m struct{ Status string }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		c.t.Fatal(err)
	}
	return m.Status
}

// TestServeAllEmbedded boots `serve --role=all` with nothing configured
// (SQLite + in-process queue) on :0 and drives it over HTTP: a monitor of a
// local target gets checked, turns down when the target stops, and the
// whole process shuts down cleanly.
func TestServeAllEmbedded(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "all good")
	}))
	defer target.Close()

	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.MinInterval = time.Second
	app := MustApp(t, cfg)
	base, stop := startApp(t, app)

	anon := client{t: t, base: base}
	if st, body := anon.call("GET", "/healthz", ""); st != 200 {
		t.Fatalf("healthz: %d %s", st, body)
	}
	if st, body := anon.call("GET", "/readyz", ""); st != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz: %d %s", st, body)
	}
	st, body := anon.call("POST", "/api/v1/auth/signup", `{"email":"e2e@example.com","password":"correct horse"}`)
	if st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	var session struct{ Token string }
	if err := json.Unmarshal([]byte(body), &session); err != nil {
		t.Fatal(err)
	}
	c := client{t: t, base: base, token: session.Token}
	st, body = c.call("POST", "/api/v1/monitors", `{"name":"target","url":"`+target.URL+`","interval_seconds":1,"timeout_ms":500,"keyword":"good","failure_threshold":2}`)
	if st != 201 {
		t.Fatalf("create monitor: %d %s", st, body)
	}
	var m struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}

	eventually(t, 15*time.Second, "an up tick from region local", func() bool {
		ts := c.ticks(m.ID)
		return len(ts) > 0 && ts[0].Status == "up" && ts[0].Region == "local" && ts[0].StatusCode == 200
	})
	eventually(t, 10*time.Second, "monitor status up", func() bool { return c.monitorStatus(m.ID) == "up" })
	if st, body := c.call("GET", "/api/v1/regions", ""); st != 200 || !strings.Contains(body, `"name":"local"`) || !strings.Contains(body, `"live":true`) {
		t.Fatalf("regions: %d %s", st, body)
	}

	target.Close()
	eventually(t, 15*time.Second, "a down tick with error class connect", func() bool {
		ts := c.ticks(m.ID)
		return len(ts) > 0 && ts[0].Status == "down" && ts[0].ErrorClass == "connect"
	})
	eventually(t, 15*time.Second, "monitor status down after two failures", func() bool { return c.monitorStatus(m.ID) == "down" })

	if st, body := anon.call("GET", "/metrics", ""); st != 200 || !strings.Contains(body, "betterstack_ingest_ticks_stored_total") || !strings.Contains(body, "betterstack_worker_checks_total") {
		t.Fatalf("metrics: %d", st)
	}
	stop()
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}
