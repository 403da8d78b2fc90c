package cmd

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/testenv"
)

// TestHeartbeatPingDuringDatabaseOutage: PostgreSQL + Redis. While the
// database refuses every connection, a ping to a known URL is still
// answered 200 (it waits in Redis), and it is stored, once, when the
// database is back.
func TestHeartbeatPingDuringDatabaseOutage(t *testing.T) {
	cl := newCluster(t)
	app := mustAppWith(t, "api+alerter", cl.config(t, "eu", "a1", "api", "alerter"), Options{})
	base, _ := startApp(t, app)
	c := signupClient(t, app, base, "outage@example.com")
	id, url := c.createHeartbeat(`{"kind":"heartbeat","cron":"0 3 * * *","tz":"Europe/Berlin","grace":"30m"}`)
	if st, body, _ := sendPing(t, "GET", url, ""); st != 200 {
		t.Fatalf("first ping: %d %s", st, body)
	}
	eventually(t, 10*time.Second, "first ping stored", func() bool { return len(c.pings(id)) == 1 })

	testenv.AllowConnections(t, cl.dbURL, false)
	st, body, _ := sendPing(t, "POST", url+"/0", "written while the database was away")
	if st != 200 {
		t.Fatalf("ping during the outage: %d %s, want 200", st, body)
	}
	n, err := cl.q.PingBacklog(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("ping backlog during the outage = %d, %v; want the ping waiting in Redis", n, err)
	}

	testenv.AllowConnections(t, cl.dbURL, true)
	var ps []pingView
	eventually(t, 30*time.Second, "the outage's ping stored", func() bool {
		st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d/pings", id), "")
		if st != 200 {
			return false // the pool is still reconnecting
		}
		var page struct{ Data []pingView }
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		ps = page.Data
		return len(ps) == 2
	})
	if ps[0].Body != "written while the database was away" || ps[0].Signal != "exit" {
		t.Fatalf("stored %+v", ps[0])
	}
	eventually(t, 10*time.Second, "ping stream drained", func() bool {
		n, err := cl.q.PingBacklog(t.Context())
		return err == nil && n == 0
	})
}

// TestHeartbeatTwoAlertersOneIncident: PostgreSQL + Redis, one api and two
// alerters on one clock. A missed run is decided by both alerters at once,
// repeatedly, and by their own decider loops: one down result, one
// incident, one incident.opened notification.
func TestHeartbeatTwoAlertersOneIncident(t *testing.T) {
	cl := newCluster(t)
	clk := newHBClock()
	conf := func(name string, roles ...string) config.Config {
		c := cl.config(t, "eu", name, roles...)
		c.AllowPrivateWebhooks = true // the receiver is on 127.0.0.1
		return c
	}
	api := mustAppWith(t, "api", conf("api", "api"), Options{Now: clk.Now})
	base, _ := startApp(t, api)
	var alerters []*App
	for _, name := range []string{"alerter-1", "alerter-2"} {
		a := mustAppWith(t, name, conf(name, "alerter"), Options{Now: clk.Now})
		startApp(t, a)
		alerters = append(alerters, a)
	}
	c := signupClient(t, api, base, "ha@example.com")
	rcv := newReceiver(t, "whsec-0123456789abcdef")
	st, body := c.call("POST", "/api/v1/channels", `{"name":"ops","type":"webhook","config":{"url":"`+rcv.srv.URL+`","secret":"whsec-0123456789abcdef"}}`)
	if st != 201 {
		t.Fatalf("channel: %d %s", st, body)
	}
	var ch struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &ch); err != nil {
		t.Fatal(err)
	}
	id, url := c.createHeartbeat(`{"kind":"heartbeat","period":"10m","grace":"2m"}`, ch.ID)
	t0 := clk.Now()
	if st, body, _ := sendPing(t, "GET", url, ""); st != 200 {
		t.Fatalf("ping: %d %s", st, body)
	}
	eventually(t, 10*time.Second, "monitor up", func() bool { return c.monitorStatus(id) == "up" })

	clk.Set(t0.Add(13 * time.Minute)) // past ping + 10m + 2m
	for range 5 {
		var wg sync.WaitGroup
		for _, a := range alerters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := a.Checkins.DecideOnce(t.Context()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	eventually(t, 20*time.Second, "incident.opened delivered", func() bool { return rcv.count("incident.opened") >= 1 })
	if incs := c.incidents(id); len(incs) != 1 || incs[0].Cause.ErrorClass != "late" {
		t.Fatalf("incidents = %+v, want exactly one for lateness", incs)
	}
	down := 0
	for _, tk := range c.slotTicks(id) {
		if tk.Status == "down" {
			down++
		}
		if tk.Region != "heartbeat" {
			t.Errorf("tick of region %q", tk.Region)
		}
	}
	if down != 1 {
		t.Errorf("%d down results for one missed run, want 1", down)
	}
	if n := rcv.count("incident.opened"); n != 1 {
		t.Errorf("%d incident.opened notifications, want 1", n)
	}
	if rcv.bad != 0 {
		t.Errorf("%d notifications with a bad signature", rcv.bad)
	}
}
