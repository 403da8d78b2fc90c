package cmd

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// TestURLSecretsStayOut: a monitor whose URL carries user:password@ and a
// token in its query is checked with them, but neither reaches the
// notification, the overview, the monitor page or the incident page.
func TestURLSecretsStayOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		var mu sync.Mutex
		var bodies []string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
		}))
		t.Cleanup(hook.Close)
		sawAuth := make(chan string, 100)
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, pass, _ := r.BasicAuth()
			sawAuth <- user + ":" + pass + " " + r.URL.Query().Get("token")
			w.WriteHeader(http.StatusInternalServerError)
		}))
		t.Cleanup(target.Close)

		cfg.MinInterval, cfg.AllowPrivateWebhooks = time.Second, true
		app := MustApp(t, cfg)
		startApp(t, app)
		b := mustWebSignup(t, app, "secrets@example.com")
		token := b.cookies["bs_session"].Value
		r := do(t, app, "POST", "/api/v1/channels", token,
			`{"name":"hook","type":"webhook","config":{"url":"`+hook.URL+`","secret":"secret-0123456789abcdef"}}`)
		var ch struct{ ID int64 }
		r.JSON(t, &ch)
		secretURL := strings.Replace(target.URL, "http://", "http://ops:Pa55word-XYZ@", 1) + "/health?token=T0KEN-XYZ&page=1"
		r = do(t, app, "POST", "/api/v1/monitors", token, fmt.Sprintf(`{"name":"private api","check":{"kind":"http","url":%q},
			"interval_seconds":1,"timeout_ms":500,"failure_threshold":1,"channel_ids":[%d]}`, secretURL, ch.ID))
		var m struct{ ID int64 }
		r.JSON(t, &m)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		// The check itself uses them.
		if got := <-sawAuth; got != "ops:Pa55word-XYZ T0KEN-XYZ" {
			t.Fatalf("the target saw %q", got)
		}
		eventually(t, 20*time.Second, "the incident's notification", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(bodies) > 0
		})
		mu.Lock()
		sent := strings.Join(bodies, "\n")
		mu.Unlock()
		shown := "ops:redacted@" + strings.TrimPrefix(target.URL, "http://")
		pages := map[string]string{"notification": sent}
		for _, path := range []string{"/", fmt.Sprintf("/monitors/%d", m.ID), "/incidents"} {
			r := b.get(path)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d", path, r.Status)
			}
			pages[path] = r.Body
		}
		for name, text := range pages {
			if strings.Contains(text, "Pa55word-XYZ") || strings.Contains(text, "T0KEN-XYZ") {
				t.Errorf("%s shows a secret of the URL", name)
			}
		}
		for _, name := range []string{"/", fmt.Sprintf("/monitors/%d", m.ID)} {
			if !strings.Contains(pages[name], shown) {
				t.Errorf("%s does not show the monitor's target %q", name, shown)
			}
		}
		if !strings.Contains(sent, "ops:redacted@") || !strings.Contains(sent, "token=redacted") {
			t.Errorf("the notification does not name the monitor's target: %s", sent)
		}
	})
}
