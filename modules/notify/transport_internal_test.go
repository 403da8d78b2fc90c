package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// Tests cannot run a public server, so this stands one in: the guard is
// wrapped to let exactly one 127.0.0.1 listener through, as if it were
// public. Its redirect to another 127.0.0.1 listener must then be refused by
// the unmodified guard on the new connection, before the second server sees
// anything.
func TestRedirectToPrivateAddressIsRefused(t *testing.T) {
	var privateHits atomic.Int64
	private := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { privateHits.Add(1) }))
	t.Cleanup(private.Close)
	var publicHits atomic.Int64
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		publicHits.Add(1)
		http.Redirect(w, r, private.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(public.Close)

	pu, err := url.Parse(public.URL)
	if err != nil {
		t.Fatal(err)
	}
	dialer := probe.GuardedDialer(true)
	guard := dialer.Control
	dialer.Control = func(network, address string, c syscall.RawConn) error {
		if address == pu.Host {
			return nil // the stand-in public server
		}
		return guard(network, address, c)
	}
	tr := newTransport(dialer, 5*time.Second)

	ch := &Webhook{URL: public.URL + "/hook", Secret: "0123456789abcdef"}
	err = ch.Send(context.Background(), tr, Event{Type: EventTest, Key: "k"})
	if !errors.Is(err, probe.ErrBlockedAddress) {
		t.Fatalf("got %v, want ErrBlockedAddress from the redirect hop", err)
	}
	if !IsPermanent(err) {
		t.Errorf("a blocked redirect is permanent: %v", err)
	}
	if publicHits.Load() != 1 || privateHits.Load() != 0 {
		t.Fatalf("public saw %d requests, private %d; want 1 and 0", publicHits.Load(), privateHits.Load())
	}
}

// Loopback targets bypass environment proxies anyway, so a test through a
// proxy could not fail; check the setting instead.
func TestNewTransportUsesNoProxy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	tr, ok := NewTransport(false, time.Second).HTTP.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil {
		t.Fatal("the HTTP transport takes a proxy from the environment, which would get around the address guard")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	resolved := start.Add(2*time.Hour + 5*time.Minute + 30*time.Second)
	base := Event{
		OccurredAt: start.Add(3 * time.Hour),
		Incident:   Incident{ID: 1, Kind: "down", StartedAt: start, Cause: Cause{ErrorClass: "timeout", Message: "deadline\nexceeded"}},
		Monitor:    Monitor{ID: 3, Name: "  "},
	}
	tests := []struct {
		name  string
		edit  func(*Event)
		title string
		intro string
	}{
		{"opened, name falls back to id", func(e *Event) { e.Type = EventOpened }, "DOWN: monitor #3", "monitor #3 is down."},
		{"degraded reminder with duration", func(e *Event) {
			e.Type, e.Incident.Kind, e.Monitor.Name = EventReminder, "degraded", "Shop"
		}, "STILL DEGRADED: Shop", "Shop has been degraded for 3h."},
		{"resolved automatically", func(e *Event) {
			e.Type, e.Monitor.Name, e.Incident.ResolvedAt = EventResolved, "Shop", &resolved
		}, "RESOLVED: Shop", "Shop is up after 2h 5m."},
		{"resolved by a user", func(e *Event) {
			e.Type, e.Monitor.Name, e.Actor = EventResolved, "Shop", "bob\r\n"
		}, "RESOLVED: Shop", "bob resolved the incident on Shop."},
		{"name with newlines", func(e *Event) { e.Type, e.Monitor.Name = EventOpened, "a\r\nb\tc" }, "DOWN: a b c", "a b c is down."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.edit(&e)
			m := describe(e)
			if m.Title != tt.title || m.Intro != tt.intro {
				t.Fatalf("describe = %q / %q, want %q / %q", m.Title, m.Intro, tt.title, tt.intro)
			}
			for _, f := range m.Facts {
				if f.Label == "Cause" && f.Value != "timeout: deadline exceeded" {
					t.Errorf("cause = %q", f.Value)
				}
			}
		})
	}
}

func TestFitNeverSplitsAnEscape(t *testing.T) {
	esc := func(s string) string { return slackEscaper.Replace(s) }
	got := fit("a&&&&&&&&&", 12, esc)
	if got != "a&amp;&amp;…" {
		t.Fatalf("fit = %q", got)
	}
	if humanDuration(26*time.Hour+30*time.Second) != "1d 2h" || humanDuration(59*time.Second) != "59s" || humanDuration(0) != "0s" || humanDuration(61*time.Minute) != "1h 1m" {
		t.Fatalf("humanDuration: %s %s %s %s", humanDuration(26*time.Hour+30*time.Second), humanDuration(59*time.Second), humanDuration(0), humanDuration(61*time.Minute))
	}
}
