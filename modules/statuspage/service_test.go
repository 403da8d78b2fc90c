package statuspage_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/statuspage"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mustService builds the service on db with the clock, and a user owning
// one monitor.
func mustService(t *testing.T, db *database.DB, clk *clock, cfg statuspage.Config) (*statuspage.Service, int64, int64) {
	t.Helper()
	ctx := context.Background()
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('sp@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		t.Fatal(err)
	}
	uid = testenv.Workspace(t, db, uid)
	name, url := "internal name", "http://127.0.0.1:1/secret-path-XYZ"
	m, err := monitor.New(db, monitor.Config{}, discard).Create(ctx, uid, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &url}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Key, cfg.Now, cfg.PasswordMemoryKiB = []byte("0123456789abcdef0123456789abcdef"), clk.Now, 64
	svc, err := statuspage.New(db, incident.New(db, nil, incident.Config{Now: clk.Now}, discard),
		tick.New(db, nil, tick.Config{Now: clk.Now}, discard, nil), cfg, discard)
	if err != nil {
		t.Fatal(err)
	}
	return svc, uid, m.ID
}

func str(s string) *string { return &s }

func TestViewCache(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: time.Now().UTC()}
			svc, uid, mid := mustService(t, testenv.MustDatabase(t, backend), clk, statuspage.Config{})
			secs := []statuspage.Section{{Name: "Core", Components: []statuspage.Component{{MonitorID: mid}}}}
			p, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("acme"), Title: str("Acme"), Sections: &secs})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Sections[0].Components[0].DisplayName; got != "internal name" {
				t.Errorf("a component without a display name is named after its monitor, got %q", got)
			}
			p, err = svc.Lookup(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			v1, err := svc.View(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if v2, _ := svc.View(ctx, p); v2 != v1 {
				t.Error("a second view within the TTL was rebuilt")
			}
			clk.Add(6 * time.Second)
			v3, _ := svc.View(ctx, p)
			if v3 == v1 {
				t.Error("a view older than the TTL was reused")
			}
			if _, err := svc.Update(ctx, uid, p.ID, statuspage.Input{Title: str("Acme Corp")}); err != nil {
				t.Fatal(err)
			}
			p, _ = svc.Lookup(ctx, "acme")
			v4, _ := svc.View(ctx, p)
			if v4 == v3 || v4.Title != "Acme Corp" {
				t.Errorf("an edited page showed its old view: %q", v4.Title)
			}
		})
	}
}

func TestViewCacheOff(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	svc, uid, _ := mustService(t, testenv.MustDatabase(t, "sqlite"), clk, statuspage.Config{CacheTTL: -1})
	p, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("acme"), Title: str("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := svc.View(ctx, p)
	if v2, _ := svc.View(ctx, p); v1 == v2 {
		t.Error("with the cache off, views must be built per request")
	}
}

func TestPasswordAndLimit(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	svc, uid, _ := mustService(t, testenv.MustDatabase(t, "sqlite"), clk, statuspage.Config{LoginLimit: 3})
	p, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("private"), Title: str("Private"), Password: str("first password")})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Protected || p.PasswordHash == "" || p.PasswordHash == "first password" {
		t.Fatalf("password not hashed: %+v", p)
	}
	token := svc.VisitorToken(p)
	if !svc.Admits(p, token) || svc.Admits(p, "") || svc.Admits(p, token+"x") {
		t.Error("visitor token check")
	}
	if err := svc.Login(ctx, p, "first password", "192.0.2.1"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for range 3 {
		if err := svc.Login(ctx, p, "wrong", "192.0.2.1"); err != statuspage.ErrWrongPassword {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if err := svc.Login(ctx, p, "first password", "192.0.2.1"); apperr.KindOf(err) != apperr.RateLimited {
		t.Fatalf("past the limit: %v, want rate limited", err)
	}
	if err := svc.Login(ctx, p, "first password", "192.0.2.2"); err != nil {
		t.Fatalf("another address is not limited: %v", err)
	}
	clk.Add(statuspage.DefaultLoginWindow)
	if err := svc.Login(ctx, p, "first password", "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Right passwords are not failures: many in a row are all let in.
	for i := range 5 {
		if err := svc.Login(ctx, p, "first password", "192.0.2.3"); err != nil {
			t.Fatalf("right password %d in a row: %v", i+1, err)
		}
	}
	// Wrong passwords sent at once: exactly the limit's 3 are tried, the
	// rest refused before hashing (counted after, all 20 were tried).
	errs := make(chan error, 20)
	for range 20 {
		go func() { errs <- svc.Login(ctx, p, "wrong", "192.0.2.4") }()
	}
	tried := 0
	for range 20 {
		switch err := <-errs; {
		case err == statuspage.ErrWrongPassword:
			tried++
		case apperr.KindOf(err) != apperr.RateLimited:
			t.Fatalf("wrong password at once: %v", err)
		}
	}
	if tried != 3 {
		t.Fatalf("%d of 20 wrong passwords at once tried, want the limit's 3", tried)
	}

	// A new password turns old cookies away; keeping it (no password
	// field) does not; removing it opens the page.
	p2, err := svc.Update(ctx, uid, p.ID, statuspage.Input{Password: str("second password")})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Admits(p2, token) {
		t.Error("the old cookie still admits after a password change")
	}
	p3, err := svc.Update(ctx, uid, p.ID, statuspage.Input{Title: str("Still private")})
	if err != nil || !p3.Protected || !svc.Admits(p3, svc.VisitorToken(p2)) {
		t.Errorf("an update without password must keep it: %+v %v", p3, err)
	}
	p4, err := svc.Update(ctx, uid, p.ID, statuspage.Input{Password: str("")})
	if err != nil || p4.Protected || !svc.Admits(p4, "") {
		t.Errorf("an empty password makes the page public: %+v %v", p4, err)
	}
	if _, err := svc.Update(ctx, uid, p.ID, statuspage.Input{Password: str("short")}); apperr.As(err) == nil || apperr.As(err).Fields["password"] == "" {
		t.Errorf("short password: %v", err)
	}
}

// TestOwnHost: no page may take the installation's own host name, which
// would put a status page in front of everyone's dashboard.
func TestOwnHost(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	svc, uid, _ := mustService(t, testenv.MustDatabase(t, "sqlite"), clk, statuspage.Config{PublicURL: "https://Monitor.Example.com:8443/"})
	_, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("acme"), Title: str("Acme"), CustomDomain: str("monitor.example.com")})
	if ae := apperr.As(err); ae == nil || ae.Fields["custom_domain"] == "" {
		t.Fatalf("the installation's host as a custom domain: %v", err)
	}
	if _, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("acme"), Title: str("Acme"), CustomDomain: str("status.example.com")}); err != nil {
		t.Fatal(err)
	}
	if slug, ok := svc.SlugForDomain(ctx, "status.example.com"); !ok || slug != "acme" {
		t.Errorf("SlugForDomain = %q, %v", slug, ok)
	}
	if _, ok := svc.SlugForDomain(ctx, "monitor.example.com"); ok {
		t.Error("the installation's own host resolved to a page")
	}
}

// TestDaysAcrossTheFold stores checks through the ingest over yesterday
// and today and reads the page's daily uptime before and after the
// alerter folds closed hours into their days (tick.Service.Fold): the
// same figures, which count every check once.
func TestDaysAcrossTheFold(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
			clk := &clock{t: now}
			db := testenv.MustDatabase(t, backend)
			svc, uid, mid := mustService(t, db, clk, statuspage.Config{CacheTTL: -1})
			ticks := tick.New(db, nil, tick.Config{Now: clk.Now}, discard, nil)
			secs := []statuspage.Section{{Name: "Core", Components: []statuspage.Component{{MonitorID: mid}}}}
			if _, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("acme"), Title: str("Acme"), Sections: &secs}); err != nil {
				t.Fatal(err)
			}
			// Yesterday 20:00 to today 12:20, every 20 minutes; every
			// fourth check fails: yesterday 12 checks (3 down), today 38
			// (10 down).
			var results []queue.Result
			n := 0
			for at := now.Add(-16*time.Hour - 30*time.Minute); at.Before(now); at = at.Add(20 * time.Minute) {
				st := probe.StatusUp
				if n%4 == 0 {
					st = probe.StatusDown
				}
				results = append(results, queue.Result{JobID: at.String(), MonitorID: mid, Region: "eu", WorkerID: "w", ScheduledAt: at,
					Result: probe.Result{Status: st, LatencyMS: 10, CheckedAt: at}})
				n++
			}
			if err := ticks.Store(ctx, results); err != nil {
				t.Fatal(err)
			}
			days := func() []statuspage.Day {
				t.Helper()
				p, err := svc.Lookup(ctx, "acme")
				if err != nil {
					t.Fatal(err)
				}
				v, err := svc.View(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				d := v.Sections[0].Components[0].Daily
				return d[len(d)-2:]
			}
			want := []statuspage.Day{{Date: "2026-11-22", Uptime: ptr(9.0 / 12)}, {Date: "2026-11-23", Uptime: ptr(28.0 / 38)}}
			check := func(when string) {
				t.Helper()
				got := days()
				for i := range want {
					if got[i].Date != want[i].Date || got[i].Uptime == nil || *got[i].Uptime != *want[i].Uptime {
						t.Errorf("%s: day %s uptime = %v, want %v", when, got[i].Date, deref(got[i].Uptime), *want[i].Uptime)
					}
				}
			}
			check("before the fold")
			if n, err := ticks.Fold(ctx, now); err != nil || n == 0 {
				t.Fatalf("fold = %d, %v", n, err)
			}
			check("after the fold")
			// A late failed check for yesterday 21:10, an hour folded.
			late := now.Add(-15*time.Hour - 20*time.Minute)
			if err := ticks.Store(ctx, []queue.Result{{JobID: "late", MonitorID: mid, Region: "eu", WorkerID: "w", ScheduledAt: late,
				Result: probe.Result{Status: probe.StatusDown, CheckedAt: late}}}); err != nil {
				t.Fatal(err)
			}
			want[0].Uptime = ptr(9.0 / 13)
			check("after a late check into a folded hour")
		})
	}
}

func ptr(f float64) *float64 { return &f }

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
