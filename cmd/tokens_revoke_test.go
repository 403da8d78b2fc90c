package cmd

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestRevokeAllTokens: a password change ends sessions but not API tokens;
// "revoke all" (API and dashboard) ends every token at once, and only the
// user's own.
func TestRevokeAllTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		ada, bob := mustWebSignup(t, app, "ada@example.com"), mustWebSignup(t, app, "bob@example.com")
		newToken := func(b *browser) string {
			r := do(t, app, "POST", "/api/v1/tokens", webSessionToken(t, b), `{"name":"ci"}`)
			var tok struct{ Token string }
			r.JSON(t, &tok)
			if r.Status != http.StatusCreated || !strings.HasPrefix(tok.Token, "bst_") {
				t.Fatalf("token: %d %s", r.Status, r.Body)
			}
			return tok.Token
		}
		a1, a2, b1 := newToken(ada), newToken(ada), newToken(bob)
		r := do(t, app, "DELETE", "/api/v1/tokens", a1, "")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"revoked":2`) {
			t.Fatalf("revoke all: %d %s", r.Status, r.Body)
		}
		for _, tok := range []string{a1, a2} {
			if r := do(t, app, "GET", "/api/v1/me", tok, ""); r.Status != http.StatusUnauthorized {
				t.Errorf("a revoked token still works: %d", r.Status)
			}
		}
		if r := do(t, app, "GET", "/api/v1/me", b1, ""); r.Status != http.StatusOK {
			t.Errorf("another user's token was revoked: %d", r.Status)
		}
		// The dashboard's button does the same.
		newToken(ada)
		ada.get("/settings/tokens")
		r = ada.follow(ada.post("/settings/tokens/revoke-all", url.Values{}))
		wantPage(t, "after revoking all", r, http.StatusOK, []string{"1 API tokens revoked"})
	})
}
