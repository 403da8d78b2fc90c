package cmd

import (
	"net/http"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestAPIRequestQuota: a workspace may make max_api_requests_per_minute
// API requests a minute; the next answers 429 naming the setting with
// Retry-After, and changes nothing; another workspace has its own count.
func TestAPIRequestQuota(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.MaxAPIRequests = 5
		app := MustApp(t, cfg)
		ada, bob := mustSignup(t, app, "ada@example.com"), mustSignup(t, app, "bob@example.com")
		for i := 0; i < 5; i++ {
			if r := do(t, app, "GET", "/api/v1/monitors", ada, ""); r.Status != http.StatusOK {
				t.Fatalf("request %d: %d %s", i+1, r.Status, r.Body)
			}
		}
		r := do(t, app, "POST", "/api/v1/monitors", ada, `{"check":{"kind":"http","url":"https://example.com"}}`)
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "max_api_requests_per_minute") || r.Header.Get("Retry-After") == "" {
			t.Fatalf("the sixth request: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		var n int64
		if err := app.DB.Raw("SELECT count(*) FROM monitors").Scan(&n).Error; err != nil || n != 0 {
			t.Fatalf("the refused request stored %d monitors (%v)", n, err)
		}
		if r := do(t, app, "GET", "/api/v1/monitors", bob, ""); r.Status != http.StatusOK {
			t.Fatalf("another workspace: %d %s", r.Status, r.Body)
		}
	})
}
