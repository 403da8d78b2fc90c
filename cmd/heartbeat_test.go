package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// hbClock is the alerter's clock in these tests: deadlines are reached by
// moving it, never by waiting. It starts an hour behind the wall clock, so
// that what it dates (incidents, their notifications) is not in the future
// for the parts that keep real time (notification delivery).
type hbClock struct {
	mu  sync.Mutex
	now time.Time
}

func newHBClock() *hbClock { return &hbClock{now: time.Now().UTC().Add(-time.Hour)} }

func (c *hbClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *hbClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// pingView is a ping as GET /api/v1/monitors/{id}/pings shows it.
type pingView struct {
	At            time.Time `json:"at"`
	Signal        string    `json:"signal"`
	ExitCode      int       `json:"exit_code"`
	RunID         string    `json:"run_id"`
	Method        string    `json:"method"`
	Source        string    `json:"source"`
	UserAgent     string    `json:"user_agent"`
	Body          string    `json:"body"`
	BodyTruncated bool      `json:"body_truncated"`
}

func (c client) pings(id int64) []pingView {
	c.t.Helper()
	st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d/pings?limit=100", id), "")
	if st != http.StatusOK {
		c.t.Fatalf("pings of %d: %d %s", id, st, body)
	}
	var page struct{ Data []pingView }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatal(err)
	}
	return page.Data
}

// createHeartbeat creates a heartbeat monitor and returns its id and ping URL.
func (c client) createHeartbeat(check string, channels ...int64) (int64, string) {
	c.t.Helper()
	ch, _ := json.Marshal(channels)
	if channels == nil {
		ch = []byte("[]")
	}
	id := c.createMonitor(`{"name":"nightly backup","check":` + check + `,"interval_seconds":60,"channel_ids":` + string(ch) + `}`)
	st, body := c.call("POST", fmt.Sprintf("/api/v1/monitors/%d/ping-token", id), "")
	if st != http.StatusOK {
		c.t.Fatalf("ping token: %d %s", st, body)
	}
	var out struct {
		PingURL string `json:"ping_url"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || !strings.Contains(out.PingURL, "/ping/") {
		c.t.Fatalf("ping token answer %s: %v", body, err)
	}
	return id, out.PingURL
}

// sendPing makes one request to a ping URL and returns status and body.
func sendPing(t *testing.T, method, url, body string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "backup-script/1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(resp.Cookies()) > 0 {
		t.Errorf("%s %s set cookies: %v", method, url, resp.Cookies())
	}
	return resp.StatusCode, string(b), resp.Header
}

// TestHeartbeatPingsEndToEnd: on both backends, over real HTTP, a
// heartbeat monitor's pings (GET, HEAD, POST; start, exit code with a run
// id, log; a body over the cap) are accepted, stored and listed newest
// first; the monitor comes up; when the clock passes its deadline it goes
// down with an incident dated at the deadline, whose evidence is the last
// pings; the next ping resolves it. Unknown tokens and signals are 404.
func TestHeartbeatPingsEndToEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.PingMaxBody = 1024
		clk := newHBClock()
		app := mustAppWith(t, "all", cfg, Options{Now: clk.Now})
		base, _ := startApp(t, app)
		c := signupClient(t, app, base, "cron@example.com")
		id, url := c.createHeartbeat(`{"kind":"heartbeat","period":"1h","grace":"5m","min_run":"1s"}`)
		st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d", id), "")
		if st != 200 || !strings.Contains(body, `"target":"every 1h (grace 5m)"`) || !strings.Contains(body, `"failure_threshold":1`) {
			t.Fatalf("heartbeat monitor: %d %s", st, body)
		}

		t0 := clk.Now()
		wantStatus := func(status int, got int, body string, what string) {
			t.Helper()
			if got != status {
				t.Fatalf("%s: %d %s, want %d", what, got, body, status)
			}
		}
		st, body, _ = sendPing(t, "GET", url+"/start?rid=r1", "")
		wantStatus(200, st, body, "start")
		clk.Set(t0.Add(3 * time.Second))
		st, body, _ = sendPing(t, "POST", url+"/0?rid=r1", "backup done: 42 files")
		wantStatus(200, st, body, "exit 0")
		clk.Set(t0.Add(4 * time.Second))
		st, body, _ = sendPing(t, "HEAD", url+"/log", "")
		wantStatus(200, st, body, "HEAD log")
		clk.Set(t0.Add(5 * time.Second))
		st, body, _ = sendPing(t, "POST", url+"/log", strings.Repeat("x", 5000))
		wantStatus(200, st, body, "big body")

		for what, u := range map[string]string{
			"unknown token":  strings.TrimSuffix(url, url[strings.LastIndex(url, "/")+1:]) + "AAAAAAAAAAAAAAAAAAAAAAAA",
			"unknown signal": url + "/restart",
			"exit code 256":  url + "/256",
		} {
			st, body, _ := sendPing(t, "GET", u, "")
			if st != 404 || body != "not found\n" {
				t.Errorf("%s: %d %q, want 404 not found", what, st, body)
			}
		}

		var ps []pingView
		eventually(t, 10*time.Second, "4 pings stored", func() bool { ps = c.pings(id); return len(ps) == 4 })
		if ps[0].Signal != "log" || !ps[0].BodyTruncated || len(ps[0].Body) != 1024 {
			t.Errorf("newest ping: %+v (want the truncated log body of 1024 bytes)", ps[0].Signal)
		}
		if p := ps[2]; p.Signal != "exit" || p.ExitCode != 0 || p.RunID != "r1" || p.Body != "backup done: 42 files" ||
			p.Method != "POST" || p.Source != "127.0.0.1" || p.UserAgent != "backup-script/1.0" {
			t.Errorf("exit ping stored as %+v", p)
		}
		if ps[1].Method != "HEAD" || ps[3].Signal != "start" {
			t.Errorf("pings out of order: %+v", ps)
		}
		eventually(t, 10*time.Second, "monitor up", func() bool { return c.monitorStatus(id) == "up" })

		// Late: one second past last success + period + grace.
		deadline := t0.Add(3*time.Second + time.Hour + 5*time.Minute)
		clk.Set(deadline.Add(time.Second))
		// The app's own decider loop may hold the round (then this call
		// skips it and the loop's next round, due at once, decides).
		eventually(t, 10*time.Second, "monitor down after the deadline", func() bool {
			if _, err := app.Checkins.DecideOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			return c.monitorStatus(id) == "down"
		})
		incs := c.incidents(id)
		if len(incs) != 1 || incs[0].Status != "open" || incs[0].Cause.ErrorClass != "late" {
			t.Fatalf("incidents = %+v, want one open for lateness", incs)
		}
		st, body = c.call("GET", fmt.Sprintf("/api/v1/incidents/%d", incs[0].ID), "")
		var inc struct {
			StartedAt time.Time `json:"started_at"`
			Evidence  []struct {
				Details []struct{ Name, Value string }
			}
		}
		if err := json.Unmarshal([]byte(body), &inc); err != nil || st != 200 {
			t.Fatalf("incident: %d %s", st, body)
		}
		if !inc.StartedAt.Equal(deadline.Truncate(time.Microsecond)) {
			t.Errorf("incident started %v, want the deadline %v", inc.StartedAt, deadline)
		}
		if len(inc.Evidence) == 0 || !strings.Contains(fmt.Sprint(inc.Evidence[0].Details), "exit 0 rid r1 from 127.0.0.1 (backup-script/1.0), run 3s: backup done: 42 files") {
			t.Errorf("incident evidence lacks the last pings: %s", body)
		}
		// A second round changes nothing.
		if _, err := app.Checkins.DecideOnce(t.Context()); err != nil {
			t.Fatal(err)
		}

		clk.Set(deadline.Add(time.Minute))
		st, body, _ = sendPing(t, "GET", url, "")
		wantStatus(200, st, body, "recovery ping")
		eventually(t, 10*time.Second, "monitor up again", func() bool { return c.monitorStatus(id) == "up" })
		incs = c.incidents(id)
		if len(incs) != 1 || incs[0].Status != "resolved" {
			t.Fatalf("incidents after the ping = %+v, want the one resolved", incs)
		}
	})
}

// TestPingCLIWrapsACommand: `betterstack ping TOKEN -- sh -c ...` pings
// start, runs the command, pings its exit code with its output, and exits
// with the command's own code; the monitor goes down for the failed run.
func TestPingCLIWrapsACommand(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)
	c := signupClient(t, app, base, "cli@example.com")
	id, url := c.createHeartbeat(`{"kind":"heartbeat","period":"1d","grace":"1h"}`)
	token := url[strings.LastIndex(url, "/")+1:]
	t.Setenv("BETTERSTACK_PUBLIC_URL", base)

	r := runCLI(t, t.Context(), "", "ping", token, "--", "sh", "-c", "echo copying; echo disk full >&2; exit 3")
	var ec exitCodeError
	if !errors.As(r.err, &ec) || ec.code != 3 {
		t.Fatalf("ping exited with %v, want the command's code 3 (stderr %s)", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "copying") || !strings.Contains(r.stderr, "disk full") {
		t.Errorf("the command's output did not pass through: %q %q", r.stdout, r.stderr)
	}
	var ps []pingView
	eventually(t, 10*time.Second, "start and exit pings stored", func() bool { ps = c.pings(id); return len(ps) == 2 })
	if ps[0].Signal != "exit" || ps[0].ExitCode != 3 || !strings.Contains(ps[0].Body, "disk full") || ps[1].Signal != "start" ||
		ps[0].RunID == "" || ps[0].RunID != ps[1].RunID {
		t.Fatalf("pings = %+v", ps)
	}
	eventually(t, 10*time.Second, "monitor down for the failed run", func() bool { return c.monitorStatus(id) == "down" })

	if r := runCLI(t, t.Context(), "", "ping", url, "--", "true"); r.err != nil {
		t.Fatalf("ping -- true: %v", r.err)
	}
	eventually(t, 10*time.Second, "monitor up after a good run", func() bool { return c.monitorStatus(id) == "up" })
}

// TestPingRateLimits: past the per-token limit a ping URL is answered 429
// with Retry-After and a sentence naming the limit; another token still
// works until the per-address limit, which names itself.
func TestPingRateLimits(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	// Bursts of a quarter minute: 2 pings at once per token, 4 per address.
	cfg.PingRatePerToken, cfg.PingRatePerAddress = 4, 12
	app := MustApp(t, cfg)
	tok := mustSignup(t, app, "limits@example.com")
	var urls []string
	for i := range 2 {
		r := do(t, app, "POST", "/api/v1/monitors", tok, fmt.Sprintf(`{"name":"job %d","check":{"kind":"heartbeat","period":"1h","grace":"5m"},"interval_seconds":60}`, i))
		var m struct{ ID int64 }
		r.JSON(t, &m)
		r = do(t, app, "POST", fmt.Sprintf("/api/v1/monitors/%d/ping-token", m.ID), tok, "")
		var out struct {
			PingURL string `json:"ping_url"`
		}
		r.JSON(t, &out)
		urls = append(urls, out.PingURL[strings.Index(out.PingURL, "/ping/"):])
	}
	codes := func(path string, n int) []int {
		var out []int
		for range n {
			out = append(out, do(t, app, "GET", path, "", "").Status)
		}
		return out
	}
	got := codes(urls[0], 3)
	if fmt.Sprint(got) != "[200 200 429]" {
		t.Fatalf("per-token limit: %v, want [200 200 429]", got)
	}
	r := do(t, app, "GET", urls[0], "", "")
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "too many pings for this ping URL: at most 4 a minute") {
		t.Fatalf("429 answer: %d %v %q", r.Status, r.Header, r.Body)
	}
	// The address has made its 4 requests: a second token's ping is
	// refused by the address limit.
	r = do(t, app, "GET", urls[1], "", "")
	if r.Status != 429 || !strings.Contains(r.Body, "too many pings from this address") {
		t.Fatalf("per-address limit: %d %q", r.Status, r.Body)
	}
}

// TestHeartbeatMonitorPage: the dashboard page of a cron heartbeat shows
// its ping URL with curl, crontab and betterstack ping lines, the next five
// expected times in its zone, and the log of pings and runs.
func TestHeartbeatMonitorPage(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	startApp(t, app)
	b := mustWebSignup(t, app, "page@example.com")
	r := b.post("/monitors/new", url.Values{"kind": {"heartbeat"}, "name": {"nightly"}, "interval_seconds": {"60"},
		"check.cron": {"30 2 * * *"}, "check.tz": {"Europe/Berlin"}, "check.grace": {"30m"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	page := b.get(loc)
	for _, want := range []string{"/ping/", "curl -fsS", "CRON_TZ=Europe/Berlin", "30 2 * * * /usr/local/bin/backup.sh", "betterstack ping http",
		"Next expected (Europe/Berlin)", "02:30 CE", "No pings yet."} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("heartbeat page lacks %q", want)
		}
	}
	i := strings.Index(page.Body, `<code class="ping-url">`)
	if i < 0 {
		t.Fatal("no ping URL on the page")
	}
	pingURL := page.Body[i+len(`<code class="ping-url">`):]
	pingURL = pingURL[:strings.Index(pingURL, "<")]
	pingPath := pingURL[strings.Index(pingURL, "/ping/"):]
	if r := do(t, app, "POST", pingPath+"/start?rid=a", "", ""); r.Status != 200 {
		t.Fatalf("start: %d", r.Status)
	}
	if r := do(t, app, "POST", pingPath+"/0?rid=a", "", "all 42 tables dumped"); r.Status != 200 {
		t.Fatalf("end: %d", r.Status)
	}
	eventually(t, 10*time.Second, "the page shows the run", func() bool {
		page = b.get(loc)
		return strings.Contains(page.Body, "all 42 tables dumped") && strings.Contains(page.Body, "<td>OK</td>")
	})
	if strings.Count(page.Body, "02:30 CE") != 5 {
		t.Errorf("want five expected times at 02:30 Berlin time")
	}
}

// TestPingBodyOverTheServerLimitIsTruncated: a 2 MB POST (over the 1 MiB
// every other route refuses with 413) is accepted and kept truncated.
func TestPingBodyOverTheServerLimitIsTruncated(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)
	c := signupClient(t, app, base, "big@example.com")
	id, url := c.createHeartbeat(`{"kind":"heartbeat","period":"1h","grace":"5m"}`)
	if st, body, _ := sendPing(t, "POST", url+"/log", strings.Repeat("y", 2<<20)); st != 200 {
		t.Fatalf("2 MB ping: %d %s", st, body)
	}
	var ps []pingView
	eventually(t, 10*time.Second, "the ping stored", func() bool { ps = c.pings(id); return len(ps) == 1 })
	if !ps[0].BodyTruncated || len(ps[0].Body) != 100<<10 {
		t.Fatalf("stored body of %d bytes, truncated=%v; want the first 100 KB", len(ps[0].Body), ps[0].BodyTruncated)
	}
}

// TestPingURLReadWithoutRotating: GET …/ping-token answers the ping URL as
// it is, the same each time and working; only POST makes a new one, after
// which the old one answers 404. (The README's example used POST to read
// it, which broke the URL already copied from the monitor's page.)
func TestPingURLReadWithoutRotating(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	tok := mustSignup(t, app, "cron@example.com")
	r := do(t, app, "POST", "/api/v1/monitors", tok, `{"name":"job","check":{"kind":"heartbeat","period":"1h","grace":"5m"}}`)
	var m struct{ ID int64 }
	r.JSON(t, &m)
	url := func(method string) string {
		t.Helper()
		r := do(t, app, method, fmt.Sprintf("/api/v1/monitors/%d/ping-token", m.ID), tok, "")
		var out struct {
			PingURL string `json:"ping_url"`
		}
		r.JSON(t, &out)
		if r.Status != http.StatusOK || !strings.Contains(out.PingURL, "/ping/") {
			t.Fatalf("%s ping-token: %d %s", method, r.Status, r.Body)
		}
		return out.PingURL[strings.Index(out.PingURL, "/ping/"):]
	}
	first := url("GET")
	if again := url("GET"); again != first {
		t.Fatalf("reading the ping URL changed it: %s, then %s", first, again)
	}
	if r := do(t, app, "GET", first, "", ""); r.Status != http.StatusOK {
		t.Fatalf("the URL read answers %d", r.Status)
	}
	rotated := url("POST")
	if rotated == first {
		t.Fatal("POST did not make a new URL")
	}
	if r := do(t, app, "GET", first, "", ""); r.Status != http.StatusNotFound {
		t.Fatalf("the old URL after rotating answers %d, want 404", r.Status)
	}
	if got := url("GET"); got != rotated {
		t.Fatalf("after rotating, GET answers %s, want %s", got, rotated)
	}
}
