package checkin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/heartbeat"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		perMinute int
		at        []time.Duration // request times after t0
		want      []bool
	}{
		{"burst of a quarter minute, then refused", 8, []time.Duration{0, 0, 0, 0}, []bool{true, true, true, false}},
		{"the rate refills", 8, []time.Duration{0, 0, 0, 0, 7500 * time.Millisecond}, []bool{true, true, true, false, true}},
		{"one a minute allows one and a burst of one", 1, []time.Duration{0, 0, 0, time.Minute}, []bool{true, true, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(tc.perMinute)
			for i, d := range tc.at {
				ok, wait := l.allow("k", t0.Add(d))
				if ok != tc.want[i] {
					t.Fatalf("request %d at +%v: allowed=%v, want %v", i, d, ok, tc.want[i])
				}
				if !ok && wait <= 0 {
					t.Fatalf("refused without a wait")
				}
			}
			if ok, _ := l.allow("other", t0); !ok {
				t.Error("another key shares the bucket")
			}
		})
	}
	if ok, _ := newLimiter(0).allow("k", t0); !ok {
		t.Error("a zero limit refuses")
	}
}

func TestTokens(t *testing.T) {
	key := KeyFrom([]byte("secret"))
	a, b := tokenFor(key, 1, "s1"), tokenFor(key, 1, "s2")
	if len(a) != 24 || a == b || a == tokenFor(key, 2, "s1") || a == tokenFor(KeyFrom([]byte("other")), 1, "s1") {
		t.Fatalf("tokens %q %q: want 24 characters, different per salt, monitor and key", a, b)
	}
	if a != tokenFor(key, 1, "s1") {
		t.Fatal("a token cannot be derived again")
	}
	if h := hashToken(a); len(h) != 64 || strings.Contains(h, a) {
		t.Fatalf("hash %q", h)
	}
}

// TestTokenCacheServesStaleOnlyWhenAsked: an entry is fresh for 30 s
// (unknown ones for 5 s); get still returns a stale entry, which resolve
// uses only when the database cannot answer.
func TestTokenCache(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	c := newTokenCache()
	c.put("known", 7, t0)
	c.put("unknown", 0, t0)
	for _, tc := range []struct {
		hash          string
		at            time.Duration
		ok, fresh     bool
		wantMonitorID int64
	}{
		{"known", 29 * time.Second, true, true, 7},
		{"known", 31 * time.Second, true, false, 7},
		{"unknown", 4 * time.Second, true, true, 0},
		{"unknown", 6 * time.Second, true, false, 0},
		{"never", 0, false, false, 0},
	} {
		e, ok, fresh := c.get(tc.hash, t0.Add(tc.at))
		if ok != tc.ok || fresh != tc.fresh || e.monitorID != tc.wantMonitorID {
			t.Errorf("get(%s, +%v) = %v %v %v", tc.hash, tc.at, e.monitorID, ok, fresh)
		}
	}
	c.forget("known")
	if _, ok, _ := c.get("known", t0); ok {
		t.Error("forget kept the entry")
	}
}

// TestTokenCacheFloodKeepsKnownTokens: a flood of made-up tokens (each
// remembered as unknown) starts only the unknown map over: the known
// tokens stay, which an api process needs to accept pings while the
// database is down. A hash learned known leaves the unknown map.
func TestTokenCacheFloodKeepsKnownTokens(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	c := newTokenCache()
	c.max, c.maxUnknown = 10, 4
	c.put("known", 7, t0)
	for i := range 100 {
		c.put(fmt.Sprint("guess-", i), 0, t0)
	}
	if e, ok, _ := c.get("known", t0); !ok || e.monitorID != 7 {
		t.Fatalf("after a flood of unknown tokens, known = %v %v", e, ok)
	}
	if len(c.unknowns) > c.maxUnknown {
		t.Fatalf("%d unknown entries kept, at most %d", len(c.unknowns), c.maxUnknown)
	}
	c.put("later", 0, t0)
	c.put("later", 8, t0)
	if e, ok, _ := c.get("later", t0); !ok || e.monitorID != 8 {
		t.Fatalf("a token once unknown, then known: %v %v", e, ok)
	}
	if _, ok := c.unknowns["later"]; ok {
		t.Fatal("a known token is still in the unknown map")
	}
	// Known tokens past their bound start their own map over.
	for i := range 11 {
		c.put(fmt.Sprint("k-", i), int64(100+i), t0)
	}
	if len(c.entries) > c.max {
		t.Fatalf("%d known entries kept, at most %d", len(c.entries), c.max)
	}
}

func TestSignalWords(t *testing.T) {
	for _, s := range []heartbeat.Signal{heartbeat.Success, heartbeat.Start, heartbeat.Fail, heartbeat.Log, heartbeat.Exit} {
		if signalOf(signalWord(s)) != s {
			t.Errorf("%v does not survive storage as %q", s, signalWord(s))
		}
	}
}

// TestEvidence: the last pings, newest first, with the run's duration on
// the ping that ended it.
func TestEvidence(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	s := heartbeat.Schedule{Period: time.Hour, Grace: 5 * time.Minute}
	pings := []Ping{
		{ID: 1, At: t0, Signal: "start", RunID: "a", Source: "10.0.0.1"},
		{ID: 2, At: t0.Add(90 * time.Second), Signal: "exit", ExitCode: 2, RunID: "a", Source: "10.0.0.1", UserAgent: "curl/8", Body: "disk\n full"},
	}
	d := Evidence(s, pings, t0.Add(time.Hour))
	if len(d) != 2 || d[0].Name != "ping 2026-12-04 03:01:30 UTC" || d[0].Value != "exit 2 rid a from 10.0.0.1 (curl/8), run 1m30s: disk full" ||
		d[1].Value != "start rid a from 10.0.0.1" {
		t.Fatalf("evidence = %+v", d)
	}
	if d := Evidence(s, nil, t0); len(d) != 1 || d[0].Value != "none received" {
		t.Fatalf("evidence without pings = %+v", d)
	}
}
