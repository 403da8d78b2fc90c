package channel

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/testenv"
)

// fixture is a database with one user, one monitor and a channel service.
type fixture struct {
	db  *database.DB
	svc *Service
	now atomic.Pointer[time.Time]
}

func newFixture(t *testing.T, backend string, cfg Config) *fixture {
	t.Helper()
	db := testenv.MustDatabase(t, backend)
	now := time.Now().UTC()
	if err := db.Exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'a@example.com', 'x', ?, ?)", now, now).Error; err != nil {
		t.Fatal(err)
	}
	testenv.Workspace(t, db, 1)
	if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
		VALUES (1, 1, 'shop', 'shop', 'http', '{}', 'https://shop.example', 60, 1000, ?, ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	f.now.Store(&now)
	cfg.Now = func() time.Time { return *f.now.Load() }
	f.svc = New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	return f
}

func (f *fixture) advance(d time.Duration) {
	t := f.now.Load().Add(d)
	f.now.Store(&t)
}

func (f *fixture) webhook(t *testing.T, url string) Channel {
	t.Helper()
	ch, err := f.svc.Create(context.Background(), 1, Input{Name: ptr("ops"), Type: ptr("webhook"),
		Config: raw(`{"url":"` + url + `","secret":"s3cret-0123456789abcdef"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec("INSERT INTO monitor_channels (monitor_id, channel_id) VALUES (1, ?)", ch.ID).Error; err != nil {
		t.Fatal(err)
	}
	return ch
}

// enqueue queues incident.opened for monitor 1 as the incident service would.
func (f *fixture) enqueue(t *testing.T) {
	t.Helper()
	now := *f.now.Load()
	err := f.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO incidents (id, monitor_id, workspace_id, kind, status, started_at, updated_at)
			VALUES (7, 1, 1, 'down', 'open', ?, ?)`, now, now).Error; err != nil {
			return err
		}
		return f.svc.Enqueue(tx, 1, incident.Notice{Event: incident.NoticeOpened, Key: "incident-7-opened", At: now,
			Incident: incident.Incident{ID: 7, MonitorID: 1, Kind: incident.KindDown, Status: incident.StatusOpen, StartedAt: now, Regions: []string{"eu"}},
			Monitor:  incident.MonitorRef{ID: 1, Name: "shop", URL: "https://shop.example"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func raw(s string) *json.RawMessage {
	r := json.RawMessage(s)
	return &r
}

func backends(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range testenv.Backends {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

func TestPrivateAddressesRefusedUnlessAllowed(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		var hits atomic.Int64
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
		defer rcv.Close()

		f := newFixture(t, backend, Config{})
		ch := f.webhook(t, rcv.URL)
		res, err := f.svc.Test(context.Background(), 1, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Delivered || !strings.Contains(res.Error, "private") && !strings.Contains(res.Error, "blocked") {
			t.Fatalf("test send to 127.0.0.1 without allow_private_webhooks = %+v; want refused", res)
		}
		if hits.Load() != 0 {
			t.Fatalf("the receiver on loopback got %d requests", hits.Load())
		}

		allowed := newFixture(t, backend, Config{AllowPrivate: true})
		ch = allowed.webhook(t, rcv.URL)
		res, err = allowed.svc.Test(context.Background(), 1, ch.ID)
		if err != nil || !res.Delivered || hits.Load() != 1 {
			t.Fatalf("allowed test send = %+v, %v, %d hits; want delivered once", res, err, hits.Load())
		}
		page, err := allowed.svc.Deliveries(context.Background(), 1, ch.ID, 50, 0)
		ds := page.Data
		if err != nil || len(ds) != 1 || ds[0].Event != "test" || ds[0].Status != StateDelivered || len(ds[0].Log) != 1 || page.NextCursor != nil {
			t.Fatalf("delivery log = %+v, %v", page, err)
		}
		for i := 0; i < 2; i++ {
			if _, err := allowed.svc.Test(context.Background(), 1, ch.ID); err != nil {
				t.Fatal(err)
			}
		}
		first, err := allowed.svc.Deliveries(context.Background(), 1, ch.ID, 2, 0)
		if err != nil || len(first.Data) != 2 || first.NextCursor == nil {
			t.Fatalf("page 1 = %+v, %v", first, err)
		}
		cur, _ := strconv.ParseInt(*first.NextCursor, 10, 64)
		second, err := allowed.svc.Deliveries(context.Background(), 1, ch.ID, 2, cur)
		if err != nil || len(second.Data) != 1 || second.NextCursor != nil || second.Data[0].ID >= first.Data[1].ID {
			t.Fatalf("page 2 = %+v, %v", second, err)
		}
	})
}

func TestRetriesUntilDelivered(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		var mu sync.Mutex
		var got []string
		var calls atomic.Int64
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= 2 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			mu.Lock()
			got = append(got, r.Header.Get("Idempotency-Key"))
			mu.Unlock()
		}))
		defer rcv.Close()
		f := newFixture(t, backend, Config{AllowPrivate: true, BaseBackoff: time.Minute, MaxBackoff: time.Hour})
		ch := f.webhook(t, rcv.URL)
		f.enqueue(t)
		ctx := context.Background()
		for attempt := 1; attempt <= 3; attempt++ {
			n, err := f.svc.deliverDue(ctx)
			if err != nil || n != 1 {
				t.Fatalf("attempt %d: handled %d, %v", attempt, n, err)
			}
			if n, _ := f.svc.deliverDue(ctx); n != 0 {
				t.Fatalf("attempt %d: a failed notification was retried before its backoff", attempt)
			}
			f.advance(time.Duration(1<<(attempt-1)) * time.Minute) // 1m, then 2m: the backoff doubles
		}
		if calls.Load() != 3 || len(got) != 1 || got[0] != "incident-7-opened-channel-1" && !strings.HasPrefix(got[0], "incident-7-opened-channel-") {
			t.Fatalf("receiver: %d calls, delivered keys %v", calls.Load(), got)
		}
		page, err := f.svc.Deliveries(ctx, 1, ch.ID, 50, 0)
		if err != nil || len(page.Data) != 1 {
			t.Fatal(page, err)
		}
		d := page.Data[0]
		if d.Status != StateDelivered || d.Attempts != 3 || len(d.Log) != 3 || d.Log[0].Success || !d.Log[2].Success ||
			!strings.Contains(d.Log[0].Error, "502") {
			t.Fatalf("delivery = %+v", d)
		}
	})
}

// TestLeaseExpiryResends: a process that leased a notification and died
// mid-send leaves it to another after the lease: at-least-once.
func TestLeaseExpiryResends(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		var calls atomic.Int64
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) }))
		defer rcv.Close()
		f := newFixture(t, backend, Config{AllowPrivate: true})
		f.webhook(t, rcv.URL)
		f.enqueue(t)
		ctx := context.Background()
		now := *f.now.Load()
		leased, err := f.svc.store.lease(ctx, now, now.Add(time.Minute), 10) // the process that dies
		if err != nil || len(leased) != 1 {
			t.Fatalf("lease = %v, %v", leased, err)
		}
		if n, _ := f.svc.deliverDue(ctx); n != 0 || calls.Load() != 0 {
			t.Fatal("a leased notification was sent by another process before its lease ran out")
		}
		f.advance(61 * time.Second)
		if n, err := f.svc.deliverDue(ctx); err != nil || n != 1 || calls.Load() != 1 {
			t.Fatalf("after the lease: handled %d, %v, %d sends; want it sent", n, err, calls.Load())
		}
	})
}

func TestSecretsMaskedAndKept(t *testing.T) {
	f := newFixture(t, "sqlite", Config{AllowPrivate: true})
	ch := f.webhook(t, "https://hooks.example/x")
	if strings.Contains(string(ch.Config), "s3cret") {
		t.Fatalf("secret returned: %s", ch.Config)
	}
	upd, err := f.svc.Update(context.Background(), 1, ch.ID, Input{Config: raw(`{"url":"https://hooks.example/y","secret":"********"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := f.db.Raw("SELECT config FROM channels WHERE id = ?", ch.ID).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stored, "s3cret-0123456789abcdef") || !strings.Contains(stored, "hooks.example/y") || strings.Contains(string(upd.Config), "s3cret") {
		t.Fatalf("stored %s, returned %s: the masked secret must keep the old one", stored, upd.Config)
	}
	if _, err := f.svc.Update(context.Background(), 1, ch.ID, Input{Type: ptr("slack")}); err == nil {
		t.Fatal("changing the type must be refused")
	}
	if _, err := f.svc.Get(context.Background(), 2, ch.ID); err != ErrNotFound {
		t.Fatalf("another user's channel: %v, want not found", err)
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 15 * time.Second, 2: 30 * time.Second, 3: time.Minute, 7: 10 * time.Minute, 20: 10 * time.Minute} {
		if got := Backoff(n, 15*time.Second, 10*time.Minute); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}
