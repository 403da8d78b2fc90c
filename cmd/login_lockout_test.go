package cmd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestLoginLimitCannotLockOutTheOwner: failures are counted per account and
// address pair plus per address. An attacker who knows an email and
// fails from one address is refused there, while the owner still logs in
// from theirs; the attacker's address is also limited for other accounts.
func TestLoginLimitCannotLockOutTheOwner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.LoginMaxFails = 3
		app := MustApp(t, cfg)
		mustSignup(t, app, "victim@example.com")
		mustSignup(t, app, "bystander@example.com")
		login := func(addr, email, password string) int {
			req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = addr + ":1234"
			rec := httptest.NewRecorder()
			app.HTTP.Echo().ServeHTTP(rec, req)
			return rec.Code
		}
		for i := 0; i < 3; i++ {
			if got := login("198.51.100.7", "victim@example.com", "wrong guess"); got != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d, want 401", i, got)
			}
		}
		// The pair's budget is spent: even the right password from the
		// attacker's address is refused.
		if got := login("198.51.100.7", "victim@example.com", "correct horse"); got != http.StatusTooManyRequests {
			t.Fatalf("the attacker's address after 3 failures: %d, want 429", got)
		}
		// The owner, from their own address, is not locked out.
		if got := login("203.0.113.5", "victim@example.com", "correct horse"); got != http.StatusOK {
			t.Fatalf("the owner from another address: %d, want 200", got)
		}
		// The per-address limit (twice the per-pair one) stops spraying
		// other accounts from the attacker's address.
		for _, email := range []string{"a@example.com", "b@example.com"} {
			if got := login("198.51.100.7", email, "wrong guess"); got != http.StatusUnauthorized {
				t.Fatalf("spraying %s: %d, want 401 (the address has 5 failures, under 6)", email, got)
			}
		}
		login("198.51.100.7", "c@example.com", "wrong guess") // the sixth
		// No pair of the bystander's has failed: only the address's count
		// refuses this.
		if got := login("198.51.100.7", "bystander@example.com", "correct horse"); got != http.StatusTooManyRequests {
			t.Fatalf("spraying from one address after 6 failures: %d, want 429", got)
		}
		if got := login("203.0.113.9", "bystander@example.com", "correct horse"); got != http.StatusOK {
			t.Fatalf("the bystander from their own address: %d, want 200", got)
		}
	})
}
